"""Shared fixtures: throw-away keys made by the tests themselves, a frozen clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ctlbuild.signing.devkeys import DevKeyPaths, create_dev_keys
from ctlbuild.signing.open import open_signer

#: The frozen "now" of the tests; dev keys are valid around it.
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
SIGNING_TIME = "2024-01-01T00:00:00Z"


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory) -> DevKeyPaths:
    return create_dev_keys(tmp_path_factory.mktemp("keys"), now=NOW)


@pytest.fixture(scope="session")
def ec_keys(tmp_path_factory) -> DevKeyPaths:
    return create_dev_keys(tmp_path_factory.mktemp("eckeys"), now=NOW, algorithm="ec")


@pytest.fixture(scope="session")
def signer(dev_keys):
    return open_signer(str(dev_keys.signer_key), dev_keys.signer_cert)


@pytest.fixture(scope="session")
def root_der(dev_keys) -> bytes:
    from ctlbuild.signing.keyfiles import load_cert_file
    return load_cert_file(dev_keys.root_cert)[0]
