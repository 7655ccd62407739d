"""Building hostile signed CTLs for the verification tests: SignedData assembled by hand
with asn1crypto, so every field can be wrong in exactly one way."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from asn1crypto import cms, core
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ctlbuild.ctl import asn1  # noqa: F401  registers the CTL content type
from ctlbuild.ctl.asn1.ctl import CertificateTrustList
from ctlbuild.oids import ContentType, Usage

HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "md5": hashes.MD5}
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject: str, issuer: x509.Name, public_key, signing_key, *, serial=1, ca=None, ekus=None,
              not_before=NOW - timedelta(days=1), days=365, hash_=hashes.SHA256):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(not_before).not_valid_after(not_before + timedelta(days=days)))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False)
    return b.sign(signing_key, hash_())


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed_attrs(content: bytes, digest="sha256", *, content_type=ContentType.CTL, when=NOW,
                 message_digest=None, drop=()):
    attrs = []
    if "content_type" not in drop:
        attrs.append({"type": "content_type", "values": [content_type]})
    if "message_digest" not in drop:
        attrs.append({"type": "message_digest",
                      "values": [message_digest or hashlib.new(digest, content).digest()]})
    if when is not None and "signing_time" not in drop:
        attrs.append({"type": "signing_time", "values": [cms.Time({"utc_time": when})]})
    return cms.CMSAttributes(attrs)


def sign_bytes(key, data: bytes, digest="sha256") -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(HASHES[digest]()))
    return key.sign(data, padding.PKCS1v15(), HASHES[digest]())


def signer_info(key, cert: x509.Certificate, attrs: cms.CMSAttributes | None, digest="sha256", *,
                content: bytes = b"", signature: bytes | None = None) -> cms.SignerInfo:
    """``attrs`` None: no signed attributes, the signature directly over ``content``."""
    signed = attrs.dump() if attrs is not None else content
    sig_alg = ({"algorithm": "sha256_ecdsa"} if isinstance(key, ec.EllipticCurvePrivateKey)
               else {"algorithm": "1.2.840.113549.1.1.1", "parameters": core.Null()})
    value = {
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": ax509.Name.load(cert.issuer.public_bytes()),
                                             "serial_number": cert.serial_number}},
        "digest_algorithm": {"algorithm": digest, "parameters": core.Null()},
        "signature_algorithm": sig_alg,
        "signature": signature if signature is not None else sign_bytes(key, signed, digest),
    }
    if attrs is not None:
        value["signed_attrs"] = attrs
    return cms.SignerInfo(value)


def assemble(ctl_der: bytes, infos: list[cms.SignerInfo], certs: list[bytes], digests=("sha256",)) -> bytes:
    sd = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [{"algorithm": d, "parameters": core.Null()} for d in digests],
        "encap_content_info": {"content_type": ContentType.CTL, "content": CertificateTrustList.load(ctl_der)},
        "certificates": [ax509.Certificate.load(c) for c in certs],
        "signer_infos": infos,
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def content_octets(ctl_der: bytes) -> bytes:
    from ctlbuild.ctl.encode import content_octets as octets
    return octets(ctl_der)


def replace_ctl(stl: bytes, new_ctl_der: bytes) -> bytes:
    """The same envelope (certificates, signed attributes, signature) around other content."""
    info = cms.ContentInfo.load(stl)
    sd = info["content"]
    sd["encap_content_info"] = {"content_type": ContentType.CTL, "content": CertificateTrustList.load(new_ctl_der)}
    return info.dump(force=True)


def explicit_curve_cert(issuer_key, issuer_name: x509.Name, subject_key: ec.EllipticCurvePrivateKey) -> bytes:
    """A CTL-signing certificate whose P-256 key is given with explicit curve parameters."""
    from asn1crypto import keys
    nums = subject_key.public_key().public_numbers()
    point = b"\x04" + nums.x.to_bytes(32, "big") + nums.y.to_bytes(32, "big")
    p256 = {
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field",
                     "parameters": core.Integer(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)},
        "curve": {"a": bytes.fromhex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC"),
                  "b": bytes.fromhex("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B")},
        "base": bytes.fromhex("046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
                              "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
        "order": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        "cofactor": 1,
    }
    spki = keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": {"specified": p256}},
                               "public_key": point})
    template = make_cert("explicit-curve signer", issuer_name, subject_key.public_key(), issuer_key,
                         serial=77, ekus=[Usage.CTL_SIGNING])
    tbs = ax509.TbsCertificate.load(template.tbs_certificate_bytes)
    tbs["subject_public_key_info"] = spki
    tbs_der = tbs.dump(force=True)
    cert = ax509.Certificate({"tbs_certificate": ax509.TbsCertificate.load(tbs_der),
                              "signature_algorithm": {"algorithm": "sha256_rsa", "parameters": core.Null()},
                              "signature_value": sign_bytes(issuer_key, tbs_der)})
    return cert.dump()


def resign_cert(cert: x509.Certificate, issuer_key, hash_name: str = "sha1") -> x509.Certificate:
    """The same certificate signed with another hash (cryptography's builder refuses SHA-1)."""
    oid = {"sha1": "sha1_rsa", "md5": "md5_rsa", "sha256": "sha256_rsa"}[hash_name]
    tbs = ax509.TbsCertificate.load(cert.tbs_certificate_bytes)
    tbs["signature"] = {"algorithm": oid, "parameters": core.Null()}
    tbs_der = tbs.dump(force=True)
    new = ax509.Certificate({"tbs_certificate": ax509.TbsCertificate.load(tbs_der),
                             "signature_algorithm": {"algorithm": oid, "parameters": core.Null()},
                             "signature_value": sign_bytes(issuer_key, tbs_der, hash_name)})
    return x509.load_der_x509_certificate(new.dump())


# -- chain rules: certificates with exactly one property wrong -------------------------------------

def ca_cert(subject: str, issuer: x509.Name, public_key, signing_key, *, serial, path_length=None,
            key_cert_sign=True, ekus=None, extensions=(), not_before=NOW - timedelta(days=1), days=365,
            hash_=hashes.SHA256, basic_constraints=True):
    """A CA certificate; ``extensions`` are (ExtensionType, critical) pairs added as given."""
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(not_before).not_valid_after(not_before + timedelta(days=days)))
    if basic_constraints:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
                                      crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False)
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    return b.sign(signing_key, hash_())


def signer_cert(subject: str, issuer: x509.Name, public_key, signing_key, *, serial, ekus, key_usage=None,
                extensions=(), not_before=NOW - timedelta(days=1), days=365, hash_=hashes.SHA256):
    """A CTL signer; ``key_usage`` a set of KeyUsage field names (None: no keyUsage extension)."""
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(not_before).not_valid_after(not_before + timedelta(days=days))
         .add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False))
    if key_usage is not None:
        fields = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                  "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]
        b = b.add_extension(x509.KeyUsage(**{f: f in key_usage for f in fields}), critical=True)
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    return b.sign(signing_key, hash_())


def unknown_critical_extension():
    return x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), b"\x05\x00"), True


def _probable_prime(bits: int, rng) -> int:
    while True:
        n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)):
            return n


def small_rsa_key(bits: int = 512, seed: int = 512):
    """An RSA key below cryptography's generation floor (RSA-512), for the key-floor tests."""
    import random
    rng = random.Random(seed)
    e = 65537
    while True:
        p, q = _probable_prime(bits // 2, rng), _probable_prime(bits // 2, rng)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e and (p * q).bit_length() == bits:
            break
    d = pow(e, -1, phi)
    public = rsa.RSAPublicNumbers(e, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public).private_key(
        unsafe_skip_rsa_key_validation=True)


def huge_exponent_junk(subject: x509.Name, issuer: x509.Name, count: int, exponent_bits: int = 3072,
                       seed: int = 1) -> list[bytes]:
    """Certificates named like a CA whose RSA keys have ``exponent_bits``-bit public exponents:
    each signature check with one costs as much as a private-key operation."""
    import random

    from asn1crypto import keys
    rng = random.Random(seed)
    template = make_cert("junk", issuer, rsa_key().public_key(), rsa_key(), serial=1, ca=True)
    out = []
    for i in range(count):
        modulus = rng.getrandbits(2048) | (1 << 2047) | 1
        exponent = rng.getrandbits(exponent_bits) | (1 << (exponent_bits - 1)) | 1
        tbs = ax509.TbsCertificate.load(template.tbs_certificate_bytes)
        tbs["subject"] = ax509.Name.load(subject.public_bytes())
        tbs["serial_number"] = 10_000 + i
        tbs["subject_public_key_info"] = keys.PublicKeyInfo({
            "algorithm": {"algorithm": "rsa", "parameters": core.Null()},
            "public_key": keys.RSAPublicKey({"modulus": modulus, "public_exponent": exponent})})
        out.append(ax509.Certificate({"tbs_certificate": ax509.TbsCertificate.load(tbs.dump(force=True)),
                                      "signature_algorithm": {"algorithm": "sha256_rsa", "parameters": core.Null()},
                                      "signature_value": bytes(256)}).dump())
    return out


# -- DER trees: re-encode a file with one encoding rule broken ------------------------------------

class Node:
    """One TLV: ``children`` for constructed ones, else ``value``. ``indefinite`` and
    ``long_length`` choose a BER encoding of the length when dumped."""

    def __init__(self, tag: int, children=None, value=b""):
        self.tag, self.children, self.value = tag, children, value
        self.indefinite = False
        self.long_length = False

    def dump(self) -> bytes:
        body = b"".join(c.dump() for c in self.children) if self.children is not None else self.value
        if self.indefinite:
            return bytes((self.tag, 0x80)) + body + b"\x00\x00"
        if self.long_length:
            return bytes((self.tag, 0x84)) + len(body).to_bytes(4, "big") + body
        from ctlbuild.ctl.der import tlv
        return tlv(self.tag, body)


def der_tree(data: bytes, pos: int = 0) -> Node:
    from ctlbuild.ctl.der import read_tlv
    tag, start, end = read_tlv(data, pos)
    if tag & 0x20:
        children, p = [], start
        while p < end:
            child = der_tree(data, p)
            children.append(child)
            p = read_tlv(data, p)[2]
        return Node(tag, children)
    return Node(tag, value=data[start:end])


def signer_info_node(root: Node, n: int = 0) -> Node:
    """ContentInfo → [0] → SignedData → signerInfos (the last field) → SignerInfo n."""
    return root.children[1].children[0].children[-1].children[n]
