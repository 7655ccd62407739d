"""The PKCS#7 SignedData envelope around a CTL (FORMATS.md §1), read and written.

>>> from ctlbuild.formats.stl import parse_signed_ctl
>>> signed = parse_signed_ctl(open("authroot.stl", "rb").read())   # doctest: +SKIP
>>> signed.ctl_der[:1], len(signed.signer_infos)                    # doctest: +SKIP

Only the envelope is parsed here: the CTL is located by walking the DER and
left as bytes, so a 1M-entry file costs nothing until someone decodes it.

Writing (``sign_ctl``): ``cryptography``'s PKCS#7 builder cannot set the CTL
content type, so the envelope is assembled with asn1crypto and only the key
operation goes through the Signer (a key file or a PKCS#11 token).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from asn1crypto import algos, cms, core, x509

from ..ctl import asn1, der  # noqa: F401  asn1 registers the CTL content type and Microsoft attributes
from ..ctl.der import SEQUENCE, DerError
from ..errors import FormatError, SigningError
from ..limits import MAX_DER_DEPTH, MAX_ENVELOPE_ELEMENTS, MAX_SIGNER_INFO_ELEMENTS
from ..model import Opus
from ..oids import HASH_NAMES, SIGNING_DIGESTS, Attr, ContentType, SigAlg
from ..timeutil import iso
from .names import common_name

if TYPE_CHECKING:  # the envelope needs only a Signer's interface, never the signing package
    from ..signing.signer import Signer


@dataclass
class SignedCtl:
    data: bytes
    signed_data: cms.SignedData
    content_type: str
    #: Offset of the CertificateTrustList TLV inside ``data``, and its bytes (a memoryview
    #: when ``data`` is a mapped file).
    ctl_offset: int
    ctl_der: bytes | memoryview
    path: object = None
    #: Where SignedData.certificates ([0]) stands in ``data``, when the file carries it.
    certificates_at: tuple[int, int] | None = None

    @property
    def content_octets(self) -> memoryview:
        """The CTL without its tag and length: what the outer messageDigest covers. A view,
        not a copy (a 1M-entry CTL is 50 MB; hashlib reads views)."""
        return der.content_octets(memoryview(self.ctl_der))

    @cached_property
    def certificates(self) -> list[x509.Certificate]:
        """Every embedded certificate, parsed by asn1crypto (bounded first: the envelope's
        walk left their insides to whoever reads them, and verify reads them by cryptography)."""
        check_certificates(self)
        return _certificates(self.signed_data)

    @property
    def signer_infos(self):
        return list(self.signed_data["signer_infos"])

    @property
    def digest_algorithms(self) -> list[str]:
        return [a["algorithm"].dotted for a in self.signed_data["digest_algorithms"]]


@dataclass(frozen=True)
class SignerFacts:
    """Who made one SignerInfo: its certificate's subject and issuer (common names), serial,
    the digest, and the certificate's notAfter (None when the certificate is not embedded)."""

    subject: str
    issuer: str
    serial: int | None
    digest: str
    not_after: datetime | None = None

    @property
    def key(self) -> tuple:
        """What makes two signers the same signer (a later notAfter of a renewed certificate
        with the same serial does not happen: CAs do not reuse serials)."""
        return self.subject, self.issuer, self.serial, self.digest

    def as_dict(self) -> dict:
        if self.serial is None:
            return {"subject": self.subject, "issuer": self.issuer, "serial": None, "digest": self.digest}
        return {"subject": self.subject, "issuer": self.issuer, "serial": serial_hex(self.serial),
                "digest": self.digest, "not_after": iso(self.not_after)}


def serial_hex(serial: int) -> str:
    """A serial number as the hex of its DER INTEGER content octets, as Windows' certificate
    dialog and ``verify --json`` show it: 0x8f… keeps its leading 00, a negative one its sign."""
    magnitude = serial if serial >= 0 else ~serial
    return serial.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True).hex()


NOT_EMBEDDED = "(certificate not embedded)"
UNPARSED = "(certificate does not parse)"


def signer_facts(signed: SignedCtl) -> list[SignerFacts]:
    """Who signed: subject, issuer and serial of each SignerInfo's certificate."""
    return _facts(signed.signer_infos, signed.certificates)


def nested_signer_facts(signed: SignedCtl) -> list[list[SignerFacts]]:
    """For each outer SignerInfo, who made the signatures nested in its unsigned attributes
    (Microsoft's SHA-256 signature, 1.3.6.1.4.1.311.2.4.1, in the 2011-2019 files): one list
    per outer signer, empty when it carries none. A nested value that does not parse is
    left out here; ``verify`` reports it."""
    out = []
    for info in signed.signer_infos:
        found: list[SignerFacts] = []
        unsigned = info["unsigned_attrs"]
        for attr in () if isinstance(unsigned, core.Void) else unsigned:
            if attr["type"].dotted != Attr.NESTED_SIGNATURE:
                continue
            for value in attr["values"]:
                try:
                    inner = value["content"]
                    held = inner["certificates"]
                    certs = [] if isinstance(held, core.Void) else \
                        [c.chosen for c in held if c.name == "certificate"]
                    found += _facts(list(inner["signer_infos"]), certs)
                except (ValueError, TypeError, KeyError):
                    continue
        out.append(found)
    return out


def _facts(signer_infos, certificates) -> list[SignerFacts]:
    """Each SignerInfo's signer, found among ``certificates`` by issuer and serial."""
    by_sid = {(cert.issuer.dump(), cert.serial_number): cert for cert in certificates}
    out = []
    for info in signer_infos:
        sid = info["sid"]
        cert = None
        if sid.name == "issuer_and_serial_number":
            cert = by_sid.get((sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native))
        oid = info["digest_algorithm"]["algorithm"].dotted
        digest = HASH_NAMES.get(oid, oid)
        if cert is None:
            out.append(SignerFacts(NOT_EMBEDDED, "", None, digest))
            continue
        out.append(_cert_facts(cert, digest))
    return out


def _cert_facts(cert: x509.Certificate, digest: str) -> SignerFacts:
    """The signer's names, serial and notAfter, read from asn1crypto's parse (cryptography
    is not imported to name a signer: ``show --header-only`` would pay 60 ms for it, issue 11).
    The names are read as cryptography reads them (``names.common_name``), so a certificate
    whose names cryptography refuses is UNPARSED here too; ``verify`` says what else is
    wrong with it."""
    try:
        tbs = cert["tbs_certificate"]
        subject, issuer = common_name(tbs["subject"].dump()), common_name(tbs["issuer"].dump())
        serial, not_after = tbs["serial_number"].native, tbs["validity"]["not_after"].native
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return SignerFacts(UNPARSED, "", None, digest)
    if not isinstance(not_after, datetime):  # asn1crypto's extended_datetime: year 0, which cryptography refuses
        return SignerFacts(UNPARSED, "", None, digest)
    return SignerFacts(subject, issuer, serial, digest, not_after)


def parse_signed_ctl(data: bytes, path=None) -> SignedCtl:
    """Parse a DER ContentInfo/SignedData carrying a CTL; FormatError says where it breaks."""
    der.check_whole(data, path)
    try:
        ctl_offset, ctl_end, certs_at = _locate_ctl(data)
        _check_envelope(data, ctl_offset, certs_at)
        signed_data = cms.SignedData.load(_without_content(data), strict=True)
        content_type = signed_data["encap_content_info"]["content_type"].dotted
        signed_data["signer_infos"].native  # parse the signer infos now, not mid-verification
        signed_data["digest_algorithms"].native
        if not _plain_certificates(data, certs_at):
            # Something other than plain certificates, or one not shaped as one: asn1crypto
            # judges it as it always did (bounded first), so the error is the one it gives.
            _bound_certificates(data, certs_at)
            _certificates(signed_data)
    except DerError as exc:
        raise FormatError(f"not a signed CTL: {exc}", path=path, offset=exc.offset) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # asn1crypto parses lazily and hostile bytes reach it in many ways; one line each.
        message = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise FormatError(f"not a signed CTL: {message}", path=path) from None
    if content_type != ContentType.CTL:
        raise FormatError(f"SignedData carries {content_type}, not a CTL ({ContentType.CTL})", path=path)
    # bytes are cut once; a mapped file (lists.sources, for a header) is viewed, not copied
    ctl = data[ctl_offset:ctl_end] if isinstance(data, bytes) else memoryview(data)[ctl_offset:ctl_end]
    return SignedCtl(data, signed_data, content_type, ctl_offset, ctl, path, certs_at)


def check_certificates(signed: SignedCtl) -> None:
    """The FormatError the whole-file walk gives for the embedded certificates (nesting,
    element count, DER lengths), where ``parse_signed_ctl`` left their insides unwalked:
    for a reader that is about to parse them all, or that has met one cryptography refuses."""
    try:
        _bound_certificates(signed.data, signed.certificates_at)
    except DerError as exc:
        raise FormatError(f"not a signed CTL: {exc}", path=signed.path, offset=exc.offset) from None


def _check_envelope(data: bytes, ctl_offset: int, certs_at: tuple[int, int] | None) -> None:
    """asn1crypto parses recursively, and the signer infos (nested signatures included)
    completely, at ~1 KiB per element: bound the nesting of the whole file and the size
    of the signer infos before it sees them. The CTL itself is decoded flat elsewhere; the
    embedded certificates are bounded when asn1crypto is to read them (``_bound_certificates``,
    ``verify.pool``): a file stuffed with 10,000 of them costs their walk only then (issue 11)."""
    try:
        der.check_shape(data, 0, len(data), max_depth=MAX_DER_DEPTH, max_elements=MAX_ENVELOPE_ELEMENTS,
                        skip_at=ctl_offset, skip=(certs_at[0],) if certs_at else ())
    except DerError:
        # Walk it all, certificates too, so that the error is the first in the file, as ever.
        der.check_shape(data, 0, len(data), max_depth=MAX_DER_DEPTH, max_elements=MAX_ENVELOPE_ELEMENTS,
                        skip_at=ctl_offset)
        raise
    s, e = der.expect(data, 0, SEQUENCE)
    _t, _s, pos = der.read_tlv(data, s, e)  # contentType
    s, e = der.expect(data, pos, 0xA0, e)
    s, e = der.expect(data, s, SEQUENCE, e)
    last = None
    for _tag, _cs, _ce, at in der.children(data, s, e):
        last = at
    if last is not None:
        der.check_shape(data, last, e, max_depth=MAX_DER_DEPTH, max_elements=MAX_SIGNER_INFO_ELEMENTS)


#: How deep SignedData.certificates stands: under ContentInfo, its [0] and SignedData.
CERTIFICATES_DEPTH = 3


def _bound_certificates(data: bytes, certs_at: tuple[int, int] | None) -> None:
    """The whole-file walk's bounds, applied to the certificates it left out."""
    if certs_at is not None:
        der.check_shape(data, *certs_at, max_depth=MAX_DER_DEPTH, max_elements=MAX_ENVELOPE_ELEMENTS,
                        depth=CERTIFICATES_DEPTH)


def _plain_certificates(data: bytes, certs_at: tuple[int, int] | None) -> bool:
    """Whether every element of SignedData.certificates is a certificate whose outer shape
    (tbsCertificate, signatureAlgorithm, signatureValue, nothing more) asn1crypto accepts,
    read from the TLVs: ~10 µs each, where asn1crypto took ~100. False is not an error,
    only a reason to let asn1crypto judge the lot as before."""
    if certs_at is None:
        return True
    try:
        _t, pos, end = der.read_tlv(data, certs_at[0], certs_at[1])
        while pos < end:
            tag, s, e = der.read_tlv(data, pos, end)
            if tag != SEQUENCE:
                return False
            t1, _s, at = der.read_tlv(data, s, e)
            t2, _s, at = der.read_tlv(data, at, e)
            t3, _s, at = der.read_tlv(data, at, e)
            if (t1, t2, t3) != (SEQUENCE, SEQUENCE, 0x03) or at != e:
                return False
            pos = e
    except DerError:
        return False
    return True


def _certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """The embedded certificates, each parsed to its outer structure (a broken one is a
    FormatError of the file, not a surprise later)."""
    certs = signed_data["certificates"]
    if isinstance(certs, core.Void):
        return []
    out = []
    for choice in certs:
        if choice.name == "certificate":
            cert = choice.chosen
            cert["tbs_certificate"]  # parse the outer SEQUENCE now
            out.append(cert)
    return out


def _without_content(data: bytes) -> bytes:
    """The SignedData with its encapContentInfo cut down to the content type. asn1crypto
    copies an element's contents at every level it parses, and the CTL is nearly all of a
    1M-entry file (50 MB, five copies); the envelope's other parts are all it needs to read,
    and the CTL is cut out of ``data`` once, by ``_locate_ctl``'s offsets."""
    s, e = der.expect(data, 0, SEQUENCE, what="ContentInfo")
    _t, _os, oe = der.read_tlv(data, s, e)
    s, e = der.expect(data, oe, 0xA0, e, what="ContentInfo content")
    s, e = der.expect(data, s, SEQUENCE, e, what="SignedData")
    parts = []
    view = memoryview(data)
    for index, (_tag, cs, ce, pos) in enumerate(der.children(data, s, e)):
        if index == 2:  # encapContentInfo: eContentType, then the [0] eContent left out
            _t, _ts, te = der.read_tlv(data, cs, ce)
            parts.append(der.seq(data[cs:te]))
        else:
            parts.append(view[pos:ce])  # views, joined once: 10,000 certificates are 12 MB
    return b"".join([der.header(SEQUENCE, sum(map(len, parts))), *parts])


def _locate_ctl(data: bytes) -> tuple[int, int, tuple[int, int] | None]:
    """Walk ContentInfo → [0] → SignedData → encapContentInfo → [0] → CTL by hand: the CTL's
    (start, end), and (start, end) of SignedData.certificates, the [0] after encapContentInfo
    (None when the file carries none)."""
    s, e = der.expect(data, 0, SEQUENCE, what="ContentInfo")
    if e != len(data):
        raise DerError("trailing bytes after the ContentInfo", e)
    t, os_, oe = der.read_tlv(data, s, e)
    if data[os_:oe] != der.oid(ContentType.SIGNED_DATA)[2:]:
        raise DerError("ContentInfo is not signedData", s)
    s, e = der.expect(data, oe, 0xA0, e, what="ContentInfo content")
    s, sd_end = der.expect(data, s, SEQUENCE, e, what="SignedData")
    pos = s
    for what in ("version", "digestAlgorithms"):
        _t, _cs, pos = der.read_tlv(data, pos, sd_end)
    s, e = der.expect(data, pos, SEQUENCE, sd_end, what="encapContentInfo")
    _t, _cs, pos = der.read_tlv(data, s, e)
    if pos == e:
        raise DerError("encapContentInfo has no content (detached signature)", s)
    tag, cs, ce = der.read_tlv(data, pos, e)
    if tag == 0xA0:
        inner_tag, _is, ie = der.read_tlv(data, cs, ce)
        if inner_tag == der.OCTET_STRING:
            raise DerError("CTL wrapped in an OCTET STRING (CMS style); Microsoft's CTLs are not", cs)
        if inner_tag != SEQUENCE or ie != ce:
            raise DerError("eContent is not a single CertificateTrustList SEQUENCE", cs)
        certs_at = None
        if e < sd_end:
            certs_tag, _s, certs_end = der.read_tlv(data, e, sd_end)
            certs_at = (e, certs_end) if certs_tag == 0xA0 else None
        return cs, ce, certs_at
    raise DerError("encapContentInfo content is not [0] EXPLICIT", pos)


# -- writing ------------------------------------------------------------------------------

def signature_algorithm(scheme: str, digest: str) -> dict:
    """The SignerInfo digestEncryptionAlgorithm for a signature scheme (``signing.signer.SCHEMES``)."""
    if scheme == "pkcs1v15":
        # Microsoft's CTLs name plain rsaEncryption here, never sha*WithRSAEncryption.
        return {"algorithm": SigAlg.RSA, "parameters": core.Null()}
    if scheme == "pss":
        size = hashlib.new(digest).digest_size
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




def signed_attributes(covered: bytes, digest: str, signing_time: datetime | None,
                      opus: Opus | None) -> cms.CMSAttributes:
    """contentType, messageDigest (of ``covered``, the CTL's content octets), signingTime
    and SpcSpOpusInfo, in Microsoft's order (DER sorts the SET when it is dumped)."""
    attrs = [
        {"type": "content_type", "values": [ContentType.CTL]},
        {"type": "message_digest", "values": [hashlib.new(digest, covered).digest()]},
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
    if digest not in SIGNING_DIGESTS:
        raise SigningError(f"unknown digest {digest!r} (one of {', '.join(SIGNING_DIGESTS)})")
    # messageDigest covers the CTL's content octets (no tag and length); a view, not a copy.
    attrs = signed_attributes(der.content_octets(memoryview(ctl_der)), digest, signing_time, opus)
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
        "signature_algorithm": signature_algorithm(signer.scheme, digest),
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
