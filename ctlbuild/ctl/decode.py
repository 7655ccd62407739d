"""CertificateTrustList DER → trust list model, keeping whatever it does not model.

>>> from ctlbuild.ctl.decode import decode_ctl
>>> tl = decode_ctl(ctl_der, name="authroot")          # doctest: +SKIP
>>> len(tl.entries), tl.entries[0].friendly_name        # doctest: +SKIP

Strict DER is required. Each known attribute is decoded into its typed field
only when re-encoding the typed value gives back the same bytes; otherwise it
stays in ``Entry.raw_attributes``, so decode → encode is byte-identical.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

from .._gc import paused as gc_paused
from ..errors import FormatError
from ..model import AlikeEntries, Entry, Extension, TrustList
from ..oids import Usage
from ..timeutil import parse_asn1_time
from . import attributes, der
from .der import BOOLEAN, OCTET_STRING, OID, SEQUENCE, SET, DerError

#: Attribute-type OID contents (without tag and length, as they are met) → the entry attribute.
_BY_OID_CONTENT = {der.oid(p.oid)[2:]: p for p in attributes.ENTRY_ATTRIBUTES}


def decode_ctl(buf: bytes, name: str = "ctl", path=None, base: int = 0,
               progress: Callable[[int, int], None] | None = None) -> TrustList:
    """``base`` is the CTL's offset inside the enclosing file, so errors point into the file.
    ``progress(done, total)`` is told every 10,000 entries how many are decoded; ``total`` is
    an estimate from the bytes read so far (the count is not known before the end), and the
    last call gives the exact count twice."""
    if base == 0:  # a file of its own (a bare CTL); inside an envelope the envelope is checked
        der.check_whole(buf, path)
    with _format_errors(path, base):
        return _decode(buf, name, progress)


@contextmanager
def _format_errors(path, base: int):
    """DER and value errors as one FormatError that points into the enclosing file."""
    try:
        yield
    except DerError as exc:
        raise FormatError(f"malformed CTL: {exc}", path=path, offset=base + exc.offset) from None
    except ValueError as exc:
        raise FormatError(f"malformed CTL: {exc}", path=path) from None


def _decode(buf, name, progress, entries_reader=None) -> TrustList:
    start, end = der.expect(buf, 0, SEQUENCE, what="CertificateTrustList")
    if end != len(buf):
        raise DerError("trailing bytes after the CTL", end)
    fields = list(der.children(buf, start, end))
    count = len(fields)
    fields.append((0, end, end, end))  # a missing field reads as tag 0 and fails its check below
    i = 0
    if fields and fields[0][0] == der.INTEGER and _peek_is_version(buf, fields):
        raise DerError("version v1 is the DEFAULT and must not be encoded in DER", fields[0][3])
    tag, s, e, pos = fields[i]
    if tag != SEQUENCE:
        raise DerError("subjectUsage must be a SEQUENCE OF OBJECT IDENTIFIER", pos)
    usages = tuple(der.oids_in(buf, s, e))
    i += 1
    identifier = sequence = next_update = None
    if fields[i][0] == OCTET_STRING:
        identifier = bytes(buf[fields[i][1]:fields[i][2]])
        i += 1
    if fields[i][0] == der.INTEGER:
        sequence = int.from_bytes(buf[fields[i][1]:fields[i][2]], "big", signed=True)
        i += 1
    if fields[i][0] not in (0x17, 0x18):
        raise DerError("thisUpdate missing or not a UTCTime/GeneralizedTime", fields[i][3])
    this_update = parse_asn1_time(fields[i][0], bytes(buf[fields[i][1]:fields[i][2]]))
    i += 1
    if fields[i][0] in (0x17, 0x18):
        next_update = parse_asn1_time(fields[i][0], bytes(buf[fields[i][1]:fields[i][2]]))
        i += 1
    tag, s, e, pos = fields[i]
    if tag != SEQUENCE:
        raise DerError("subjectAlgorithm must be an AlgorithmIdentifier", pos)
    subject_algorithm = _algorithm_oid(buf, s, e)
    i += 1
    entries: list[Entry] = []
    if i < count and fields[i][0] == SEQUENCE:
        entries = (entries_reader or _entries)(buf, fields[i][1], fields[i][2], progress)
        i += 1
    extensions: tuple[Extension, ...] = ()
    if i < count and fields[i][0] == 0xA0:
        extensions = _extensions(buf, fields[i][1], fields[i][2])
        i += 1
    if i != count:
        raise DerError("unexpected field in CertificateTrustList", fields[i][3])
    kind = "disallowed" if Usage.DISALLOWED_LIST in usages else "trusted"
    return TrustList(name=name, kind=kind, this_update=this_update, next_update=next_update,
                     entries=entries, identifier=identifier, sequence=sequence, usages=usages,
                     subject_algorithm=subject_algorithm, extensions=extensions)


def _peek_is_version(buf, fields) -> bool:
    # An INTEGER before subjectUsage can only be an (illegally encoded) version.
    return len(fields) > 1 and fields[1][0] == SEQUENCE


def _algorithm_oid(buf, start, end) -> str:
    s, e = der.expect(buf, start, OID, end, what="algorithm")
    return der.decode_oid(bytes(buf[s:e]))


def _entries(buf, start, end, progress) -> list[Entry] | AlikeEntries:
    run = _alike_run(buf, start, end)
    if run is not None:
        if progress is not None:  # the same calls the walk makes: every 10,000, the last twice
            for done in range(10_000, len(run) + 1, 10_000):
                progress(done, len(run))
            if len(run) >= 10_000:
                progress(len(run), len(run))
        return run
    entries = []
    append = entries.append
    read = der.read_tlv
    memo = _AttributeMemo()
    pos = start
    count = 0
    with gc_paused():  # a million Entry objects and no cycles among them
        while pos < end:
            tag, s, e = read(buf, pos, end)
            if tag != SEQUENCE:
                raise DerError("TrustedSubject must be a SEQUENCE", pos)
            append(_entry(buf, s, e, memo))
            pos = e
            count += 1
            if progress is not None and count % 10_000 == 0:
                progress(count, count * (end - start) // (pos - start))
    if progress is not None and count >= 10_000:
        progress(count, count)
    return entries


#: Entries from which a list is tried as one run of alike entries (``_alike_run``).
_ALIKE_MIN = 64


def _alike_run(buf, start, end) -> AlikeEntries | None:
    """The entries as one AlikeEntries when they all have the first one's size and bytes but
    for the content of their identifier (a list built from [defaults]): the first is decoded
    in full, the rest are proved to read the same by strided slices (``der.columns_equal``),
    and only their identifiers are cut out. None for anything else (the entry-by-entry walk,
    which names what is wrong and where)."""
    if end - start < 2:
        return None
    tag, s, e = der.read_tlv(buf, start, end)
    size = e - start
    if tag != SEQUENCE or (end - start) % size or (end - start) // size < _ALIKE_MIN:
        return None
    first = _entry(buf, s, e)
    _t, id_s, id_e = der.read_tlv(buf, s, e)  # its identifier, checked by _entry
    fixed = [k for k in range(size) if not id_s - start <= k < id_e - start]
    if not der.columns_equal(buf, start, end, size, fixed):
        return None
    n = id_e - id_s
    data = buf if isinstance(buf, bytes) else bytes(buf[start:end])
    base = id_s if data is buf else id_s - start
    return AlikeEntries([data[p:p + n] for p in range(base, base + (end - start), size)], first)


class _AttributeMemo:
    """The reading of each distinct attribute encoding, kept for the next entry.

    Big lists repeat the same attribute bytes on every entry (a disabled-since
    date, an EKU list from [defaults]); reading one is a dozen steps, looking it
    up is one. Only values that repeat are kept (names and hashes are unique),
    and only so many, so a list of all-different entries costs a lookup each."""

    LIMIT = 4096

    def __init__(self):
        self._memo: dict[bytes, tuple] = {}
        #: whole subjectAttributes SETs made only of shared values ([defaults] gives a
        #: million entries the same one): SET bytes -> (typed fields, raw attributes)
        self.sets: dict[bytes, tuple[dict, tuple]] = {}

    def remember_set(self, key: bytes, fields: dict, raw: tuple) -> None:
        if len(self.sets) < self.LIMIT and not _UNIQUE.intersection(fields):
            self.sets[key] = (fields, raw)

    def get(self, buf, pos, end):
        """(field name or None, typed value, dotted OID, raw value) of the attribute at buf[pos:end]."""
        key = bytes(buf[pos:end])  # bytes(b) of bytes is b itself: no copy
        found = self._memo.get(key)
        if found is None:
            found = _attribute(buf, pos, end)
            if found[0] not in _UNIQUE and len(self._memo) < self.LIMIT:
                self._memo[key] = found
        return found


#: Typed fields whose values differ from entry to entry: not worth remembering.
_UNIQUE = frozenset(p.field for p in attributes.UNIQUE)


def _entry(buf, start, end, memo: _AttributeMemo | None = None) -> Entry:
    s, e = der.expect(buf, start, OCTET_STRING, end, what="subjectIdentifier")
    identifier = bytes(buf[s:e])
    if e == end:
        return Entry(identifier=identifier)
    s, attrs_end = der.expect(buf, e, SET, end, what="subjectAttributes")
    if attrs_end != end:
        raise DerError("unexpected field after subjectAttributes", attrs_end)
    if memo is None:
        fields, raw = _attribute_set(buf, s, attrs_end, _attribute)
    else:
        key = bytes(buf[e:end])
        found = memo.sets.get(key)
        if found is None:
            fields, raw = _attribute_set(buf, s, attrs_end, memo.get)
            memo.remember_set(key, fields, raw)
        else:
            fields, raw = found
    return Entry(identifier, raw_attributes=raw, **fields)


def _attribute_set(buf, start, end, read) -> tuple[dict, tuple]:
    """(typed fields by name, raw (OID, bytes) pairs) of the attributes in buf[start:end]."""
    fields: dict = {}
    raw = []
    pos = start
    while pos < end:
        _tag, _s, a_end = der.read_tlv(buf, pos, end)
        name, typed, oid, value = read(buf, pos, a_end)
        if name is None or name in fields:
            raw.append((oid, value))
        else:
            fields[name] = typed
        pos = a_end
    return fields, tuple(raw)


def _attribute(buf, pos, end) -> tuple:
    """One Attribute TLV: (field name or None, typed value or None, dotted OID, value bytes)."""
    tag, a_s, a_e = der.read_tlv(buf, pos, end)
    if tag != SEQUENCE:
        raise DerError("attribute must be a SEQUENCE", pos)
    o_s, o_e = der.expect(buf, a_s, OID, a_e, what="attribute type")
    v_s, v_e = der.expect(buf, o_e, SET, a_e, what="attribute values")
    if v_e != a_e:
        raise DerError("unexpected field after attribute values", v_e)
    value = _single_octets(buf, v_s, v_e)
    oid_content = bytes(buf[o_s:o_e])
    prop = _BY_OID_CONTENT.get(oid_content)
    typed = attributes.read_typed(prop.prop_id, value) if prop is not None else None
    name = prop.field if typed is not None else None
    return name, typed, der.decode_oid(oid_content), value


def _single_octets(buf, start, end) -> bytes:
    # Every attribute Microsoft writes has exactly one OCTET STRING value (FORMATS.md §3);
    # the model keeps one value per attribute, so anything else cannot round-trip.
    s, e = der.expect(buf, start, OCTET_STRING, end, what="attribute value")
    if e != end:
        raise DerError("attribute with more than one value", e)
    return bytes(buf[s:e])


def _extensions(buf, start, end) -> tuple[Extension, ...]:
    s, e = der.expect(buf, start, SEQUENCE, end, what="ctlExtensions")
    out = []
    for tag, xs, xe, pos in der.children(buf, s, e):
        o_s, o_e = der.expect(buf, xs, OID, xe, what="extnID")
        critical = False
        t, cs, ce = der.read_tlv(buf, o_e, xe)
        nxt = o_e
        if t == BOOLEAN:
            critical = buf[cs:ce] == b"\xff"
            nxt = ce
        v_s, v_e = der.expect(buf, nxt, OCTET_STRING, xe, what="extnValue")
        out.append(Extension(der.decode_oid(bytes(buf[o_s:o_e])), bytes(buf[v_s:v_e]), critical))
    return tuple(out)


def decode_header(buf: bytes, name: str = "ctl", path=None, base: int = 0) -> tuple[TrustList, int]:
    """The CTL's header fields (no entries) and its entry count. Entries are walked,
    not decoded: what verification needs from a 1M-entry file in well under a second."""
    counted = {"entries": 0}

    def count_only(buf_, start, end, _progress) -> list:
        counted["entries"] = _count(buf_, start, end)
        return []

    if base == 0:  # a file of its own (a bare CTL); inside an envelope the envelope is checked
        der.check_whole(buf, path)
    with _format_errors(path, base):
        tl = _decode(buf, name, None, entries_reader=count_only)
    return tl, counted["entries"]


def _count(buf, start, end) -> int:
    """How many TrustedSubject SEQUENCEs buf[start:end] holds, each checked to end inside
    it. The one- and two-byte lengths every entry has are read inline (a call per entry
    is most of the cost on 1M entries); anything else goes through ``der.read_tlv``,
    which holds every length to strict DER."""
    uniform = _uniform_count(buf, start, end)
    if uniform is not None:
        return uniform
    n = 0
    pos = start
    while pos < end:
        if buf[pos] != SEQUENCE:
            raise DerError("TrustedSubject must be a SEQUENCE", pos)
        first = buf[pos + 1] if pos + 1 < end else 0x80
        if first < 0x80:
            nxt = pos + 2 + first
        elif first == 0x81 and pos + 2 < end and buf[pos + 2] >= 0x80:
            nxt = pos + 3 + buf[pos + 2]
        else:
            nxt = der.read_tlv(buf, pos, end)[2]
        if nxt > end:
            der.read_tlv(buf, pos, end)  # raises the error that names the overrun
        pos = nxt
        n += 1
    return n


def _uniform_count(buf, start, end) -> int | None:
    """The count when every entry has the first one's size and tag-and-length bytes (a list
    built from [defaults]: all 1M alike), checked by strided slices in C rather than a
    Python step per entry; None when they differ (Microsoft's lists), for the walk."""
    if start >= end:
        return None
    tag, content, stop = der.read_tlv(buf, start, end)  # the first entry, held to strict DER
    size, head = stop - start, content - start
    if tag != SEQUENCE or (end - start) % size:
        return None
    # byte k of every entry's header equals the first entry's (blocks in cache, words at once)
    return (end - start) // size if der.columns_equal(buf, start, end, size, list(range(head))) else None
