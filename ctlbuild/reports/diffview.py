"""A diff, said: JSON data for pipelines, and text, Markdown or HTML for people.

>>> from ctlbuild.reports.diff import diff_files
>>> from ctlbuild.reports.diffview import diff_data, render_diff
>>> d = diff_files("out/old.stl", "out/new.stl")                        # doctest: +SKIP
>>> diff_data(d)["summary"]                                             # doctest: +SKIP
{'added': 6, 'removed': 0, 'changed': 0, ...}
>>> print(render_diff(d, "text", lang="zh-CN"))                         # doctest: +SKIP

``diff_data`` is the documented, stable JSON shape (ctlbuild/schemas/diff.schema.json),
the same in every language. ``diff_view`` puts the diff into words in one language;
the text renderer here and the templates (diff.md.j2, diff.html.j2) lay those words
out. Colour is the caller's: ``render_diff(..., paint=...)`` styles each role.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..ctl import attributes
from ..model import Entry, TrustList
from ..oids import HASH_NAMES, USAGE_NAMES, CtlExt
from ..thumbprint import format_hex
from ..timeutil import Filetime, iso
from .diff import DATE_ATTRIBUTES, SET_ATTRIBUTES, AttrChange, CtlDiff, EntryChange, ExtensionChange, FieldChange
from .i18n import Messages, messages
from .terminal import printable

FORMATS = ("text", "md", "html", "json")
SCHEMA_VERSION = 1
#: The JSON Schema of ``diff_data`` (shipped as package data).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "diff.schema.json"
#: Roles ``paint`` is called with: a heading, an added/removed/changed line, a note.
ROLES = ("heading", "added", "removed", "changed", "note")

Paint = Callable[[str, str], str]


# -- data (JSON) -----------------------------------------------------------------------------

def diff_data(d: CtlDiff, style: str = "spaced") -> dict:
    """The diff as plain JSON-ready data; the shape is ctlbuild/schemas/diff.schema.json."""
    return {
        "format": "ctlbuild-diff",
        "version": SCHEMA_VERSION,
        "old": _side_data(d.old, d.old_source, d.old_count),
        "new": _side_data(d.new, d.new_source, d.new_count),
        "differs": d.differs,
        "content_identical": d.content_identical,
        "envelope_compared": d.envelope_compared,
        "reordered": d.reordered,
        "sets_reordered": d.sets_reordered,
        "encoding_changed": d.encoding_changed,
        "summary": {"added": len(d.added), "removed": len(d.removed), "changed": len(d.changed),
                    "header": len(d.header), "extensions": len(d.extensions),
                    "ct_logs_added": len(d.ct_logs_added), "ct_logs_removed": len(d.ct_logs_removed),
                    "envelope": len(d.envelope)},
        "header": [c.as_dict() for c in d.header],
        "extensions": [x.as_dict() for x in d.extensions],
        "ct_logs": {"added": list(d.ct_logs_added), "removed": list(d.ct_logs_removed)},
        "envelope": [c.as_dict() for c in d.envelope],
        "added": [_entry_ref(e, d.new, style) for e in d.added],
        "removed": [_entry_ref(e, d.old, style) for e in d.removed],
        "changed": [{"entry": _entry_ref(c.new, d.new, style), "changes": [a.as_dict() for a in c.changes]}
                    for c in d.changed],
    }


def _side_data(tl: TrustList, source, count: int) -> dict:
    return {"file": str(source.path) if source is not None else None,
            "kind": source.kind if source is not None else None,
            "name": tl.name,
            "signed": bool(source is not None and source.signed),
            "entry_count": count,
            "sequence_number": str(tl.sequence),
            "this_update": iso(tl.this_update)}


def _entry_ref(e: Entry, tl: TrustList, style: str) -> dict:
    sha1 = _sha1(e, tl)
    return {"identifier": format_hex(e.identifier, style),
            "sha1": format_hex(sha1, style) if sha1 is not None else None,
            "friendly_name": e.friendly_name, "issuer": e.issuer}


def _sha1(e: Entry, tl: TrustList) -> bytes | None:
    return e.thumbprint(tl.subject_algorithm)


# -- words -----------------------------------------------------------------------------------

def diff_view(d: CtlDiff, lang: str = "en", style: str = "spaced") -> dict:
    """The diff in words, laid out by the text renderer and the templates:
    ``title``, ``old``/``new`` (one line each), ``verdict`` (or None), ``sections``
    (each a ``key``, ``heading``, ``count`` and ``changes``: kind, sign, text, name,
    issuer, thumbprint, details), ``notes``, ``summary``."""
    t = messages(lang)
    view = {"lang": lang, "title": t("diff.title", old=_file(d.old, d.old_source), new=_file(d.new, d.new_source)),
            "old": _side_line(t, d.old, d.old_source, d.old_count),
            "new": _side_line(t, d.new, d.new_source, d.new_count),
            "verdict": None, "sections": [], "notes": [], "summary": "",
            "columns": [t("changelog.col.certificate"), t("changelog.col.issuer"),
                        t("changelog.col.thumbprint")]}
    envelope_words = [_envelope_text(t, c, style) for c in d.envelope]
    if d.content_identical:
        if not d.envelope:
            unsigned = next((s for s in (d.old_source, d.new_source) if s is not None and not s.signed), None)
            view["verdict"] = (t("diff.identical_unsigned", file=unsigned.path.name) if unsigned is not None
                               else t("diff.identical"))
        else:
            view["verdict"] = t("diff.content_identical_envelope", what="; ".join(envelope_words))
        return view
    sections = view["sections"]

    def section(key, items, heading_key=None):
        if items:
            sections.append({"key": key, "heading": t(heading_key or f"diff.section.{key}"),
                             "count": len(items), "changes": items})

    section("header", [_item("changed", _field_text(t, c)) for c in d.header])
    extension_items = [_item("changed", _extension_text(t, x)) for x in d.extensions]
    extension_items += [_item("added", t("ct.added", id=i)) for i in d.ct_logs_added]
    extension_items += [_item("removed", t("ct.removed", id=i)) for i in d.ct_logs_removed]
    section("extensions", extension_items)
    section("added", [_entry_item(t, "added", e, d.new, style) for e in d.added])
    section("removed", [_entry_item(t, "removed", e, d.old, style) for e in d.removed])
    section("changed", [_entry_item(t, "changed", c.new, d.new, style, change_lines(t, c, style))
                        for c in d.changed])
    section("envelope", [_item("changed", w) for w in envelope_words])
    if d.reordered:
        view["notes"].append(t("diff.reordered"))
    if d.sets_reordered:
        view["notes"].append(t("diff.sets_reordered", n=d.sets_reordered))
    if d.encoding_changed:
        view["notes"].append(t("diff.encoding_changed"))
    if any(s["key"] in ("added", "removed", "changed") for s in sections):
        summary = t("diff.summary", added=len(d.added), removed=len(d.removed), changed=len(d.changed))
    elif not d.differs:
        summary = t("diff.no_changes")
    else:
        summary = ""
    if d.header:
        summary = t("sentence_sep").join(filter(None, [summary, t("diff.summary_header", n=len(d.header))]))
    view["summary"] = summary
    return view


def _item(kind: str, text: str) -> dict:
    return {"kind": kind, "sign": _SIGNS[kind], "text": text, "name": None, "issuer": None,
            "thumbprint": None, "details": []}


_SIGNS = {"added": "+", "removed": "-", "changed": "~"}


def _entry_item(t: Messages, kind: str, e: Entry, tl: TrustList, style: str, details=()) -> dict:
    name = e.display("friendly_name", t.lang) or ""
    issuer = e.display("issuer", t.lang)
    thumb = format_hex(_sha1(e, tl) or e.identifier, style)
    text = "  ".join(filter(None, [thumb, name, t("diff.issuer", issuer=issuer) if issuer else ""]))
    return {"kind": kind, "sign": _SIGNS[kind], "text": text, "name": name, "issuer": issuer,
            "thumbprint": thumb, "details": list(details)}


def _file(tl: TrustList, source) -> str:
    return source.path.name if source is not None else tl.name


def _side_line(t: Messages, tl: TrustList, source, count: int) -> str:
    # The file's name, not the path typed: pages are published, the reader's folders are not.
    return t("diff.side", file=source.path.name if source is not None else tl.name,
             kind=source.kind if source is not None else "list", entries=t("count.entries", n=count),
             sequence=tl.sequence, this_update=iso(tl.this_update))


def _field_text(t: Messages, c: FieldChange) -> str:
    return t("field.change", field=t(f"field.{c.field}"), old=_header_value(t, c.field, c.old),
             new=_header_value(t, c.field, c.new))


def _header_value(t: Messages, name: str, value) -> str:
    if value is None or value == ():
        return t("none")
    if name == "usages":
        return t.join(f"{USAGE_NAMES[u]} ({u})" if u in USAGE_NAMES else u for u in value)
    if name == "subject_algorithm":
        return f"{HASH_NAMES[value]} ({value})" if value in HASH_NAMES else value
    if name == "list_identifier":
        return _identifier_text(value)
    if name in ("this_update", "next_update"):
        return iso(value)
    return str(value)


def _identifier_text(raw: bytes) -> str:
    """The identifier as Windows writes text (UTF-16LE + NUL), else its hex."""
    text = attributes.text_or_none(raw)
    return raw.hex() if text is None else f"“{text}”"


def _extension_text(t: Messages, x: ExtensionChange) -> str:
    oid = f"{x.oid} ({t('ext.ct_log_list')})" if x.oid == CtlExt.CERT_LOG_LIST else x.oid
    return t(f"ext.{x.kind}", oid=oid)


def _envelope_text(t: Messages, c: FieldChange, style: str) -> str:
    if c.field == "signer":
        def signers(items):
            return "; ".join(t("env.signer_text", **s.as_dict()) for s in items) or t("none")
        return t("env.signer", old=signers(c.old), new=signers(c.new))
    if c.field == "certificates":
        added = [format_hex(h, style) for h in c.new if h not in c.old]
        removed = [format_hex(h, style) for h in c.old if h not in c.new]
        parts = []
        if added:
            parts.append(t("env.certificates_added", list=t.join(added)))
        if removed:
            parts.append(t("env.certificates_removed", list=t.join(removed)))
        return "; ".join(parts)
    if any(c.old) or any(c.new):  # "signature": the signing times, where the files have them
        return t("env.resigned", old=t.join(iso(x) if x else t("none") for x in c.old),
                 new=t.join(iso(x) if x else t("none") for x in c.new))
    return t("env.resigned_no_time")


def change_lines(t: Messages, c: EntryChange, style: str = "spaced") -> list[str]:
    """Each attribute change of an entry, in a PKI operator's words."""
    out = []
    for a in c.changes:
        out.extend(_attr_lines(t, a, style))
    return out


def _attr_lines(t: Messages, a: AttrChange, style: str) -> list[str]:
    name = a.attribute
    if name in SET_ATTRIBUTES:
        word = t.policy if name == "ev_policies" else t.eku
        added, removed = [word(o) for o in a.added], [word(o) for o in a.removed]
        lines = ([t(f"{name}.added", list=t.join(added))] if added else []) + \
                ([t(f"{name}.removed", list=t.join(removed))] if removed else [])
        if not lines and a.kind == "changed":  # the same OIDs, in another order
            return [t("set.reordered", what=t(f"attr.{name}"))]
        if not lines:  # present-but-empty appeared or disappeared
            return [t("set.now_empty" if a.kind == "set" else "set.was_empty", what=t(f"attr.{name}"))]
        return lines
    if name in DATE_ATTRIBUTES:
        return [t(f"{name}.{a.kind}", old=_date_word(t, a.old), new=_date_word(t, a.new))]
    if name == "friendly_name":
        return [t(f"friendly_name.{a.kind}", old=a.old, new=a.new)]
    if name in ("sha256", "key_id", "subject_name_md5"):
        def hexed(v):
            return format_hex(v, style) if v else t("none")
        return [t(f"value.{a.kind}", what=t(f"value.{name}"), old=hexed(a.old), new=hexed(a.new))]
    if name == "raw_attributes":
        old, new = set(a.old or ()), set(a.new or ())
        return [t("raw_attributes.changed", list=t.join(sorted({oid for oid, _v in old ^ new})))]
    if name == "certificate":
        return [t(f"certificate.{a.kind}")]
    return [f"{name}: {a.kind}"]  # an attribute added to diff.py before it got words here


def _date_word(t: Messages, value: Filetime | None) -> str:
    if value is None:
        return t("none")
    return value.iso() or t("no_date")


# -- rendering -------------------------------------------------------------------------------

def render_diff(d: CtlDiff, fmt: str = "text", lang: str = "en", style: str = "spaced",
                templates: Path | str | None = None, paint: Paint | None = None) -> str:
    """``fmt`` is one of FORMATS except json (see ``diff_data``)."""
    view = diff_view(d, lang, style)
    if fmt == "text":
        return render_text(view, paint)
    from .templating import render_template  # Jinja2: only for the Markdown and HTML reports

    return render_template("diff", fmt, {**view, "t": messages(lang)}, lang=lang, templates=templates)


def render_text(view: dict, paint: Paint | None = None) -> str:
    p = paint or (lambda text, role: text)
    t = messages(view["lang"])
    lines = [p(view["title"], "heading"), p(f"--- {view['old']}", "removed"), p(f"+++ {view['new']}", "added")]
    if view["verdict"]:
        lines += ["", view["verdict"]]
    for s in view["sections"]:
        lines += ["", p(t("diff.section_count", heading=s["heading"], n=s["count"]), "heading")]
        for item in s["changes"]:
            # Names come from the files compared: escape control characters (no forged lines).
            lines.append(p(f"  {item['sign']} {printable(item['text'])}", item["kind"]))
            lines.extend(f"      {printable(detail)}" for detail in item["details"])
    if view["notes"]:
        lines.append("")
        lines.extend(p(n, "note") for n in view["notes"])
    if view["summary"]:
        lines += ["", view["summary"]]
    return "\n".join(lines) + "\n"
