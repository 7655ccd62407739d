"""Advisory-style changelogs across the releases of a trust list.

>>> from ctlbuild.lists.reader import load_list
>>> from ctlbuild.reports.changelog import changelog_for, render_changelog
>>> versions = changelog_for(load_list("examples/diginotar-kb2616676.toml"))
>>> [v.name for v in versions]
['diginotar-kb2607712', 'diginotar-kb2616676']
>>> print(render_changelog(versions, "md", lang="zh-CN"))   # doctest: +SKIP

The document reads like a security advisory: title and metadata from the list's
``[advisory]``, a summary, the cumulative thumbprint table (Certificate | Issuer |
Thumbprint | Update) of every entry that ever appeared, and a revision history,
one line per version: ``V<n>.0 (date): <revision_note> <changes counted>``.

The Update cell is the union of the entry's ``updates`` over the versions it
appears in, in order of first appearance, joined with ", " as the advisory prints
it (``KB2607712, KB2616676``). An entry that never names an update shows the
release that added it: its list name, or ``V<n>.0`` when the releases share one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import ListError
from ..lists.reader import LoadedList
from ..lists.sources import read_source
from ..model import Entry, TrustList
from ..thumbprint import format_hex
from .diff import entries_diff
from .i18n import messages
from .templating import render_template

FORMATS = ("md", "html")
#: Files a folder of releases is read for (anything else in it is left alone).
RELEASE_SUFFIXES = (".toml", ".stl", ".cab", ".ctl", ".sst")


# -- which versions ----------------------------------------------------------------------------

def changelog_for(loaded: LoadedList) -> list[TrustList]:
    """The list's release history, oldest first, ending with the list itself.

    ``previous`` names earlier releases: lists (whose own ``previous`` is followed in
    turn), CTL files (.stl, .cab), or folders of releases (each file in it, ordered by
    thisUpdate, not followed further). A release reached twice appears once; a loop
    is a ListError naming it."""
    out: list[TrustList] = []
    done: set[Path] = set()

    def visit(item: LoadedList, chain: list[Path]) -> None:
        here = item.path.resolve()
        for prev in item.previous:
            key = prev.resolve()
            if key in chain or key == here:
                names = " → ".join(p.name for p in chain + [here, key])
                raise ListError(f"release history loops: {names}", path=item.path, key="previous")
            if key in done:
                continue
            if not prev.exists():
                raise ListError(f"previous release {prev} not found", path=item.path, key="previous")
            if prev.is_dir():
                for tl, path in _folder_releases(prev, skip=set(chain) | {here} | done):
                    done.add(path)
                    out.append(tl)
                done.add(key)
                continue
            source = read_source(prev)
            if source.loaded is not None:
                visit(source.loaded, chain + [here])
            elif source.trust_list is not None:
                out.append(source.trust_list)
                done.add(key)
            else:
                raise ListError(f"previous release {prev} holds no CTL", path=item.path, key="previous")
        done.add(here)
        out.append(item.trust_list)

    visit(loaded, [])
    return out


def _folder_releases(folder: Path, skip: set[Path]) -> list[tuple[TrustList, Path]]:
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in RELEASE_SUFFIXES and path.is_file() and path.resolve() not in skip:
            source = read_source(path)
            if source.trust_list is not None:
                found.append((source.trust_list, path.resolve()))
    found.sort(key=lambda item: (item[0].this_update, item[0].sequence))
    return found


def read_versions(paths: Sequence[Path]) -> list[TrustList]:
    """What ``ctlbuild changelog V1 V2 …`` was given, in order: each a list or CTL file,
    or a folder of releases. One list alone that names previous releases stands for
    its whole history."""
    if len(paths) == 1 and not Path(paths[0]).is_dir():
        source = read_source(paths[0])
        if source.loaded is not None and source.loaded.previous:
            return changelog_for(source.loaded)
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(tl for tl, _ in _folder_releases(path, skip=set()))
            continue
        source = read_source(path)
        if source.trust_list is None:
            raise ListError("holds no CTL", path=path)
        out.append(source.trust_list)
    return out


# -- what the document says ----------------------------------------------------------------------

@dataclass
class _Row:
    first: int
    entry: Entry
    tl: TrustList
    last: int = 0
    updates: list[str] = field(default_factory=list)


def changelog_data(versions: Sequence[TrustList], lang: str = "en", style: str = "spaced") -> dict:
    """The changelog in words, as the templates take it: ``title``, ``meta`` (lines),
    ``url``, ``summary``, ``table_intro``, ``columns``, ``rows`` (certificate, issuer,
    thumbprint, update_cell, updates, removed_in) and ``revisions`` (version, date, note,
    changes, added, removed, changed; label, text and line = label + label_sep + text)."""
    if not versions:
        raise ValueError("a changelog needs at least one version")
    t = messages(lang)
    labels = _release_labels(versions)
    rows: dict[bytes, _Row] = {}
    revisions = []
    previous: TrustList | None = None
    for i, tl in enumerate(versions):
        for e in tl.entries:
            row = rows.get(e.identifier)
            if row is None:
                row = rows[e.identifier] = _Row(i, e, tl)
            row.entry, row.tl, row.last = e, tl, i
            for update in e.updates:
                if update not in row.updates:
                    row.updates.append(update)
        if previous is None:
            added, removed, changed = list(tl.entries), [], []
        else:
            added, removed, changed, _moved = entries_diff(previous.entries, tl.entries)
        revisions.append(_revision(t, i, tl, len(added), len(removed), len(changed)))
        previous = tl

    last = len(versions) - 1
    table = []
    for row in rows.values():
        updates = row.updates or [labels[row.first]]
        update = t("changelog.update_sep").join(updates)
        removed_in = _version(row.last + 1) if row.last < last else None
        if removed_in:
            update = t("changelog.cell_sep").join(filter(None, [update, t("changelog.removed_in",
                                                                          version=removed_in)]))
        sha1 = row.entry.thumbprint(row.tl.subject_algorithm)
        table.append({"certificate": row.entry.display("friendly_name", lang) or "",
                      "issuer": row.entry.display("issuer", lang) or "",
                      "thumbprint": format_hex(sha1 or row.entry.identifier, style),
                      "update_cell": update, "updates": updates, "removed_in": removed_in})

    newest = versions[-1]
    advisory = next((v.advisory for v in reversed(versions) if v.advisory is not None), None)
    title = (advisory.display("title", lang) if advisory else None) or newest.name
    meta = []
    if advisory and advisory.number:
        meta.append(t("changelog.advisory", number=advisory.number))
    first_date, last_date = _date(versions[0]), _date(newest)
    meta.append(t("changelog.published", date=(advisory.date if advisory and advisory.date else first_date)))
    meta.append(t("changelog.updated", date=last_date))
    meta.append(t("changelog.version", version=_version(last)[1:]))
    kind = t(f"kind.{newest.kind}")
    current = t("count.certificates", n=len(newest.entries))
    if len(versions) == 1:
        summary = t("changelog.summary_one", kind=kind, name=newest.name, first=first_date, current=current)
    else:
        summary = t("changelog.summary", kind=kind, name=newest.name, versions=t("count.versions", n=len(versions)),
                    first=first_date, last=last_date, total=t("count.certificates", n=len(table)),
                    current=current)
    return {"lang": lang, "title": title, "name": newest.name, "meta": meta,
            "url": advisory.url if advisory else None, "summary": summary,
            "table_intro": t("changelog.table_intro"),
            "columns": [t(f"changelog.col.{c}") for c in ("certificate", "issuer", "thumbprint", "update")],
            "rows": table, "revisions": revisions}


def _version(index: int) -> str:
    return f"V{index + 1}.0"


def _date(tl: TrustList) -> str:
    return tl.this_update.date().isoformat()


def _release_labels(versions: Sequence[TrustList]) -> list[str]:
    """What names the release that added an entry without updates: its list name when
    the releases' names tell them apart, else its version number."""
    names = [v.name for v in versions]
    if len(set(names)) == len(names):
        return names
    return [_version(i) for i in range(len(versions))]


def _revision(t, index: int, tl: TrustList, added: int, removed: int, changed: int) -> dict:
    note = tl.advisory.display("revision_note", t.lang) if tl.advisory else None
    parts = []
    for n, full, short in ((added, "count.certificates_added", None),
                           (removed, "count.certificates_removed", "count.removed"),
                           (changed, "count.certificates_changed", "count.changed")):
        if n:
            parts.append(t(short if parts and short else full, n=n))
    if parts:
        changes = t("clause_sep").join(parts) + t("changelog.changes_end")
    elif index == 0:
        changes = t("count.certificates_added", n=0) + t("changelog.changes_end")
    else:
        changes = t("changelog.no_entry_changes")
    text = t("sentence_sep").join(filter(None, [note, changes]))
    version, date = _version(index), _date(tl)
    label = t("changelog.revision_label", version=version, date=date)
    return {"version": version, "date": date, "note": note, "changes": changes, "added": added,
            "removed": removed, "changed": changed, "label": label, "text": text,
            "line": label + t("label_sep") + text}


# -- rendering -----------------------------------------------------------------------------------

def render_changelog(versions: Sequence[TrustList], fmt: str = "md", lang: str = "en", style: str = "spaced",
                     templates: Path | str | None = None) -> str:
    """The changelog document in ``fmt`` (md or html), through templates/changelog.<fmt>.j2
    (or the user's ``templates`` folder first; see ctlbuild.reports.templating)."""
    data = changelog_data(versions, lang, style)
    return render_template("changelog", fmt, {**data, "t": messages(lang)}, lang=lang, templates=templates)


def release_changelog(loaded: LoadedList, fmt: str = "md", lang: str = "en", style: str = "spaced",
                      templates: Path | str | None = None) -> str | None:
    """What ``build`` writes beside a list that names its previous releases
    (out/<name>.changelog.md); None for a list without ``previous``."""
    if not loaded.previous:
        return None
    return render_changelog(changelog_for(loaded), fmt, lang=lang, style=style, templates=templates)
