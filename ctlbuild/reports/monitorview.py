"""Trust verdicts and status reports, said: JSON, text, Prometheus text exposition and the
one line of a Nagios plugin.

>>> from ctlbuild.reports.monitorview import render_prometheus, trust_data
>>> print(render_prometheus(report))                                 # doctest: +SKIP
# HELP ctlbuild_ctl_this_update_timestamp_seconds ...

``trust_data`` and ``status_data`` follow schemas/trust.schema.json and status.schema.json.
The Prometheus output follows the text exposition format 0.0.4 (what node-exporter's
textfile collector reads): one HELP and TYPE line per metric, label values escaped
(backslash, double quote, newline), every sample a gauge. Sequence numbers are not
exported as samples: a float cannot hold one exactly (they are 72-bit numbers); the
``sequence_monotonic`` gauge says what a monitor needs to know of them.
"""

from __future__ import annotations

from datetime import timedelta

from ..history.status import LEVELS, Check, FileStatus, StatusReport
from ..history.trust import Reason, Verdict
from ..oids import eku_name
from ..timeutil import Filetime, iso
from .i18n import Messages, messages
from .terminal import printable

TRUST_SCHEMA_VERSION = 1
STATUS_SCHEMA_VERSION = 1
#: Nagios plugin exit codes (https://nagios-plugins.org/doc/guidelines.html).
NAGIOS_CODES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


# -- trust -----------------------------------------------------------------------------------

def trust_data(v: Verdict) -> dict:
    tl = v.release.trust_list
    return {
        "format": "ctlbuild-trust", "version": TRUST_SCHEMA_VERSION,
        "trusted": v.trusted,
        "root": {"label": v.query.label, "sha1": v.query.sha1.hex() if v.query.sha1 else None,
                 "sha256": v.query.sha256.hex() if v.query.sha256 else None,
                 "friendly_name": v.entry.friendly_name if v.entry else None},
        "purpose": {"oid": v.purpose, "name": eku_name(v.purpose)},
        "at": iso(v.at), "issued": iso(v.issued),
        "release": {"origin": v.release.origin, "this_update": iso(tl.this_update),
                    "sequence_number": str(tl.sequence)},
        "reasons": [_reason_data(r) for r in v.reasons],
    }


def _reason_data(r: Reason) -> dict:
    date = r.date
    if isinstance(date, Filetime):
        date = date.iso() or "no date"
    elif date is not None:
        date = iso(date)
    return {"code": r.code, "effect": r.effect, "date": date, "ekus": list(r.ekus),
            "release": r.release.origin if r.release else None}


def render_trust_text(v: Verdict, lang: str = "en") -> str:
    t = messages(lang)
    name = (v.entry.display("friendly_name", lang) if v.entry else None) or v.query.label
    head = t("trust.trusted" if v.trusted else "trust.not_trusted", root=name, purpose=t.eku(v.purpose),
             at=iso(v.at), issued=iso(v.issued))
    lines = [printable(head)]
    for r in v.reasons:
        mark = {"allows": "+", "denies": "-", "note": " "}[r.effect]
        lines.append(f"  {mark} {printable(reason_text(t, r))}")
    return "\n".join(lines) + "\n"


def reason_text(t: Messages, r: Reason) -> str:
    date = r.date
    if isinstance(date, Filetime):
        date = date.iso() or t("history.no_date_always")
    elif date is not None:
        date = iso(date)
    release = r.release.name if r.release else ""
    return t(f"trust.reason.{r.code}", date=date, release=release,
             ekus=t.join(t.eku(o) for o in r.ekus) if r.ekus else t("trust.every_purpose"))


# -- status ----------------------------------------------------------------------------------

def status_data(report: StatusReport) -> dict:
    return {"format": "ctlbuild-status", "version": STATUS_SCHEMA_VERSION, "level": report.level,
            "files": [_file_data(f) for f in report.files]}


def _file_data(f: FileStatus) -> dict:
    tl = f.trust_list
    return {"file": str(f.path), "name": tl.name, "kind": tl.kind, "level": f.level,
            "this_update": iso(tl.this_update), "age_seconds": f.age.total_seconds(),
            "next_update": iso(tl.next_update) if tl.next_update else None,
            "sequence_number": str(tl.sequence), "entry_count": f.entry_count,
            "checks": [_check_data(c) for c in f.checks]}


def _check_data(c: Check) -> dict:
    return {"name": c.name, "level": c.level, "when": iso(c.when) if c.when else None,
            "left_seconds": c.left.total_seconds() if c.left is not None else None,
            "detail": c.detail or None, "subject": c.subject or None}


def _duration(t: Messages, left: timedelta) -> str:
    seconds = int(left.total_seconds())
    word = "status.in" if seconds > 0 else "status.ago"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    amount = t("status.days", n=days) if days else t("status.hours", n=rest // 3600)
    return t(word, amount=amount)


def render_status_text(report: StatusReport, lang: str = "en") -> str:
    t = messages(lang)
    lines = []
    for f in report.files:
        tl = f.trust_list
        lines.append(printable(t("status.file", level=t(f"status.level.{f.level}"), file=f.path,
                                 entries=t("count.entries", n=f.entry_count))))
        lines.append("  " + t("status.age", this_update=iso(tl.this_update), age=_duration(t, -f.age)))
        if tl.next_update is None:
            lines.append("  " + t("status.no_next_update"))
        for c in f.checks:
            lines.append(f"  [{t(f'status.level.{c.level}')}] " + printable(check_text(t, c)))
    lines.append(t("status.overall", level=t(f"status.level.{report.level}")))
    return "\n".join(lines) + "\n"


def check_text(t: Messages, c: Check) -> str:
    if c.left is not None:
        return t(f"status.check.{c.name}", when=iso(c.when), left=_duration(t, c.left), subject=c.subject)
    return t(f"status.check.{c.name}.{c.detail}")


def nagios_line(report: StatusReport) -> str:
    """The plugin's first line: ``CTL <LEVEL> - <summary> | <perfdata>`` (perfdata in seconds)."""
    worst_files = [f for f in report.files if f.level == report.level] or report.files
    summary = "; ".join(f"{f.path.name} {_nagios_summary(f)}" for f in worst_files)
    perf = []
    for f in report.files:
        key = _perf_label(f.path.name)
        perf.append(f"'{key}_age'={int(f.age.total_seconds())}s")
        for c in f.checks:
            if c.left is not None:
                perf.append(f"'{key}_{c.name}_left'={int(c.left.total_seconds())}s")
        perf.append(f"'{key}_entries'={f.entry_count}")
    return f"CTL {report.level.upper()} - {printable(summary)} | {' '.join(perf)}\n"


def _nagios_summary(f: FileStatus) -> str:
    t = messages("en")
    bad = [c for c in f.checks if c.level == f.level and c.level != "ok"]
    if not bad:
        return t("count.entries", n=f.entry_count)
    return ", ".join(check_text(t, c) for c in bad)


def _perf_label(name: str) -> str:
    # Perfdata labels may not hold quotes or '=' (the plugin guidelines).
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


# -- Prometheus --------------------------------------------------------------------------------

_METRICS = (
    ("status", "Worst check level of the file: 0 ok, 1 warning, 2 critical, 3 unknown."),
    ("this_update_timestamp_seconds", "thisUpdate of the CTL, seconds since the Unix epoch."),
    ("age_seconds", "Seconds since thisUpdate at the time of the check."),
    ("next_update_timestamp_seconds", "nextUpdate of the CTL (absent when the CTL has none)."),
    ("signer_not_after_timestamp_seconds", "notAfter of the CTL signer's certificate."),
    ("chain_not_after_timestamp_seconds", "Earliest notAfter among the other embedded certificates."),
    ("entries", "Entries (trusted subjects) in the CTL."),
    ("sequence_monotonic", "1 when the sequence number is above the previous release's, 0 when not "
                           "(absent without a previous release)."),
    ("checked_timestamp_seconds", "When the check ran (or the time it judged at)."),
)


def render_prometheus(report: StatusReport) -> str:
    samples: dict[str, list[tuple[dict, float]]] = {name: [] for name, _ in _METRICS}
    for f in report.files:
        labels = {"file": str(f.path), "name": f.trust_list.name, "kind": f.trust_list.kind}
        tl = f.trust_list
        samples["status"].append((labels, float(LEVELS.index(f.level))))
        samples["this_update_timestamp_seconds"].append((labels, tl.this_update.timestamp()))
        samples["age_seconds"].append((labels, f.age.total_seconds()))
        if tl.next_update is not None:
            samples["next_update_timestamp_seconds"].append((labels, tl.next_update.timestamp()))
        for c in f.checks:
            if c.name in ("signer", "chain") and c.when is not None:
                samples[f"{c.name}_not_after_timestamp_seconds"].append(
                    ({**labels, "subject": c.subject}, c.when.timestamp()))
            if c.name == "sequence":
                samples["sequence_monotonic"].append((labels, 1.0 if c.detail == "increased" else 0.0))
        samples["entries"].append((labels, float(f.entry_count)))
        samples["checked_timestamp_seconds"].append((labels, f.at.timestamp()))
    out = []
    for name, help_text in _METRICS:
        if not samples[name]:
            continue
        metric = f"ctlbuild_ctl_{name}"
        out += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
        out += [f"{metric}{{{_labels(labels)}}} {_number(value)}" for labels, value in samples[name]]
    return "\n".join(out) + "\n"


def _labels(labels: dict) -> str:
    return ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))
