"""What changed between two releases of a trust list, in a PKI operator's terms.

>>> from ctlbuild.diff import diff_sources
>>> d = diff_sources(read_source(old_path), read_source(new_path))   # doctest: +SKIP
>>> d.identical, len(d.added), [c.label for c in d.changed]          # doctest: +SKIP

Entries are matched by identifier, never by position: Microsoft reshuffles its
entries between releases, so a reordering is noted once and not reported as a
change. Two files whose CTL content is byte-identical differ at most in their
envelope (signer, digest, certificates), which is said plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ctlogs import log_ids
from .encode import encode_ctl
from .model import Entry, TrustList
from .oids import CtlExt
from .readers import Source
from .timeutil import iso

#: Entry attributes compared, in the order changes are reported.
SET_ATTRIBUTES = ("ekus", "disallowed_ekus", "not_before_ekus", "ev_policies", "chain_policies")
DATE_ATTRIBUTES = ("disabled_since", "not_before")
VALUE_ATTRIBUTES = ("friendly_name", "sha256", "key_id", "subject_name_md5", "raw_attributes")


@dataclass(frozen=True)
class AttrChange:
    """One attribute of one entry. ``kind``: for sets (EKUs, policies) "changed" with
    ``added``/``removed``, or "set"/"cleared" when the attribute appears or disappears;
    for dates "set", "moved", "cleared"; for values "changed", "set", "cleared"."""

    attribute: str
    kind: str
    old: object = None
    new: object = None
    added: tuple = ()
    removed: tuple = ()

    def as_dict(self) -> dict:
        return {"attribute": self.attribute, "kind": self.kind, "old": self.old, "new": self.new,
                "added": list(self.added), "removed": list(self.removed)}


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
    field: str
    old: object
    new: object

    def as_dict(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class CtlDiff:
    old: TrustList
    new: TrustList
    header: list[FieldChange] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[EntryChange] = field(default_factory=list)
    reordered: bool = False
    ct_logs_added: list[str] = field(default_factory=list)
    ct_logs_removed: list[str] = field(default_factory=list)
    content_identical: bool = False
    envelope: list[FieldChange] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.content_identical and not self.envelope


def diff_sources(old: Source, new: Source) -> CtlDiff:
    """Two CTLs or lists; content is compared as CTL bytes, the envelope as signer facts."""
    d = diff_lists(old.trust_list, new.trust_list, _ctl_der(old), _ctl_der(new))
    d.envelope = _envelope(old, new)
    if d.content_identical and not d.envelope and old.signed and new.signed \
            and old.signed.data != new.signed.data:
        # Same content, same signer, other bytes: signed again (another time or signature).
        d.envelope.append(FieldChange("signature", "", "re-signed"))
    return d


def _ctl_der(source: Source) -> bytes:
    return source.signed.ctl_der if source.signed else encode_ctl(source.trust_list)


def diff_lists(old: TrustList, new: TrustList, old_der: bytes | None = None,
               new_der: bytes | None = None) -> CtlDiff:
    d = CtlDiff(old, new)
    d.content_identical = (old_der if old_der is not None else encode_ctl(old)) == \
        (new_der if new_der is not None else encode_ctl(new))
    d.header = _header(old, new)
    d.ct_logs_added, d.ct_logs_removed = _ct_logs(old, new)
    old_by_id = {e.identifier: e for e in old.entries}
    new_ids = set()
    for entry in new.entries:
        new_ids.add(entry.identifier)
        before = old_by_id.get(entry.identifier)
        if before is None:
            d.added.append(entry)
        elif before != entry:
            changes = entry_changes(before, entry)
            if changes:
                d.changed.append(EntryChange(before, entry, changes))
    d.removed = [e for e in old.entries if e.identifier not in new_ids]
    common_old = [e.identifier for e in old.entries if e.identifier in new_ids]
    common_new = [e.identifier for e in new.entries if e.identifier in old_by_id]
    d.reordered = common_old != common_new
    return d


def entry_changes(old: Entry, new: Entry) -> tuple[AttrChange, ...]:
    out = []
    for name in SET_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if a is None:
            out.append(AttrChange(name, "set", None, list(b), added=tuple(b)))
        elif b is None:
            out.append(AttrChange(name, "cleared", list(a), None, removed=tuple(a)))
        else:
            added = tuple(o for o in b if o not in a)
            removed = tuple(o for o in a if o not in b)
            out.append(AttrChange(name, "changed", list(a), list(b), added, removed))
    for name in DATE_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            kind = "set" if a is None else "cleared" if b is None else "moved"
            out.append(AttrChange(name, kind, _date(a), _date(b)))
    for name in VALUE_ATTRIBUTES:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            kind = "set" if a in (None, ()) else "cleared" if b in (None, ()) else "changed"
            out.append(AttrChange(name, kind, _value(a), _value(b)))
    if (old.cert is None) != (new.cert is None):
        out.append(AttrChange("certificate", "set" if old.cert is None else "cleared",
                              old.cert is not None, new.cert is not None))
    return tuple(out)


def _date(ft):
    if ft is None:
        return None
    return ft.iso() or "no date"


def _value(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, tuple):
        return [[o, b.hex()] for o, b in v]
    return v


def _header(old: TrustList, new: TrustList) -> list[FieldChange]:
    pairs = [
        ("sequence_number", str(old.sequence), str(new.sequence)),
        ("this_update", iso(old.this_update), iso(new.this_update)),
        ("next_update", old.next_update and iso(old.next_update), new.next_update and iso(new.next_update)),
        ("usages", list(old.usages), list(new.usages)),
        ("list_identifier", old.identifier and old.identifier.hex(), new.identifier and new.identifier.hex()),
        ("subject_algorithm", old.subject_algorithm, new.subject_algorithm),
        ("extensions", [x.oid for x in old.extensions if x.oid != CtlExt.CERT_LOG_LIST],
         [x.oid for x in new.extensions if x.oid != CtlExt.CERT_LOG_LIST]),
    ]
    out = [FieldChange(name, a, b) for name, a, b in pairs if a != b]
    old_ext = {x.oid: x for x in old.extensions}
    for x in new.extensions:
        if x.oid in old_ext and old_ext[x.oid] != x and x.oid != CtlExt.CERT_LOG_LIST:
            out.append(FieldChange(f"extension {x.oid}", old_ext[x.oid].value.hex(), x.value.hex()))
    return out


def _ct_logs(old: TrustList, new: TrustList) -> tuple[list[str], list[str]]:
    def ids(tl):
        for x in tl.extensions:
            if x.oid == CtlExt.CERT_LOG_LIST:
                try:
                    return log_ids(x.value)
                except ValueError:
                    return []
        return []
    a, b = ids(old), ids(new)
    return [i for i in b if i not in a], [i for i in a if i not in b]


def _envelope(old: Source, new: Source) -> list[FieldChange]:
    a, b = old.signers(), new.signers()
    out = []
    if a != b:
        out.append(FieldChange("signer", [_signer_text(s) for s in a], [_signer_text(s) for s in b]))
    ca = sorted(c.dump().hex() for c in old.signed.certificates) if old.signed else []
    cb = sorted(c.dump().hex() for c in new.signed.certificates) if new.signed else []
    if ca != cb and old.signed and new.signed:
        out.append(FieldChange("certificates", len(ca), len(cb)))
    return out


def _signer_text(s: dict) -> str:
    return f"{s['subject']} (serial {s['serial']}, {s['digest']})"
