"""A history, said: JSON data for pipelines, and text, Markdown or HTML for people.

>>> from ctlbuild.reports.historyview import history_data, render_history
>>> print(render_history(history, "text", lang="zh-CN"))          # doctest: +SKIP

``history_data`` is the JSON shape (schemas/history.schema.json), the same in every
language; ``history_view`` puts it into words in one language, laid out by the text
renderer here and by the templates history.md.j2 and history.html.j2. The words of
each attribute change are ``diffview.change_lines``': a timeline speaks as ``diff`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..history.timeline import History, RootTimeline
from ..thumbprint import format_hex
from ..timeutil import iso
from .diff import EntryChange
from .diffview import change_lines
from .i18n import Messages, messages
from .templating import render_template
from .terminal import printable

FORMATS = ("text", "md", "html", "json")
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "history.schema.json"


# -- data (JSON) -----------------------------------------------------------------------------

def history_data(h: History, roots: Sequence[RootTimeline] | None = None, style: str = "spaced") -> dict:
    """The history as JSON-ready data; ``roots`` (default: every root) chooses the timelines."""
    chosen = list(h.roots.values()) if roots is None else list(roots)
    return {
        "format": "ctlbuild-history",
        "version": SCHEMA_VERSION,
        "releases": [_release_data(s) for s in h.summaries],
        "problems": [{"kind": p.kind, "release": p.release.origin, "other": p.other.origin} for p in h.problems],
        "root_count": len(h.roots),
        "roots": [_root_data(h, t, style) for t in chosen],
    }


def _release_data(s) -> dict:
    r, d = s.release, s.diff
    return {"index": s.index, "origin": r.origin, "commit": r.commit,
            "committed": iso(r.committed) if r.committed else None,
            "kind": r.source.kind, "signed": r.source.signed is not None,
            "sequence_number": str(r.sequence), "this_update": iso(r.this_update),
            "entry_count": s.entry_count,
            "changes": None if d is None else {
                "added": len(d.added), "removed": len(d.removed), "changed": len(d.changed),
                "header": [c.as_dict() for c in d.header],
                "envelope": [c.as_dict() for c in d.envelope]}}


def _root_data(h: History, t: RootTimeline, style: str) -> dict:
    latest = t.latest
    sha1 = latest.thumbprint(h.subject_algorithm)
    return {"identifier": format_hex(t.identifier, style),
            "sha1": format_hex(sha1, style) if sha1 else None,
            "friendly_name": latest.friendly_name,
            "first_seen": t.first_seen, "last_seen": t.last_seen, "present": t.present,
            "events": [{"release": e.release, "this_update": iso(h.releases[e.release].this_update),
                        "kind": e.kind, "changes": [c.as_dict() for c in e.changes]} for e in t.events]}


# -- words -----------------------------------------------------------------------------------

def history_view(h: History, roots: Sequence[RootTimeline] | None = None, lang: str = "en",
                 style: str = "spaced") -> dict:
    """``title``, ``span``, ``releases`` (date, name, line), ``problems`` (lines), ``roots``
    (name, thumbprint, events: date, kind, lines), ``roots_heading``, ``unchanged`` (a line
    or "")."""
    t = messages(lang)
    first, last = h.releases[0], h.releases[-1]
    if roots is None:
        shown = [r for r in h.roots.values() if r.eventful]
        quiet = len(h.roots) - len(shown)
    else:
        shown, quiet = list(roots), 0
    return {
        "lang": lang,
        "title": t("history.title", name=last.trust_list.name, n=len(h.releases)),
        "span": t("history.span", first=_day(first.this_update), last=_day(last.this_update)),
        "releases_heading": t("history.releases"),
        "releases": [_release_line(t, s) for s in h.summaries],
        "problems_heading": t("history.problems"),
        "problems": [t(f"history.problem.{p.kind}", release=p.release.name, other=p.other.name)
                     for p in h.problems],
        "roots_heading": t("history.roots" if roots is None else "history.roots_selected",
                           shown=len(shown), total=len(h.roots)),
        "roots": [_root_view(t, h, r, style) for r in shown],
        "unchanged": t("history.unchanged", n=quiet) if quiet else "",
    }


def _day(when) -> str:
    return when.date().isoformat()


def _release_line(t: Messages, s) -> dict:
    r, d = s.release, s.diff
    parts = [t("count.entries", n=s.entry_count)]
    if d is not None:
        parts.append(t("history.counts", added=len(d.added), removed=len(d.removed), changed=len(d.changed)))
        if d.header:
            parts.append(t("history.header_changed", n=len(d.header)))
        if any(c.field == "signer" for c in d.envelope):
            parts.append(t("history.signer_changed"))
    where = t("history.commit", commit=r.commit[:12]) if r.commit else ""
    return {"date": _day(r.this_update), "name": r.name, "sequence": str(r.sequence), "where": where,
            "line": t("history.release_line", number=s.index + 1, date=_day(r.this_update), name=r.name,
                      sequence=r.sequence, what=t("clause_sep").join(parts))}


def _root_view(t: Messages, h: History, r: RootTimeline, style: str) -> dict:
    latest = r.latest
    name = latest.display("friendly_name", t.lang) or ""
    thumb = format_hex(latest.thumbprint(h.subject_algorithm) or r.identifier, style)
    events = []
    for e in r.events:
        when = _day(h.releases[e.release].this_update)
        if e.kind == "added":
            lines = [t("history.first_seen")]
        elif e.kind == "removed":
            lines = [t("history.removed")]
        else:
            lines = change_lines(t, EntryChange(e.entry, e.entry, e.changes), style)
            if e.kind == "returned":
                lines.insert(0, t("history.returned"))
        events.append({"date": when, "kind": e.kind, "release": h.releases[e.release].name, "lines": lines})
    last = {"date": _day(h.releases[r.last_seen].this_update), "kind": "last_seen",
            "release": h.releases[r.last_seen].name,
            "lines": [t("history.last_seen_present" if r.present else "history.last_seen")]}
    # In date order: a root no longer listed was last seen before the release that dropped it.
    events.insert(len(events) if r.present else len(events) - 1, last)
    return {"name": name, "thumbprint": thumb, "present": r.present, "events": events}


# -- rendering -------------------------------------------------------------------------------

def render_history(h: History, fmt: str = "text", lang: str = "en", style: str = "spaced",
                   roots: Sequence[RootTimeline] | None = None, templates: Path | str | None = None) -> str:
    view = history_view(h, roots, lang, style)
    if fmt == "text":
        return render_text(view)
    return render_template("history", fmt, {**view, "t": messages(lang)}, lang=lang, templates=templates)


def render_text(view: dict) -> str:
    lines = [view["title"], view["span"], "", view["releases_heading"]]
    lines += [f"  {printable(r['line'])}" + (f"  ({r['where']})" if r["where"] else "") for r in view["releases"]]
    if view["problems"]:
        lines += ["", view["problems_heading"]]
        lines += [f"  ! {printable(p)}" for p in view["problems"]]
    lines += ["", view["roots_heading"]]
    for root in view["roots"]:
        # Names come from the files read: escape control characters (no forged lines).
        lines.append(f"  {printable(root['name'])}  {root['thumbprint']}".rstrip())
        for e in root["events"]:
            first, *rest = e["lines"] or [""]
            lines.append(f"    {e['date']}  {printable(first)}")
            lines.extend(f"                {printable(x)}" for x in rest)
    if view["unchanged"]:
        lines += ["", view["unchanged"]]
    return "\n".join(lines) + "\n"
