"""Signing a CTL: the Signer interface and SignedData assembly (FORMATS.md §1).

>>> from ctlbuild.signing.signer import FileSigner, sign_ctl
>>> signer = FileSigner(private_key, cert_der, chain_ders)                 # doctest: +SKIP
>>> stl = sign_ctl(ctl_der, signer, signing_time=when, opus=None)       # doctest: +SKIP

``cryptography``'s PKCS#7 builder cannot set the CTL content type, so the
envelope is assembled with asn1crypto and only the key operation goes through
the Signer — which is what a PKCS#11 token implements too.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from datetime import datetime

from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..ctl import asn1, der  # noqa: F401  asn1 registers the CTL content type and Microsoft attributes
from ..ctl.der import SEQUENCE
from ..errors import SigningError
from ..model import Opus
from ..oids import Attr, ContentType, HashAlg, SigAlg

DIGESTS = {"sha1": HashAlg.SHA1, "sha256": HashAlg.SHA256, "sha384": HashAlg.SHA384, "sha512": HashAlg.SHA512}
_HASH_CLASSES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
SCHEMES = ("pkcs1v15", "pss", "ecdsa")


class Signer(ABC):
    """What signing needs from a key, wherever the key lives (file, PKCS#11 token)."""

    #: DER of the signer certificate, and of the certificates to embed above it.
    certificate: bytes
    chain: list[bytes]

    @property
    @abstractmethod
    def scheme(self) -> str:
        """One of SCHEMES."""

    @property
    def deterministic(self) -> bool:
        """Same input, same signature? (PSS salts are random.)"""
        return self.scheme != "pss"

    @abstractmethod
    def sign(self, data: bytes, digest: str) -> bytes:
        """Sign ``data`` (hashing it with ``digest``) and return the raw signature."""

    def signature_algorithm(self, digest: str) -> dict:
        """The SignerInfo digestEncryptionAlgorithm for this scheme."""
        if self.scheme == "pkcs1v15":
            # Microsoft's CTLs name plain rsaEncryption here, never sha*WithRSAEncryption.
            return {"algorithm": SigAlg.RSA, "parameters": core.Null()}
        if self.scheme == "pss":
            size = _HASH_CLASSES[digest].digest_size
            params = algos.RSASSAPSSParams({
                "hash_algorithm": {"algorithm": digest},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": digest}},
                "salt_length": size,
            })
            return {"algorithm": SigAlg.RSA_PSS, "parameters": params}
        oids = {"sha256": SigAlg.ECDSA_SHA256, "sha384": SigAlg.ECDSA_SHA384, "sha512": SigAlg.ECDSA_SHA512}
        if digest not in oids:
            raise SigningError(f"ECDSA with {digest.upper()} is not offered: use sha256, sha384 or sha512")
        return {"algorithm": oids[digest]}


class FileSigner(Signer):
    """A private key held in memory (loaded from a file by ``ctlbuild.signing.keyfiles``)."""

    def __init__(self, private_key, certificate: bytes, chain: list[bytes] | None = None,
                 scheme: str | None = None):
        self._key = private_key
        self.certificate = certificate
        self.chain = list(chain or [])
        if scheme is None:
            scheme = "ecdsa" if isinstance(private_key, ec.EllipticCurvePrivateKey) else "pkcs1v15"
        if isinstance(private_key, ec.EllipticCurvePrivateKey) != (scheme == "ecdsa"):
            raise SigningError(f"signature scheme {scheme} does not fit a {_key_kind(private_key)} key")
        self._scheme = scheme

    @property
    def scheme(self) -> str:
        return self._scheme

    def sign(self, data: bytes, digest: str) -> bytes:
        algorithm = _HASH_CLASSES[digest]()
        if self._scheme == "ecdsa":
            # RFC 6979 nonces: the same CTL signed twice gives the same bytes.
            return self._key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
        if self._scheme == "pss":
            pad = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
            return self._key.sign(data, pad, algorithm)
        return self._key.sign(data, padding.PKCS1v15(), algorithm)


def _key_kind(key) -> str:
    return "RSA" if isinstance(key, rsa.RSAPrivateKey) else "EC"


def signed_attributes(content_octets: bytes, digest: str, signing_time: datetime | None,
                      opus: Opus | None) -> cms.CMSAttributes:
    attrs = [
        {"type": "content_type", "values": [ContentType.CTL]},
        {"type": "message_digest", "values": [hashlib.new(digest, content_octets).digest()]},
    ]
    if signing_time is not None:
        attrs.append({"type": "signing_time", "values": [cms.Time(_time_choice(signing_time))]})
    if opus is not None:
        attrs.append({"type": Attr.SPC_SP_OPUS_INFO, "values": [_opus_value(opus)]})
    return cms.CMSAttributes(attrs)


def _time_choice(when: datetime) -> dict:
    when = when.replace(microsecond=0)
    return {"utc_time": when} if 1950 <= when.year < 2050 else {"generalized_time": when}


def _opus_value(opus: Opus) -> dict:
    value = {}
    if opus.program_name is not None:
        value["program_name"] = {"unicode": opus.program_name}
    if opus.url is not None:
        value["more_info"] = {"url": opus.url}
    return value


def sign_ctl(ctl_der: bytes, signer: Signer, *, signing_time: datetime | None,
             opus: Opus | None = None, digest: str = "sha256") -> bytes:
    """The .stl bytes: ContentInfo(SignedData) carrying ``ctl_der`` as Microsoft's files do."""
    if digest not in DIGESTS:
        raise SigningError(f"unknown digest {digest!r} (one of {', '.join(DIGESTS)})")
    _tag, start, _end = der.read_tlv(ctl_der, 0)
    # messageDigest covers the CTL's content octets (no tag and length); a view, not a copy.
    attrs = signed_attributes(memoryview(ctl_der)[start:], digest, signing_time, opus)
    try:
        signature = signer.sign(attrs.dump(), digest)
    except SigningError:
        raise
    except Exception as exc:  # a token or key failure: one line, no traceback
        raise SigningError(f"signing failed: {exc}") from None
    cert = x509.Certificate.load(signer.certificate)
    digest_algorithm = {"algorithm": digest, "parameters": core.Null()}
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "digest_algorithm": digest_algorithm,
        "signed_attrs": attrs,
        "signature_algorithm": signer.signature_algorithm(digest),
        "signature": signature,
    })
    certificates = [x509.Certificate.load(c) for c in [signer.certificate, *signer.chain]]
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [digest_algorithm],
        "encap_content_info": {"content_type": ContentType.CTL},  # the CTL goes in by _envelope
        "certificates": certificates,
        "signer_infos": [signer_info],
    })
    return _envelope(signed_data, ctl_der)


def _envelope(signed_data: cms.SignedData, ctl_der: bytes) -> bytes:
    """ContentInfo { signedData, [0] SignedData { ..., encapContentInfo { CTL, [0] ctl_der }, ... } }.

    The same bytes asn1crypto's dump() gives with the CTL as eContent, assembled
    here because dump() copies the content once per nesting level: ~250 MB of
    copies for a 1M-entry list, where this joins it once."""
    econtent = [der.oid(ContentType.CTL), der.header(0xA0, len(ctl_der)), ctl_der]
    encap = [der.header(SEQUENCE, _size(econtent)), *econtent]
    body = [signed_data["version"].dump(), signed_data["digest_algorithms"].dump(), *encap,
            signed_data["certificates"].dump(), signed_data["signer_infos"].dump()]
    signed = [der.header(SEQUENCE, _size(body)), *body]
    info = [der.oid(ContentType.SIGNED_DATA), der.header(0xA0, _size(signed)), *signed]
    return b"".join([der.header(SEQUENCE, _size(info)), *info])


def _size(parts) -> int:
    return sum(map(len, parts))
