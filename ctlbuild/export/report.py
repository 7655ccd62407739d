"""The lossiness report: per entry, what the target format kept, dropped or approximated,
and totals. Nothing is left out of an export without a line here.

>>> from ctlbuild.export.report import build_report
>>> report = build_report(decisions, pool, meta)     # doctest: +SKIP
>>> report.as_dict()["totals"]["written"]             # doctest: +SKIP

``as_dict()`` follows ``ctlbuild/reports/schemas/export-report.schema.json``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from ..oids import eku_name
from ..reports.terminal import printable
from ..timeutil import iso
from .plan import ANCHOR, ASPECTS, BLOCKLIST, OMIT, RECORD, Decision

FORMAT, VERSION = "ctlbuild-export-report", 1


@dataclass(frozen=True)
class Meta:
    format: str
    source: str
    list_name: str
    kind: str
    purposes: tuple[str, ...]
    at: datetime
    not_before: str
    output: str


@dataclass
class Report:
    meta: Meta
    decisions: list[Decision]
    unmatched: list = field(default_factory=list)  # CertInfo offered but not named by the CTL

    def written(self) -> list[Decision]:
        return [d for d in self.decisions if d.action != OMIT]

    def totals(self) -> dict:
        actions = Counter(d.action for d in self.decisions)
        aspects = {a: Counter() for a in ASPECTS}
        for d in self.decisions:
            for o in d.outcomes:
                aspects[o.aspect][o.outcome] += 1
        causes = Counter(_cause(d) for d in self.decisions if d.action == OMIT)
        return {
            "entries": len(self.decisions),
            "written": actions[ANCHOR] + actions[BLOCKLIST] + actions[RECORD],
            "anchors": actions[ANCHOR],
            "blocklisted": actions[BLOCKLIST],
            "records": actions[RECORD],
            "omitted": actions[OMIT],
            "omitted_by_cause": dict(sorted(causes.items())),
            "aspects": {a: {k: c[k] for k in ("kept", "dropped", "approximated")} for a, c in aspects.items()},
            "unmatched_certificates": len(self.unmatched),
        }

    def as_dict(self) -> dict:
        m = self.meta
        return {
            "format": FORMAT,
            "version": VERSION,
            "target": m.format,
            "source": m.source,
            "list": {"name": m.list_name, "kind": m.kind},
            "purposes": [{"oid": p, "name": eku_name(p)} for p in m.purposes],
            "at": iso(m.at),
            "not_before": m.not_before,
            "output": m.output,
            "totals": self.totals(),
            "entries": [_entry(d) for d in self.decisions],
            "unmatched_certificates": [{"sha1": c.sha1.hex(), "sha256": c.sha256.hex(), "subject": c.subject}
                                       for c in self.unmatched],
        }


def _entry(d: Decision) -> dict:
    return {
        "index": d.index,
        "label": d.label,
        "sha1": d.sha1.hex() if d.sha1 else None,
        "identifier": d.entry.identifier.hex(),
        "certificate": d.cert is not None,
        "action": d.action,
        "reason": d.reason or None,
        "cause": _cause(d) if d.action == OMIT else None,
        "purposes": [eku_name(p) for p in d.purposes],
        "trust": {eku_name(t.purpose): t.status for t in d.trust},
        "outcomes": [{"aspect": o.aspect, "outcome": o.outcome, "detail": o.detail or None} for o in d.outcomes],
    }


def _cause(d: Decision) -> str:
    """One word for why an entry was left out (the totals count these)."""
    if d.cert is None and any(o.aspect == "certificate" for o in d.outcomes):
        return "no_certificate"
    if any(o.aspect == "blocklist" and o.outcome == "dropped" for o in d.outcomes):
        return "blocklist"
    untrusted = sorted({t.status for t in d.trust if not t.trusted})
    if not untrusted:  # trusted, but only under a NotBefore the format could not carry
        return "not_before"
    return "+".join(untrusted)


def build_report(decisions: list[Decision], unmatched: list, meta: Meta) -> Report:
    return Report(meta, decisions, unmatched)


def summary(report: Report) -> str:
    """The few lines for stderr: totals, and where every lossy aspect went."""
    t, m = report.totals(), report.meta
    purposes = ", ".join(eku_name(p) for p in m.purposes)
    lines = [f"exported {t['written']} of {t['entries']} entries to {printable(m.output)} "
             f"({m.format}; {purposes} at {iso(m.at)}): {t['anchors']} anchors, "
             f"{t['blocklisted']} blocklisted, "
             + (f"{t['records']} kept as untrusted records, " if t["records"] else "")
             + f"{t['omitted']} left out"]
    if t["omitted_by_cause"]:
        lines.append("  left out: " + ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in
                                                  t["omitted_by_cause"].items()))
    for outcome in ("dropped", "approximated"):
        counts = [f"{a.replace('_', ' ')} {c[outcome]}" for a, c in t["aspects"].items() if c[outcome]]
        if counts:
            lines.append(f"  {outcome}: " + ", ".join(counts))
    if t["unmatched_certificates"]:
        lines.append(f"  {t['unmatched_certificates']} certificates given are not in the CTL (not exported)")
    return "\n".join(lines) + "\n"
