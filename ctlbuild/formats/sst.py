"""Microsoft serialized certificate stores (.sst, CERT_STORE_SAVE_AS_STORE), read and written.

>>> from ctlbuild.ctl.attributes import FRIENDLY_NAME, encode_text
>>> from ctlbuild.formats.sst import SerializedStore, SstContext, SstProperty, read_sst, write_sst
>>> cert = bytes.fromhex("3003020101")                      # any DER SEQUENCE will do here
>>> name = SstProperty(FRIENDLY_NAME.prop_id, encode_text("A"))
>>> store = SerializedStore((SstContext("cert", cert, (name,)),))
>>> data = write_sst(store)
>>> data[:8].hex(), len(data)
('0000000043455254', 53)
>>> read_sst(data) == store
True

Layout (FORMATS.md §5; MS-OSHARED 2.3.9.1 and 2.3.2.5): the 8-byte header
``00000000 "CERT"``, then elements of ``u32le id | u32le encodingType |
u32le length | bytes``, then the end marker (id 0 and eight zero bytes). Ids
0x20/0x21/0x22 are a certificate / CRL / CTL context; any other id 1…0xFFFF is a
CERT_*_PROP_ID property that belongs to the context **after** it.

Properties are kept in file order with their encodingType, so read → write is
byte-identical for Microsoft's files. Property values are the same raw bytes a
CTL entry attribute carries (``ctlbuild.ctl.attributes`` declares both). How
``show`` puts a property into words is ``ctlbuild.reports.show``'s business.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from ..ctl import attributes, der
from ..errors import FormatError, TruncatedError
from ..limits import MAX_SST_ELEMENTS, MAX_SST_PROPERTIES
from ..model import Entry

FILE_HEADER = b"\0\0\0\0CERT"
#: id 0, encodingType 0, length 0: what both Windows and Wine write last.
END_MARKER = b"\0" * 12
X509_ASN_ENCODING = 1

#: Element ids of the contexts themselves (Wine's "reserved" CERT_CERT/CRL/CTL_PROP_ID).
CONTEXT_IDS = attributes.CONTEXT_IDS
_KINDS = {v: k for k, v in CONTEXT_IDS.items()}

_ELEMENT = struct.Struct("<III")


@dataclass(frozen=True, slots=True)
class SstProperty:
    """One CERT_*_PROP_ID property: the raw property bytes, as Windows stores them."""

    prop_id: int
    value: bytes
    #: Microsoft and Wine write 1 (X509_ASN_ENCODING); kept as read so rewrites are exact.
    encoding_type: int = X509_ASN_ENCODING

    def __post_init__(self):
        if not 1 <= self.prop_id <= attributes.MAX_ID or self.prop_id in _KINDS:
            raise ValueError(f"{self.prop_id} is not a property id (1…0xFFFF, not 0x20–0x22)")

    @property
    def name(self) -> str:
        return attributes.name_of(self.prop_id)


@dataclass(frozen=True, slots=True)
class SstContext:
    """A certificate, CRL or CTL (its DER) with the properties stored before it."""

    kind: str
    der: bytes
    properties: tuple[SstProperty, ...] = ()
    encoding_type: int = X509_ASN_ENCODING

    def __post_init__(self):
        if self.kind not in CONTEXT_IDS:
            raise ValueError(f"context kind must be one of {', '.join(CONTEXT_IDS)}, not {self.kind!r}")
        if type(self.properties) is not tuple:
            object.__setattr__(self, "properties", tuple(self.properties))

    def get(self, prop_id: int) -> bytes | None:
        """The value of the first property with this id, or None."""
        for prop in self.properties:
            if prop.prop_id == prop_id:
                return prop.value
        return None

    @property
    def friendly_name(self) -> str | None:
        raw = self.get(attributes.FRIENDLY_NAME.prop_id)
        return None if raw is None else attributes.display_text(raw)

    def sha1_matches(self) -> bool | None:
        """Whether the SHA-1 property equals SHA-1 of the context's DER (None when it has none)."""
        stored = self.get(attributes.SHA1.prop_id)
        return None if stored is None else stored == hashlib.sha1(self.der).digest()


@dataclass(frozen=True, slots=True)
class SerializedStore:
    contexts: tuple[SstContext, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "contexts", tuple(self.contexts))

    def _of(self, kind: str) -> tuple[SstContext, ...]:
        return tuple(c for c in self.contexts if c.kind == kind)

    @property
    def certificates(self) -> tuple[SstContext, ...]:
        return self._of("cert")

    @property
    def crls(self) -> tuple[SstContext, ...]:
        return self._of("crl")

    @property
    def ctls(self) -> tuple[SstContext, ...]:
        return self._of("ctl")


def is_sst(data: bytes) -> bool:
    """Sniff by content: the 8-byte header, then room for at least the end marker."""
    return bytes(data[:8]) == FILE_HEADER and len(data) >= len(FILE_HEADER) + len(END_MARKER)


def read_sst(data: bytes, path=None) -> SerializedStore:
    """Parse strictly with the MS-OSHARED rule (properties before their context).

    Every structural problem is a FormatError naming ``path`` and the byte offset.
    Lengths are checked against the bytes actually present before anything is
    sliced, so a file claiming a 4 GiB element costs nothing.
    """
    data = bytes(data)
    size = len(data)

    def fail(message: str, offset: int):
        raise FormatError(message, path=path, offset=offset)

    if size < len(FILE_HEADER):
        fail(f"truncated file: {size} bytes, a serialized store starts with an 8-byte header", 0)
    if data[:8] != FILE_HEADER:
        fail(f"not a serialized certificate store: header {data[:8].hex()}, expected 0000000043455254", 0)
    contexts: list[SstContext] = []
    pending: list[SstProperty] = []
    pending_at = None  # offset of the first property still waiting for its context
    pos = len(FILE_HEADER)
    elements = 0
    # Names bound once: this loop runs for every element of stores of 100k+ certificates.
    head, unpack, max_id, kinds = _ELEMENT.size, _ELEMENT.unpack_from, attributes.MAX_ID, _KINDS
    while True:
        elements += 1
        if elements > MAX_SST_ELEMENTS:  # each costs ~100 bytes of objects for its 12 of file
            fail(f"more than {MAX_SST_ELEMENTS} elements (the limit for a serialized store)", pos)
        if pos + head > size:
            if pos == size:
                fail("no end marker (element id 0) before the end of the file", pos)
            raise TruncatedError(path=path, offset=pos, needs=head, size=size, what="element header")
        elem_id, encoding, length = unpack(data, pos)
        if elem_id == 0:
            if encoding or length:
                fail(f"end marker must be 12 zero bytes, found {data[pos:pos + 12].hex()}", pos)
            if pending:
                fail(f"{len(pending)} propert{'y' if len(pending) == 1 else 'ies'} with no context "
                     "after them (properties come before their certificate)", pending_at)
            if pos + head != size:
                fail(f"{size - pos - head} bytes after the end marker", pos + head)
            return SerializedStore(tuple(contexts))
        if elem_id > max_id:
            fail(f"unknown element id 0x{elem_id:x} (properties are 1…0xFFFF)", pos)
        start = pos + head
        if length > size - start:
            raise TruncatedError(path=path, offset=pos, needs=head + length, size=size,
                                 what=f"element 0x{elem_id:x}")
        pos = start + length
        value = data[start:pos]
        kind = kinds.get(elem_id)
        if kind is None:
            if not pending:
                pending_at = start - head
            elif len(pending) >= MAX_SST_PROPERTIES:
                fail(f"more than {MAX_SST_PROPERTIES} properties before one context (the limit)", pending_at)
            pending.append(_property(elem_id, value, encoding))  # 1…0xFFFF, not a context id: checked above
        else:
            _check_der(value, kind, start, path)
            contexts.append(_context(kind, value, tuple(pending), encoding))
            pending = []


_new, _set = object.__new__, object.__setattr__


def _property(prop_id: int, value: bytes, encoding_type: int = X509_ASN_ENCODING) -> SstProperty:
    """An SstProperty whose id its maker has already checked (the reader, the attribute table),
    without ``__post_init__``'s check: a third of the cost of reading a store otherwise."""
    prop = _new(SstProperty)
    _set(prop, "prop_id", prop_id)
    _set(prop, "value", value)
    _set(prop, "encoding_type", encoding_type)
    return prop


def _context(kind: str, der_: bytes, properties: tuple, encoding_type: int) -> SstContext:
    """An SstContext of a known kind and a tuple of properties (what ``__post_init__`` ensures)."""
    ctx = _new(SstContext)
    _set(ctx, "kind", kind)
    _set(ctx, "der", der_)
    _set(ctx, "properties", properties)
    _set(ctx, "encoding_type", encoding_type)
    return ctx


def _check_der(value: bytes, kind: str, start: int, path) -> None:
    # Certificates, CRLs and (signed) CTLs are each one DER SEQUENCE; anything else
    # means the element boundaries are wrong, which is worth saying where.
    try:
        tag, _s, end = der.read_tlv(value, 0)
    except der.DerError as exc:
        raise FormatError(f"{kind} element is not DER: {exc}", path=path, offset=start + exc.offset) from None
    if tag != der.SEQUENCE:
        raise FormatError(f"{kind} element is not a DER SEQUENCE (tag 0x{tag:02x})", path=path, offset=start)
    if end != len(value):
        raise FormatError(f"{kind} element has {len(value) - end} bytes after its DER", path=path,
                          offset=start + end)


def write_sst(store: SerializedStore) -> bytes:
    """The exact inverse of read_sst: header, per context its properties then itself, end marker."""
    parts = [FILE_HEADER]
    pack = _ELEMENT.pack
    for ctx in store.contexts:
        for prop in ctx.properties:
            parts.append(pack(prop.prop_id, prop.encoding_type, len(prop.value)))
            parts.append(prop.value)
        parts.append(pack(CONTEXT_IDS[ctx.kind], ctx.encoding_type, len(ctx.der)))
        parts.append(ctx.der)
    parts.append(END_MARKER)
    return b"".join(parts)


# -- building properties from a trust-list entry --------------------------------------------

def properties_for_entry(cert_der: bytes | None, entry: Entry) -> tuple[SstProperty, ...]:
    """The properties a store would hold for ``entry``'s certificate: its SHA-1 first,
    as Windows' SSTs have it, then whatever the entry carries, encoded exactly as the
    CTL attribute values are. Entry attributes under 1.3.6.1.4.1.311.10.11.<id> that
    stayed raw are copied too; other raw attributes cannot be properties and are left out.

    ``cert_der`` None means ``entry.cert``. ValueError when there is no certificate
    or the entry's identifier does not describe it.
    """
    cert_der = cert_der if cert_der is not None else entry.cert
    if cert_der is None:
        raise ValueError(f"entry {entry.label} has no certificate to store")
    sha1 = hashlib.sha1(cert_der).digest()
    if entry.identifier != sha1:  # a SHA-1 thumbprint names these bytes by definition: no parse
        from .certificates import CertInfo  # cryptography: not for sniffing a file that is no store

        if not CertInfo.from_der(cert_der).is_named_by(entry.identifier):
            raise ValueError(f"entry {entry.label}: identifier {entry.identifier.hex()} is not this certificate's")
    # The table's ids are property ids (tests/formats/test_sst.py checks it), so no check per entry.
    props = [_property(attributes.SHA1.prop_id, sha1)]
    seen = {attributes.SHA1.prop_id}
    for prop in attributes.SST_ORDER:
        value = getattr(entry, prop.field)
        if value is not None:
            props.append(_property(prop.prop_id, prop.codec.encode(value)))
            seen.add(prop.prop_id)
    for oid, raw in entry.raw_attributes:
        prop_id = attributes.prop_id_of(oid)
        if prop_id is not None and prop_id not in seen:
            props.append(SstProperty(prop_id, raw))
            seen.add(prop_id)
    return tuple(props)
