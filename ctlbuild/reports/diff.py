"""What changed between two releases of a trust list, in a PKI operator's terms.

>>> from ctlbuild.reports.diff import diff_files
>>> d = diff_files("authroot-2018-05-18.stl", "authroot-2018-06-19.stl")   # doctest: +SKIP
>>> d.differs, len(d.added), [c.label for c in d.changed]                  # doctest: +SKIP
(True, 1, ['Starfield Technologies Inc.', ...])

Entries are matched by identifier, never by position: Microsoft reshuffles its
entries between releases, so a reordering is noted once and not reported as a
change. Two files whose CTL content is byte-identical differ at most in their
envelope (signer, certificates, signature), which is said plainly.

Two CTL files are compared without decoding their entries: each entry's DER is
a byte string, the strings both files share are unchanged, and only the few
that differ are decoded (a 1M-entry pair that differs in 1% takes seconds).
Lists (.toml) are compared as models, so their display fields (issuer, updates)
are at hand for the report; they are never counted as changes, since they are
not in the CTL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..ctl import attributes, der
from ..ctl.ctlogs import log_ids
from ..ctl.decode import decode_ctl, decode_header
from ..ctl.encode import encode_ctl
from ..errors import FormatError
from ..formats.cab import ctl_member
from ..formats.sniff import CAB, CTL, STL, sniff
from ..limits import as_path, is_folder, is_stdin, shown_path
from ..lists.sources import Source, ctl_name, holding_ctl, read_bytes, read_ctl, source_from_bytes
from ..model import Entry, Extension, TrustList
from ..oids import Attr, CtlExt
from ..timeutil import Filetime, iso

if TYPE_CHECKING:
    from ..formats.stl import SignedCtl

#: Entry attributes compared, in the order changes are reported (the kinds come from the
#: attribute table; raw_attributes are the ones it does not model).
SET_ATTRIBUTES = attributes.SET_FIELDS
DATE_ATTRIBUTES = attributes.DATE_FIELDS
VALUE_ATTRIBUTES = attributes.VALUE_FIELDS + ("raw_attributes",)
#: Every ``AttrChange.attribute`` there is (the JSON schema lists the same).
ATTRIBUTES = SET_ATTRIBUTES + DATE_ATTRIBUTES + VALUE_ATTRIBUTES + ("certificate",)
#: Every ``FieldChange.field`` of the header, in report order.
HEADER_FIELDS = ("sequence_number", "this_update", "next_update", "usages", "list_identifier",
                 "subject_algorithm")
#: Each header field's TrustList attribute.
_HEADER_ATTRS = tuple(zip(HEADER_FIELDS, ("sequence", "this_update", "next_update", "usages", "identifier",
                                          "subject_algorithm")))


@dataclass(frozen=True)
class AttrChange:
    """One attribute of one entry. ``kind``: for sets (EKUs, policies) "changed" with
    ``added``/``removed``, or "set"/"cleared" when the attribute appears or disappears;
    for dates "set", "moved", "cleared"; for values "changed", "set", "cleared";
    for "certificate" "set" (now present) or "cleared" (now absent).

    ``old`` and ``new`` are the entry's values as the model holds them (OID tuples,
    ``Filetime``, bytes, text, raw (OID, bytes) pairs, or for "certificate" whether
    there is one); ``as_dict`` is where they become JSON."""

    attribute: str
    kind: str
    old: object = None
    new: object = None
    added: tuple = ()
    removed: tuple = ()

    def as_dict(self) -> dict:
        return {"attribute": self.attribute, "kind": self.kind, "old": _json_value(self.old),
                "new": _json_value(self.new), "added": list(self.added), "removed": list(self.removed)}


def _json_value(value):
    if isinstance(value, Filetime):
        return value.iso() or "no date"
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [{"oid": o, "value_hex": v.hex()} if isinstance(o, str) and isinstance(v, bytes) else o
                for o, v in value] if value and isinstance(value[0], tuple) else list(value)
    return value


@dataclass(frozen=True)
class EntryChange:
    old: Entry
    new: Entry
    changes: tuple[AttrChange, ...]

    @property
    def label(self) -> str:
        return self.new.label


@dataclass(frozen=True)
class FieldChange:
    """A header field (``HEADER_FIELDS``) or an envelope fact ("signer", "certificates",
    "signature"), before and after, as the model holds them: the sequence number an int,
    dates datetimes, the usages an OID tuple, the list identifier bytes; signers a tuple of
    ``SignerFacts``, certificates their sorted SHA-1s, signatures each signer's signingTime."""

    field: str
    old: object
    new: object

    def as_dict(self) -> dict:
        return {"field": self.field, "old": _field_json(self.field, self.old),
                "new": _field_json(self.field, self.new)}


def _field_json(name: str, value):
    if value is None:
        return None
    if name == "sequence_number":
        return str(value)
    if name in ("this_update", "next_update"):
        return iso(value)
    if name == "signer":
        return [s.as_dict() for s in value]
    if name == "signature":
        return [iso(w) if w is not None else None for w in value]
    if name == "certificates":
        return [h.hex() for h in value]
    return _json_value(value)


@dataclass(frozen=True)
class ExtensionChange:
    """A CTL extension "added", "removed" or "changed" (value or criticality)."""

    oid: str
    kind: str
    old: Extension | None
    new: Extension | None

    def as_dict(self) -> dict:
        def side(x):
            return None if x is None else {"critical": x.critical, "value_hex": x.value.hex()}
        return {"oid": self.oid, "kind": self.kind, "old": side(self.old), "new": side(self.new)}


@dataclass
class CtlDiff:
    """``old``/``new`` are the two lists. When both sides are CTL files their entries are
    not decoded (``entries`` is empty; see ``old_count``/``new_count``): only the entries
    in ``added``, ``removed`` and ``changed`` ever are."""

    old: TrustList
    new: TrustList
    header: list[FieldChange] = field(default_factory=list)
    extensions: list[ExtensionChange] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[EntryChange] = field(default_factory=list)
    reordered: bool = False
    #: Entries whose EKU or policy lists only changed order: Windows reads them as sets.
    sets_reordered: int = 0
    ct_logs_added: list[str] = field(default_factory=list)
    ct_logs_removed: list[str] = field(default_factory=list)
    content_identical: bool = False
    #: The CTL bytes differ, yet no field, entry or order does: a different DER encoding.
    encoding_changed: bool = False
    envelope: list[FieldChange] = field(default_factory=list)
    #: Whether the envelopes were compared: only when both sides are signed.
    envelope_compared: bool = False
    old_count: int = 0
    new_count: int = 0
    old_source: Source | None = None
    new_source: Source | None = None

    @property
    def identical(self) -> bool:
        """Byte-identical CTL content and, where both are signed, the same envelope."""
        return self.content_identical and not self.envelope

    @property
    def differs(self) -> bool:
        """Anything to report: what ``ctlbuild diff`` exits 1 for. A reordering alone is not."""
        return bool(self.header or self.extensions or self.added or self.removed or self.changed
                    or self.ct_logs_added or self.ct_logs_removed or self.encoding_changed
                    or self.envelope)


@dataclass
class Side:
    """One side of a diff: the source as read and its CTL's DER. For a CTL file read by
    ``read_side`` the trust list is the header alone (``entries_decoded`` False)."""

    source: Source
    ctl_der: bytes
    entries_decoded: bool
    count: int

    @property
    def trust_list(self) -> TrustList:
        return self.source.trust_list


# -- reading ------------------------------------------------------------------------------------

def read_side(path) -> Side:
    """A file to diff. Signed CTLs (.stl, or inside a .cab) are read up to their header and
    their entries left as bytes; everything else (lists, stores, bare CTLs) is read as
    ``read_source`` reads it."""
    path = as_path(path)
    if not is_folder(path):
        data, stdin = read_bytes(path), is_stdin(path)
        path = shown_path(path)
        kind, member, name = sniff(data), None, ctl_name(path.name)
        if kind == CAB:
            member, data = ctl_member(data, path=path)
            name = ctl_name(member, name)
        if kind in (CAB, STL):
            from ..formats.stl import parse_signed_ctl  # asn1crypto: only for a signed CTL

            signed = parse_signed_ctl(data, path=path)
            header, count = decode_header(signed.ctl_der, name=name, path=path, base=signed.ctl_offset)
            return Side(Source(path, kind, header, signed, member=member), signed.ctl_der, False, count)
        if kind == CTL:  # a bare CTL (build --content-only)
            header, count = decode_header(data, name=name, path=path)
            return Side(Source(path, CTL, header), data, False, count)
        return _decoded_side(holding_ctl(source_from_bytes(path, data, stdin=stdin)))  # read once: it may be stdin
    return _decoded_side(read_ctl(path))


def _decoded_side(source: Source) -> Side:
    ctl = source.signed.ctl_der if source.signed else encode_ctl(source.trust_list)
    return Side(source, ctl, True, len(source.trust_list.entries))


def _decode_entries(side: Side) -> Side:
    signed = side.source.signed
    tl = decode_ctl(side.ctl_der, name=side.trust_list.name, path=side.source.path,
                    base=signed.ctl_offset if signed else 0)
    return replace(side, source=replace(side.source, trust_list=tl), entries_decoded=True)


# -- comparing ----------------------------------------------------------------------------------

def diff_files(old_path, new_path) -> CtlDiff:
    """Two files, each a signed CTL (.stl, .cab), a store holding one, a bare CTL or a list."""
    return diff_sides(read_side(old_path), read_side(new_path))


def diff_sources(old: Source, new: Source) -> CtlDiff:
    """Two sources already read (and decoded) by ``readers.read_source``."""
    return diff_sides(_decoded_side(old), _decoded_side(new))


def diff_sides(old: Side, new: Side) -> CtlDiff:
    if old.entries_decoded != new.entries_decoded:
        # A list against a CTL file: compare models, so the list's display fields count.
        old, new = (s if s.entries_decoded else _decode_entries(s) for s in (old, new))
    if old.entries_decoded:
        # Only lists know an entry's certificate: a CTL never carries it.
        both_lists = old.source.kind == "list" and new.source.kind == "list"
        d = diff_lists(old.trust_list, new.trust_list, old.ctl_der, new.ctl_der, compare_certificates=both_lists)
    else:
        d = CtlDiff(old.trust_list, new.trust_list)
        d.content_identical = old.ctl_der == new.ctl_der
        _header_into(d)
        if not d.content_identical:
            _raw_entries_into(d, old, new)
        _encoding_into(d)
    d.old_count, d.new_count = old.count, new.count
    d.old_source, d.new_source = old.source, new.source
    if old.source.signed and new.source.signed:
        d.envelope_compared = True
        d.envelope = _envelope(old.source.signed, new.source.signed, d.content_identical)
    return d


def diff_lists(old: TrustList, new: TrustList, old_der: bytes | None = None,
               new_der: bytes | None = None, compare_certificates: bool = True) -> CtlDiff:
    """Two models, entry by entry. The DERs, when given, save encoding both lists to tell
    whether the content is identical."""
    d = CtlDiff(old, new, old_count=len(old.entries), new_count=len(new.entries))
    d.content_identical = (old_der if old_der is not None else encode_ctl(old)) == \
        (new_der if new_der is not None else encode_ctl(new))
    _header_into(d)
    d.added, d.removed, d.changed, d.reordered = entries_diff(old.entries, new.entries, compare_certificates)
    d.sets_reordered = sets_reordered(old.entries, new.entries)
    _encoding_into(d)
    return d


def entries_diff(old_entries, new_entries, compare_certificates: bool = True
                 ) -> tuple[list[Entry], list[Entry], list[EntryChange], bool]:
    """(added, removed, changed, reordered) between two entry sequences, by identifier."""
    old_by_id = {e.identifier: e for e in old_entries}
    added, changed = [], []
    new_ids = set()
    for entry in new_entries:
        new_ids.add(entry.identifier)
        before = old_by_id.get(entry.identifier)
        if before is None:
            added.append(entry)
        elif before is not entry and before != entry:  # one Entry in both: releases read together
            changes = entry_changes(before, entry, compare_certificates)
            if changes:  # else only display fields (issuer, updates, note) differ
                changed.append(EntryChange(before, entry, changes))
    removed = [e for e in old_entries if e.identifier not in new_ids]
    common_old = [e.identifier for e in old_entries if e.identifier in new_ids]
    common_new = [e.identifier for e in new_entries if e.identifier in old_by_id]
    return added, removed, changed, common_old != common_new


def _raw_entries_into(d: CtlDiff, old: Side, new: Side) -> None:
    old_prefix, old_tlvs = _subject_tlvs(old.ctl_der)
    new_prefix, new_tlvs = _subject_tlvs(new.ctl_der)
    old_set, new_set = set(old_tlvs), set(new_tlvs)
    old_only = [t for t in old_tlvs if t not in new_set]
    new_only = [t for t in new_tlvs if t not in old_set]
    # The order of what both share: a reshuffle is noted, never reported entry by entry.
    d.reordered = [t for t in old_tlvs if t in new_set] != [t for t in new_tlvs if t in old_set]
    del old_set, new_set, old_tlvs, new_tlvs
    # Only now are entries decoded: the ones whose bytes differ, usually a few.
    removed_or_changed = _decode_subjects(old, old_prefix, old_only)
    added_or_changed = _decode_subjects(new, new_prefix, new_only)
    added, removed, changed, moved = entries_diff(removed_or_changed, added_or_changed)
    d.added, d.removed, d.changed = added, removed, changed
    d.reordered = d.reordered or moved
    d.sets_reordered = sets_reordered(removed_or_changed, added_or_changed)


def _subject_tlvs(ctl: bytes) -> tuple[bytes, list[bytes]]:
    """(the CTL's fields before its entries, each entry's TLV bytes). The walk is
    ``decode_header``'s, already checked: entries are cut out, not read."""
    s, e = der.expect(ctl, 0, der.SEQUENCE, what="CertificateTrustList")
    fields = list(der.children(ctl, s, e))
    # subjectUsage and subjectAlgorithm are the first two SEQUENCEs; trustedSubjects the third.
    sequences = [f for f in fields if f[0] == der.SEQUENCE]
    if len(sequences) < 3:
        return ctl[s:e], []
    _tag, start, end, pos = sequences[2]
    out = []
    append = out.append
    read = der.read_tlv
    here = start
    while here < end:
        _t, _cs, next_here = read(ctl, here, end)
        append(ctl[here:next_here])
        here = next_here
    return ctl[s:pos], out


def _decode_subjects(side: Side, prefix: bytes, tlvs: list[bytes]) -> list[Entry]:
    """The entries whose bytes are ``tlvs``, decoded as a small CTL with the same header."""
    if not tlvs:
        return []
    small = der.seq(prefix, der.seq(*tlvs))
    try:
        return list(decode_ctl(small, name=side.trust_list.name).entries)
    except FormatError:
        # Decode the whole file instead, so that the error names the offset in the file.
        _decode_entries(side)
        raise


def sets_reordered(old_entries, new_entries) -> int:
    """How many entries both sides share list an EKU or policy set in another order. Windows
    reads these lists as sets, so that is no change; a report says it once, as it does for
    the order of the entries."""
    old_by_id = {e.identifier: e for e in old_entries}
    count = 0
    for entry in new_entries:
        before = old_by_id.get(entry.identifier)
        if before is not None and before != entry and any(
                _same_set(getattr(before, name), getattr(entry, name)) and getattr(before, name) != getattr(entry, name)
                for name in SET_ATTRIBUTES):
            count += 1
    return count


def _same_set(a, b) -> bool:
    """Present on both sides with the same members (and as many: a repeated OID is not the same list)."""
    return a is not None and b is not None and sorted(a) == sorted(b)


def entry_changes(old: Entry, new: Entry, compare_certificates: bool = True) -> tuple[AttrChange, ...]:
    out = []
    for name in SET_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a == b or _same_set(a, b):
            continue
        if a is None:
            out.append(AttrChange(name, "set", None, b, added=tuple(b)))
        elif b is None:
            out.append(AttrChange(name, "cleared", a, None, removed=tuple(a)))
        else:
            added = tuple(o for o in b if o not in a)
            removed = tuple(o for o in a if o not in b)
            out.append(AttrChange(name, "changed", a, b, added, removed))
    for name in DATE_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            kind = "set" if a is None else "cleared" if b is None else "moved"
            out.append(AttrChange(name, kind, a, b))
    for name in VALUE_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            kind = "set" if a in (None, ()) else "cleared" if b in (None, ()) else "changed"
            out.append(AttrChange(name, kind, a, b))
    if compare_certificates and (old.cert is None) != (new.cert is None):
        out.append(AttrChange("certificate", "set" if old.cert is None else "cleared",
                              old.cert is not None, new.cert is not None))
    return tuple(out)


def _header_into(d: CtlDiff) -> None:
    old, new = d.old, d.new
    d.header = [FieldChange(name, getattr(old, attr), getattr(new, attr)) for name, attr in _HEADER_ATTRS
                if getattr(old, attr) != getattr(new, attr)]
    d.extensions = _extension_changes(old, new)
    d.ct_logs_added, d.ct_logs_removed, logs_explained = _ct_logs(old, new)
    if logs_explained:
        d.extensions = [x for x in d.extensions
                        if not (x.oid == CtlExt.CERT_LOG_LIST and x.kind == "changed")]


def _extension_changes(old: TrustList, new: TrustList) -> list[ExtensionChange]:
    a = {x.oid: x for x in old.extensions}
    b = {x.oid: x for x in new.extensions}
    out = []
    for oid in list(a) + [o for o in b if o not in a]:
        x, y = a.get(oid), b.get(oid)
        if x is None:
            out.append(ExtensionChange(oid, "added", None, y))
        elif y is None:
            out.append(ExtensionChange(oid, "removed", x, None))
        elif x != y:
            out.append(ExtensionChange(oid, "changed", x, y))
    return out


def _ct_logs(old: TrustList, new: TrustList) -> tuple[list[str], list[str], bool]:
    """Log IDs added and removed, and whether that accounts for the extension changing
    (it does not when the logs are the same and only their order or header differs)."""
    def ids(tl):
        for x in tl.extensions:
            if x.oid == CtlExt.CERT_LOG_LIST:
                try:
                    return log_ids(x.value)
                except ValueError:
                    return None  # undecodable: reported as a changed extension
        return []
    a, b = ids(old), ids(new)
    if a is None or b is None:
        return [], [], False
    added = [i for i in b if i not in a]
    removed = [i for i in a if i not in b]
    return added, removed, bool(added or removed)


def _encoding_into(d: CtlDiff) -> None:
    if not d.content_identical and not (d.header or d.extensions or d.added or d.removed or d.changed
                                        or d.ct_logs_added or d.ct_logs_removed or d.reordered
                                        or d.sets_reordered):
        d.encoding_changed = True


def _envelope(old: SignedCtl, new: SignedCtl, content_identical: bool) -> list[FieldChange]:
    from ..formats.stl import signer_facts

    out = []
    a, b = tuple(signer_facts(old)), tuple(signer_facts(new))
    if [s.key for s in a] != [s.key for s in b]:
        out.append(FieldChange("signer", a, b))
    ca, cb = _cert_thumbprints(old), _cert_thumbprints(new)
    if ca != cb:
        out.append(FieldChange("certificates", ca, cb))
    if not out and content_identical and old.data != new.data:
        # Same content, same signer and certificates, other bytes: signed again.
        out.append(FieldChange("signature", _signing_times(old), _signing_times(new)))
    return out


def _cert_thumbprints(signed: SignedCtl) -> tuple[bytes, ...]:
    return tuple(sorted(c.sha1 for c in signed.certificates))


def _signing_times(signed: SignedCtl) -> tuple:
    """Each signer's signingTime attribute (None when it has none, as Microsoft's files)."""
    out = []
    for info in signed.signer_infos:
        when = None
        attrs = info["signed_attrs"]
        for attr in (attrs if attrs.native is not None else ()):
            if attr["type"].dotted == Attr.SIGNING_TIME:
                when = attr["values"][0].native
        out.append(when)
    return tuple(out)
