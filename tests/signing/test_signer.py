"""Signing: Microsoft's envelope shape, every scheme, and byte-identical rebuilds."""

from datetime import datetime, timezone

import pytest
from asn1crypto import cms

from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.errors import SignerKeyError
from ctlbuild.formats.stl import parse_signed_ctl, sign_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.model import Opus
from ctlbuild.oids import Attr, ContentType, SigAlg
from ctlbuild.signing.keyfiles import load_private_key
from ctlbuild.signing.open import open_signer
from ctlbuild.signing.signer import FileSigner
from ctlbuild.verify.verifier import verify_ctl
from tests.conftest import NOW

WHEN = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def ctl_der():
    return encode_ctl(load_list("examples/diginotar-kb2616676.toml").trust_list)


def test_envelope_is_shaped_like_microsofts(ctl_der, signer):
    stl = sign_ctl(ctl_der, signer, signing_time=WHEN, opus=Opus("Prog", "http://example.com"))
    info = cms.ContentInfo.load(stl)
    sd = info["content"]
    assert sd["version"].native == "v1"
    assert sd["encap_content_info"]["content_type"].dotted == ContentType.CTL
    assert stl.find(ctl_der) > 0  # the CTL directly inside [0] EXPLICIT, no OCTET STRING
    si = sd["signer_infos"][0]
    assert si["digest_algorithm"].dump().endswith(b"\x05\x00")  # explicit NULL parameters
    assert si["signature_algorithm"]["algorithm"].dotted == SigAlg.RSA
    types = [a["type"].dotted for a in si["signed_attrs"]]
    assert set(types) == {Attr.CONTENT_TYPE, Attr.MESSAGE_DIGEST, Attr.SIGNING_TIME, Attr.SPC_SP_OPUS_INFO}
    opus = si["signed_attrs"].dump()
    assert "Prog".encode("utf-16-be") in opus and b"http://example.com" in opus
    assert cms.ContentInfo.load(stl).dump(force=True) == stl  # strict DER throughout


def test_same_inputs_same_bytes(ctl_der, signer):
    first = sign_ctl(ctl_der, signer, signing_time=WHEN)
    assert sign_ctl(ctl_der, signer, signing_time=WHEN) == first
    assert sign_ctl(ctl_der, signer, signing_time=datetime(2024, 1, 2, tzinfo=timezone.utc)) != first


@pytest.mark.parametrize("scheme, digest", [("pkcs1v15", "sha256"), ("pkcs1v15", "sha384"), ("pss", "sha256"),
                                            ("pkcs1v15", "sha1")])
def test_rsa_schemes_verify(ctl_der, dev_keys, root_der, scheme, digest):
    signer = open_signer(str(dev_keys.signer_key), dev_keys.signer_cert, scheme=scheme)
    stl = sign_ctl(ctl_der, signer, signing_time=WHEN, digest=digest)
    report = verify_ctl(stl, [root_der], NOW, allow_sha1=digest == "sha1")
    assert report.ok, [f for f in report.findings if f.status == "fail"]
    if digest == "sha1":
        assert any(f.check == "algorithm" and f.status == "warn" for f in report.findings)


def test_ecdsa_is_deterministic_and_verifies(ctl_der, ec_keys):
    from ctlbuild.signing.keyfiles import load_cert_file
    signer = open_signer(str(ec_keys.signer_key), ec_keys.signer_cert)
    assert signer.scheme == "ecdsa"
    stl = sign_ctl(ctl_der, signer, signing_time=WHEN)
    assert sign_ctl(ctl_der, signer, signing_time=WHEN) == stl  # RFC 6979
    assert verify_ctl(stl, load_cert_file(ec_keys.root_cert), NOW).ok


def test_pss_is_not_deterministic(signer):
    pss = FileSigner(signer._key, signer.certificate, scheme="pss")
    assert not pss.deterministic


def test_key_must_match_certificate(dev_keys, ec_keys):
    with pytest.raises(SignerKeyError, match="does not match the signer certificate"):
        open_signer(str(dev_keys.signer_key), ec_keys.signer_cert)


def test_signer_without_ctl_eku_is_refused(dev_keys):
    # The root CA has no CTL-signing EKU.
    with pytest.raises(SignerKeyError, match="no CTL-signing EKU"):
        open_signer(str(dev_keys.root_key), dev_keys.root_cert)


def test_encrypted_key_needs_a_passphrase(tmp_path, dev_keys):
    from cryptography.hazmat.primitives import serialization
    key = load_private_key(dev_keys.signer_key)
    path = tmp_path / "enc.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"s3cret")))
    path.chmod(0o600)  # a key file others may read is refused (tests/test_keys_permissions.py)
    with pytest.raises(SignerKeyError, match="encrypted and no passphrase"):
        load_private_key(path)
    with pytest.raises(SignerKeyError, match="wrong passphrase"):
        load_private_key(path, lambda _p: b"nope")
    assert load_private_key(path, lambda _p: b"s3cret").key_size == key.key_size


def test_pkcs12_signer(tmp_path, dev_keys, root_der, ctl_der):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        pkcs12,
    )
    key = load_private_key(dev_keys.signer_key)
    cert = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"s", key, cert, None, BestAvailableEncryption(b"pw")))
    p12.chmod(0o600)
    signer = open_signer(str(p12), passphrase=lambda _p: b"pw")
    assert verify_ctl(sign_ctl(ctl_der, signer, signing_time=WHEN), [root_der], NOW).ok


def test_dev_keys_are_private_and_labelled(dev_keys):
    for path in (dev_keys.root_key, dev_keys.signer_key):
        assert path.stat().st_mode & 0o777 == 0o600
    assert b"DEVELOPMENT" not in dev_keys.signer_cert.read_bytes()  # PEM: check the decoded name
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    assert "DEVELOPMENT" in cert.subject.rfc4514_string()


def test_signed_file_parses_back(ctl_der, signer):
    signed = parse_signed_ctl(sign_ctl(ctl_der, signer, signing_time=WHEN))
    assert signed.ctl_der == ctl_der


def test_pkcs12_is_recognised_by_content_and_a_stray_cert_refused(tmp_path, dev_keys, ec_keys):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        pkcs12,
    )
    key = load_private_key(dev_keys.signer_key)
    cert = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    blob = tmp_path / "signer.bin"
    blob.write_bytes(pkcs12.serialize_key_and_certificates(b"s", key, cert, None, BestAvailableEncryption(b"pw")))
    blob.chmod(0o600)
    assert open_signer(str(blob), passphrase=lambda _p: b"pw").certificate
    with pytest.raises(SignerKeyError, match="not the certificate inside"):
        open_signer(str(blob), ec_keys.signer_cert, passphrase=lambda _p: b"pw")


# -- every file signature is verified before it is used (keys load without cryptography's check) ----

def _damaged_copy(key_path, folder):
    """The dev signer key with its private exponents wrong and its public half intact: it still
    matches the certificate, loads (keyfiles skips the consistency check), and signs wrongly
    (OpenSSL's own CRT check falls back to d, which is wrong too)."""
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    good = load_private_key(key_path).private_numbers()
    bad = rsa.RSAPrivateNumbers(good.p, good.q, good.d + 2, good.dmp1 + 2, good.dmq1 + 2, good.iqmp,
                                good.public_numbers).private_key(unsafe_skip_rsa_key_validation=True)
    path = folder / "damaged.key"
    path.write_bytes(bad.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o600)
    return path


def test_a_damaged_rsa_key_is_caught_by_verifying_its_signature(ctl_der, dev_keys, tmp_path):
    from ctlbuild.errors import SigningError

    signer = open_signer(str(_damaged_copy(dev_keys.signer_key, tmp_path)), dev_keys.signer_cert)
    with pytest.raises(SigningError, match="does not verify with the signer certificate's public key"):
        sign_ctl(ctl_der, signer, signing_time=WHEN)


def test_a_key_too_damaged_to_sign_is_a_signing_error(dev_keys, tmp_path):
    """A prime of 0 (cryptography's own constructor refuses it; the DER is edited): OpenSSL
    will not sign with it at all, and that is a SigningError too, not a ValueError."""
    import os

    from asn1crypto import keys
    from cryptography.hazmat.primitives import serialization

    from ctlbuild.errors import SigningError

    good = load_private_key(dev_keys.signer_key).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    damaged = keys.RSAPrivateKey.load(good)
    damaged["prime1"] = 0
    path = tmp_path / "p0.der"
    path.write_bytes(damaged.dump(force=True))
    os.chmod(path, 0o600)
    signer = open_signer(str(path), dev_keys.signer_cert)
    with pytest.raises(SigningError, match="cannot sign"):
        signer.sign(b"data", "sha256")


def test_build_with_a_damaged_key_fails_in_one_line_and_publishes_nothing(dev_keys, tmp_path):
    import subprocess
    import sys

    key = _damaged_copy(dev_keys.signer_key, tmp_path)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "ctlbuild", "build", "examples/diginotar-kb2616676.toml",
                           "--key", str(key), "--cert", str(dev_keys.signer_cert), "-o", str(out),
                           "--signing-time", "2024-01-01T00:00:00Z"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "does not verify with the signer certificate" in done.stderr
    assert not any(p.suffix in (".stl", ".cab", ".sst") for p in out.glob("*"))


@pytest.mark.parametrize("scheme", ["pkcs1v15", "pss"])
def test_a_sound_key_signs_and_the_check_passes(ctl_der, dev_keys, scheme):
    signer = open_signer(str(dev_keys.signer_key), dev_keys.signer_cert, scheme=scheme)
    stl = sign_ctl(ctl_der, signer, signing_time=WHEN)
    assert bytes(parse_signed_ctl(stl).ctl_der) == ctl_der


def test_the_check_refuses_a_signature_that_is_not_the_keys(dev_keys):
    from cryptography.hazmat.primitives.asymmetric import ec

    from ctlbuild.errors import SigningError
    from ctlbuild.signing.signer import check_signature

    key = ec.generate_private_key(ec.SECP256R1())
    other = FileSigner(ec.generate_private_key(ec.SECP256R1()), certificate=b"")
    with pytest.raises(SigningError):
        check_signature(key.public_key(), other.sign(b"data", "sha256"), b"data", "ecdsa", "sha256")
    check_signature(key.public_key(), FileSigner(key, certificate=b"").sign(b"data", "sha256"), b"data",
                    "ecdsa", "sha256")
