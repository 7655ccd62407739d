"""What each entry becomes in a target format, and what that format keeps, drops or
approximates of it: the one place the lossiness is decided (writers only write).

>>> from ctlbuild.export.plan import decide
>>> decisions = decide(trust_list, pool, caps, purposes=("1.3.6.1.5.5.7.3.1",), at=at)   # doctest: +SKIP
>>> [d.action for d in decisions]                                                      # doctest: +SKIP
['anchor', 'omit', ...]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..formats.certificates import CertInfo
from ..oids import eku_name
from .trust import (
    BLOCKLISTED,
    DISABLED,
    DISALLOWED_EKU,
    NOT_BEFORE,
    NOT_IN_EKUS,
    PurposeTrust,
    purpose_trust,
    restricts_ekus,
)

ANCHOR, BLOCKLIST, OMIT = "anchor", "blocklist", "omit"
#: An entry a format keeps as data without trusting it (json: every entry is written).
RECORD = "record"
KEPT, DROPPED, APPROXIMATED = "kept", "dropped", "approximated"
#: What the report accounts for, per entry.
ASPECTS = ("certificate", "eku_restriction", "disabled_date", "not_before", "ev_policies", "friendly_name",
           "blocklist")
NOT_BEFORE_MODES = ("exclude", "include")


@dataclass(frozen=True)
class Capabilities:
    """What a target format can express (p11-kit ``trust extract`` style: checked before writing)."""

    #: Per-root purposes (an EKU restriction travels with the root).
    purposes: bool = False
    #: Purposes for which a NotBefore date can be carried as a distrust-after date.
    distrust_after: frozenset[str] = frozenset()
    #: Distrusted certificates (a blocklist).
    blocklist: bool = False
    #: Dates still to come (a disabling date after the export time).
    future_dates: bool = False
    ev_policies: bool = False
    friendly_name: bool = True
    #: Every entry, trusted or not, with or without a certificate (only identifiers).
    every_entry: bool = False
    #: One file, or a folder of files.
    folder: bool = False


@dataclass(frozen=True)
class Outcome:
    aspect: str  # one of ASPECTS
    outcome: str  # kept, dropped, approximated
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    """One entry in one export: what is written (``action``), for which purposes, and what
    the format kept, dropped or approximated of it."""

    index: int
    entry: object  # model.Entry
    cert: CertInfo | None
    trust: tuple[PurposeTrust, ...]
    action: str  # anchor, blocklist, record, omit
    purposes: tuple[str, ...] = ()  # the purposes it is written as trusted for
    distrust_after: tuple[tuple[str, datetime], ...] = ()  # (purpose, date) carried by the format
    outcomes: tuple[Outcome, ...] = ()
    reason: str = ""  # why an entry is omitted

    @property
    def sha1(self) -> bytes | None:
        return self.cert.sha1 if self.cert is not None else self.entry.sha1 or (
            self.entry.identifier if len(self.entry.identifier) == 20 else None)

    @property
    def label(self) -> str:
        if self.entry.friendly_name:
            return self.entry.friendly_name
        if self.cert is not None:
            return self.cert.subject
        return self.entry.label


@dataclass
class Context:
    caps: Capabilities
    purposes: tuple[str, ...]
    at: datetime
    not_before: str = "exclude"
    kind: str = "trusted"


def decide(trust_list, pool, caps: Capabilities, purposes: tuple[str, ...], at: datetime,
           not_before: str = "exclude") -> list[Decision]:
    ctx = Context(caps, tuple(purposes), at, not_before, trust_list.kind)
    return [_decide(n, entry, pool.match(entry, trust_list.subject_algorithm), ctx)
            for n, entry in enumerate(trust_list.entries)]


def _decide(index: int, entry, cert: CertInfo | None, ctx: Context) -> Decision:
    trust = tuple(purpose_trust(entry, ctx.kind, p, ctx.at) for p in ctx.purposes)
    base = Decision(index, entry, cert, trust, OMIT)
    if ctx.caps.every_entry:  # json: every entry, everything about it
        return _everything(base)
    if cert is None:
        what = "blocklisted" if ctx.kind == "disallowed" else "trusted"
        return _omit(base, "no certificate for this entry",
                     Outcome("certificate", DROPPED, f"a CTL-only entry (identifier alone) cannot be {what} "
                                                     "outside Windows: give its certificate with --certs"))
    if ctx.kind == "disallowed":
        return _blocklisted(base, ctx)
    return _anchor(base, entry, trust, ctx)


def _everything(base: Decision) -> Decision:
    action = BLOCKLIST if base.trust and base.trust[0].status == BLOCKLISTED else (
        ANCHOR if any(t.trusted for t in base.trust) else RECORD)
    kept = [Outcome(a, KEPT) for a in _present_aspects(base.entry, base.cert, base.trust)]
    purposes = tuple(t.purpose for t in base.trust if t.trusted)
    after = tuple((t.purpose, t.not_before) for t in base.trust if t.not_before is not None and t.trusted)
    return _replace(base, action=action, purposes=purposes, distrust_after=after, outcomes=tuple(kept),
                    reason="" if action != RECORD else _why_not(base.trust))


def _blocklisted(base: Decision, ctx: Context) -> Decision:
    if not ctx.caps.blocklist:  # the exporter refuses this pairing before deciding; never silent
        return _omit(base, "the format cannot carry distrust", Outcome("blocklist", DROPPED))
    outcomes = [Outcome("blocklist", KEPT, "distrusted for every purpose")]
    outcomes += _name_outcomes(base.entry, ctx.caps)
    return _replace(base, action=BLOCKLIST, outcomes=tuple(outcomes))


def _anchor(base: Decision, entry, trust, ctx: Context) -> Decision:
    caps, purposes, after, outcomes = ctx.caps, [], [], []
    for t in trust:
        name = eku_name(t.purpose)
        if not t.trusted:
            continue
        if t.not_before is not None:
            when = t.not_before.date().isoformat()
            if t.purpose in caps.distrust_after and t.not_before.year < 2050:  # NSS's value is a UTCTime
                after.append((t.purpose, t.not_before))
                outcomes.append(Outcome("not_before", KEPT, f"{name}: distrust-after {when}"))
            elif t.status == NOT_BEFORE and ctx.not_before == "exclude":
                outcomes.append(Outcome("not_before", DROPPED, f"{name}: certificates issued after {when} are "
                                        "distrusted; the format cannot say so, so the root is left out "
                                        "(--not-before exclude)"))
                continue
            else:
                outcomes.append(Outcome("not_before", APPROXIMATED, f"{name}: certificates issued after {when} "
                                        "are distrusted by the CTL but trusted by this format"
                                        + (" (from that date)" if t.not_before_pending else "")))
        if t.disabled_from is not None:
            outcome = KEPT if caps.future_dates else APPROXIMATED
            outcomes.append(Outcome("disabled_date", outcome, f"{name}: disabled from "
                                    f"{t.disabled_from.date().isoformat()}; trusted until then"
                                    + ("" if caps.future_dates else ": export again after that date")))
        purposes.append(t.purpose)
    if not purposes:
        return _omit(base, _why_not(trust), *outcomes)
    outcomes += _restriction_outcomes(entry, caps, purposes, ctx.purposes)
    outcomes += _name_outcomes(entry, caps)
    return _replace(base, action=ANCHOR, purposes=tuple(purposes), distrust_after=tuple(after),
                    outcomes=tuple(outcomes))


def _restriction_outcomes(entry, caps: Capabilities, purposes: list, asked: tuple) -> list[Outcome]:
    out = []
    if restricts_ekus(entry):
        allowed = "every purpose" if entry.ekus is None else ", ".join(eku_name(e) for e in entry.ekus) or "none"
        if entry.disallowed_ekus is not None:
            allowed += "; disallowed: " + ", ".join(eku_name(e) for e in entry.disallowed_ekus)
        if caps.purposes:
            out.append(Outcome("eku_restriction", KEPT, f"trusted for {', '.join(map(eku_name, purposes))} only"))
        else:
            out.append(Outcome("eku_restriction", APPROXIMATED,
                               f"the CTL allows {allowed}; this format trusts the root for every purpose"))
    elif not caps.purposes and len(purposes) < len(asked):
        out.append(Outcome("eku_restriction", APPROXIMATED,
                           f"trusted for {', '.join(map(eku_name, purposes))} only; this format trusts it for all"))
    return out


def _name_outcomes(entry, caps: Capabilities) -> list[Outcome]:
    out = []
    if entry.friendly_name:
        out.append(Outcome("friendly_name", KEPT if caps.friendly_name else DROPPED))
    if entry.ev_policies:
        out.append(Outcome("ev_policies", KEPT if caps.ev_policies else DROPPED,
                           ", ".join(entry.ev_policies)))
    return out


def _present_aspects(entry, cert, trust) -> list[str]:
    present = []
    if cert is None:
        present.append("certificate")
    if restricts_ekus(entry):
        present.append("eku_restriction")
    if entry.disabled_since is not None:
        present.append("disabled_date")
    if entry.not_before is not None:
        present.append("not_before")
    if entry.ev_policies:
        present.append("ev_policies")
    if entry.friendly_name:
        present.append("friendly_name")
    if trust and trust[0].status == BLOCKLISTED:
        present.append("blocklist")
    return present


_WHY = {NOT_IN_EKUS: "not among its EKUs", DISALLOWED_EKU: "disallowed", DISABLED: "disabled",
        NOT_BEFORE: "NotBefore", BLOCKLISTED: "on a disallowed list"}


def _why_not(trust) -> str:
    """Why an entry is not written, purpose by purpose (the report's words for it)."""
    parts = []
    for t in trust:
        text = _WHY.get(t.status, t.status)
        if t.status == NOT_BEFORE:
            text += f" {t.date.date().isoformat()}: certificates issued after it are distrusted (--not-before exclude)"
        elif t.status in (DISABLED, DISALLOWED_EKU):
            text += f" since {t.date.date().isoformat()}" if t.date else " (an empty date: read as always)"
        parts.append(f"{eku_name(t.purpose)}: {text}")
    return "; ".join(parts)


def _omit(base: Decision, reason: str, *outcomes: Outcome) -> Decision:
    return _replace(base, action=OMIT, reason=reason, outcomes=tuple(outcomes))


def _replace(base: Decision, **changes) -> Decision:
    return replace(base, **changes)
