"""Reading the PKCS#7 SignedData envelope around a CTL (FORMATS.md §1).

>>> from ctlbuild.formats.stl import parse_signed_ctl
>>> signed = parse_signed_ctl(open("authroot.stl", "rb").read())   # doctest: +SKIP
>>> signed.ctl_der[:1], len(signed.signer_infos)                    # doctest: +SKIP

Only the envelope is parsed here: the CTL is located by walking the DER and
left as bytes, so a 1M-entry file costs nothing until someone decodes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from asn1crypto import cms, core, x509

from ..ctl import asn1, der  # noqa: F401  asn1 registers the CTL content type and Microsoft attributes
from ..ctl.der import SEQUENCE, DerError
from ..errors import FormatError
from ..limits import MAX_DER_DEPTH, MAX_ENVELOPE_ELEMENTS, MAX_SIGNER_INFO_ELEMENTS
from ..oids import ContentType


@dataclass
class SignedCtl:
    data: bytes
    signed_data: cms.SignedData
    content_type: str
    #: Offset of the CertificateTrustList TLV inside ``data``, and its bytes.
    ctl_offset: int
    ctl_der: bytes
    path: object = None

    @property
    def content_octets(self) -> bytes:
        """The CTL without its tag and length: what the outer messageDigest covers."""
        _t, start, _e = der.read_tlv(self.ctl_der, 0)
        return self.ctl_der[start:]

    @cached_property
    def certificates(self) -> list[x509.Certificate]:
        return _certificates(self.signed_data)

    @property
    def signer_infos(self):
        return list(self.signed_data["signer_infos"])

    @property
    def digest_algorithms(self) -> list[str]:
        return [a["algorithm"].dotted for a in self.signed_data["digest_algorithms"]]


def parse_signed_ctl(data: bytes, path=None) -> SignedCtl:
    """Parse a DER ContentInfo/SignedData carrying a CTL; FormatError says where it breaks."""
    try:
        ctl_offset, ctl_end = _locate_ctl(data)
        _check_envelope(data, ctl_offset)
        info = cms.ContentInfo.load(data, strict=True)
        signed_data = info["content"]
        content_type = signed_data["encap_content_info"]["content_type"].dotted
        signed_data["signer_infos"].native  # parse the signer infos now, not mid-verification
        signed_data["digest_algorithms"].native
        _certificates(signed_data)
    except DerError as exc:
        raise FormatError(f"not a signed CTL: {exc}", path=path, offset=exc.offset) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # asn1crypto parses lazily and hostile bytes reach it in many ways; one line each.
        message = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise FormatError(f"not a signed CTL: {message}", path=path) from None
    if content_type != ContentType.CTL:
        raise FormatError(f"SignedData carries {content_type}, not a CTL ({ContentType.CTL})", path=path)
    return SignedCtl(data, signed_data, content_type, ctl_offset, data[ctl_offset:ctl_end], path)


def _check_envelope(data: bytes, ctl_offset: int) -> None:
    """asn1crypto parses recursively, and the signer infos (nested signatures included)
    completely, at ~1 KiB per element: bound the nesting of the whole file and the size
    of the signer infos before it sees them. The CTL itself is decoded flat elsewhere."""
    der.check_shape(data, 0, len(data), max_depth=MAX_DER_DEPTH, max_elements=MAX_ENVELOPE_ELEMENTS,
                    skip_at=ctl_offset)
    s, e = der.expect(data, 0, SEQUENCE)
    _t, _s, pos = der.read_tlv(data, s, e)  # contentType
    s, e = der.expect(data, pos, 0xA0, e)
    s, e = der.expect(data, s, SEQUENCE, e)
    last = None
    for _tag, _cs, _ce, at in der.children(data, s, e):
        last = at
    if last is not None:
        der.check_shape(data, last, e, max_depth=MAX_DER_DEPTH, max_elements=MAX_SIGNER_INFO_ELEMENTS)


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


def _locate_ctl(data: bytes) -> tuple[int, int]:
    """Walk ContentInfo → [0] → SignedData → encapContentInfo → [0] → CTL by hand."""
    s, e = der.expect(data, 0, SEQUENCE, what="ContentInfo")
    if e != len(data):
        raise DerError("trailing bytes after the ContentInfo", e)
    t, os_, oe = der.read_tlv(data, s, e)
    if data[os_:oe] != der.oid(ContentType.SIGNED_DATA)[2:]:
        raise DerError("ContentInfo is not signedData", s)
    s, e = der.expect(data, oe, 0xA0, e, what="ContentInfo content")
    s, e = der.expect(data, s, SEQUENCE, e, what="SignedData")
    pos = s
    for what in ("version", "digestAlgorithms"):
        _t, _cs, pos = der.read_tlv(data, pos, e)
    s, e = der.expect(data, pos, SEQUENCE, e, what="encapContentInfo")
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
        return cs, ce
    raise DerError("encapContentInfo content is not [0] EXPLICIT", pos)
