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

from .._gc import paused as gc_paused
from ..errors import ListError
from ..limits import as_path, is_folder
from ..lists.entries import shared_entries
from ..lists.reader import LoadedList
from ..lists.sources import read_source, release_files
from ..model import Entry, Revision, TrustList
from ..thumbprint import format_hex
from .diff import EntryChange, entries_diff
from .diffview import change_lines
from .i18n import messages
from .templating import render_template

FORMATS = ("md", "html")


# -- which versions ----------------------------------------------------------------------------

def changelog_for(loaded: LoadedList) -> list[TrustList]:
    """The list's release history, oldest first, ending with the list itself.

    ``previous`` names earlier releases: lists (whose own ``previous`` is followed in
    turn), CTL files (.stl, .cab), or folders of releases (each file in it, ordered by
    thisUpdate, not followed further). A release reached twice appears once; a loop
    is a ListError naming it."""
    # Each release repeats most of the one before: one Entry per table. No cycles among the
    # entries of 50 releases either, for the collector to walk the heap for (ctlbuild._gc).
    with shared_entries(), gc_paused():
        return _history(loaded)


def _history(loaded: LoadedList) -> list[TrustList]:
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
                # A folder of earlier releases may hold none yet (a project's first release).
                for tl, path in _folder_releases(prev, skip=set(chain) | {here} | done, required=False):
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


def _folder_releases(folder: Path, skip: set[Path], required: bool = True) -> list[tuple[TrustList, Path]]:
    found = []
    for path in release_files(folder, required):
        resolved = path.resolve()
        if resolved not in skip:
            source = read_source(path)
            if source.trust_list is not None:
                found.append((source.trust_list, resolved))
    found.sort(key=lambda item: _release_order(item[0]))
    return found


def read_versions(paths: Sequence[Path]) -> list[TrustList]:
    """What ``ctlbuild changelog V1 V2 …`` was given, in order: each a list or CTL file,
    or a folder of releases. One list alone that names previous releases stands for
    its whole history."""
    with shared_entries(), gc_paused():  # as changelog_for
        return _read_versions(paths)


def _read_versions(paths: Sequence[Path]) -> list[TrustList]:
    if len(paths) == 1 and not is_folder(paths[0]):
        source = read_source(paths[0])
        if source.loaded is not None and source.loaded.previous:
            return changelog_for(source.loaded)
    out = []
    for path in map(as_path, paths):
        if is_folder(path):
            found = _folder_releases(path, skip=set())
            if not found:  # its files hold certificates alone
                raise ListError("folder holds no CTL", path=path)
            out.extend(tl for tl, _ in found)
            continue
        source = read_source(path)
        if source.trust_list is None:
            raise ListError("holds no CTL", path=path)
        out.append(source.trust_list)
    # Given newest first, or in any order: a history is told oldest first.
    return sorted(out, key=_release_order)


def _release_order(tl: TrustList) -> tuple:
    return tl.this_update, tl.sequence


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
    ``dates`` (the advisory's "Published: … | Updated: …"), ``version_word``, ``version``,
    ``url``, ``summary``, ``table_intro``, ``columns``, ``rows`` (certificate, issuer,
    thumbprint, update_cell, updates, removed_in) and ``revisions`` (version, date, note,
    changes, added, removed, changed, details; label, text and line = label + label_sep + text)."""
    if not versions:
        raise ValueError("a changelog needs at least one version")
    t = messages(lang)
    steps = revision_steps(versions)
    table = _table(versions, lang, style, t, {id(s.release): s.version for s in steps if s.release is not None})
    revisions = [_revision(t, step, style) for step in steps]
    newest = versions[-1]
    advisory = next((v.advisory for v in reversed(versions) if v.advisory is not None), None)
    title = (advisory.display("title", lang) if advisory else None) or newest.name
    meta = [t("changelog.advisory", number=advisory.number)] if advisory and advisory.number else []
    first_date = advisory.date if advisory and advisory.date else steps[0].date
    dates = t("changelog.dates_sep").join([t("changelog.published", date=t.date(first_date, "header")),
                                           t("changelog.updated", date=t.date(steps[-1].date, "header"))])
    kind = t(f"kind.{newest.kind}")
    current = t("count.certificates", n=len(newest.entries))
    if len(versions) == 1:
        summary = t("changelog.summary_one", kind=kind, name=newest.name, first=_date(versions[0]),
                    current=current)
    else:
        summary = t("changelog.summary", kind=kind, name=newest.name, versions=t("count.versions", n=len(versions)),
                    first=_date(versions[0]), last=_date(newest), total=t("count.certificates", n=len(table)),
                    current=current)
    return {"lang": lang, "title": title, "name": newest.name, "meta": meta, "dates": dates,
            "version_word": t("changelog.version_word"), "version": steps[-1].version,
            "url": advisory.url if advisory else None, "summary": summary,
            "table_intro": t("changelog.table_intro"),
            "columns": [t(f"changelog.col.{c}") for c in ("certificate", "issuer", "thumbprint", "update")],
            "rows": table, "revisions": revisions}


def _table(versions, lang, style, t, version_of: dict[int, str]) -> list[dict]:
    """One row per entry that ever appeared, in order of first appearance."""
    labels = _release_labels(versions, version_of)
    rows: dict[bytes, _Row] = {}
    for i, tl in enumerate(versions):
        for e in tl.entries:
            row = rows.get(e.identifier)
            if row is None:
                row = rows[e.identifier] = _Row(i, e, tl)
            elif row.entry is e:  # the release before's very Entry (shared_entries): its updates are in
                row.tl, row.last = tl, i
                continue
            row.entry, row.tl, row.last = e, tl, i
            for update in e.updates:
                if update not in row.updates:
                    row.updates.append(update)
    last = len(versions) - 1
    table = []
    for row in rows.values():
        updates = row.updates or [labels[row.first]]
        update = t("changelog.update_sep").join(updates)
        removed_in = "V" + version_of[id(versions[row.last + 1])] if row.last < last else None
        if removed_in:
            update = t("changelog.cell_sep").join(filter(None, [update, t("changelog.removed_in",
                                                                          version=removed_in)]))
        sha1 = row.entry.thumbprint(row.tl.subject_algorithm)
        table.append({"certificate": row.entry.display("friendly_name", lang) or "",
                      "issuer": row.entry.display("issuer", lang) or "",
                      "thumbprint": format_hex(sha1 or row.entry.identifier, style),
                      "update_cell": update, "updates": updates, "removed_in": removed_in})
    return table


# -- the revision history ------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One line of the revision history: a release of the list (``release``, with what its
    entries gained and lost against the release before), or a revision of the advisory that
    changed no list (``revision``)."""

    version: str
    date: str
    release: TrustList | None = None
    revision: Revision | None = None
    added: tuple[Entry, ...] = ()
    removed: tuple[Entry, ...] = ()
    changed: tuple[EntryChange, ...] = ()


def revision_steps(versions: Sequence[TrustList]) -> list[Step]:
    """Releases and document-only revisions, in version order. A release without
    ``[advisory] version`` takes the next whole number; versions must rise with the
    releases, and no two lines may share a number (a ListError says which)."""
    steps, previous = [], None
    for tl in versions:
        after = _numbers(steps[-1].version) if steps else (0, 0)
        version = tl.advisory.version if tl.advisory and tl.advisory.version else f"{after[0] + 1}.0"
        if _numbers(version) <= after:
            raise ListError(f"release {tl.name} is version {version}, not after {steps[-1].version}",
                            key="advisory.version")
        if previous is None:
            added, removed, changed = list(tl.entries), [], []
        else:
            added, removed, changed, _moved = entries_diff(previous.entries, tl.entries)
        steps.append(Step(version, _date(tl), tl, None, tuple(added), tuple(removed), tuple(changed)))
        previous = tl
    steps += _document_revisions(versions)
    steps.sort(key=lambda s: _numbers(s.version))
    for a, b in zip(steps, steps[1:]):
        if _numbers(a.version) == _numbers(b.version):
            raise ListError(f"two revisions are numbered {b.version}", key="advisory.revisions")
    return steps


def _document_revisions(versions: Sequence[TrustList]) -> list[Step]:
    found: dict[str, Revision] = {}
    for tl in versions:
        for revision in (tl.advisory.revisions if tl.advisory else ()):
            known = found.setdefault(revision.version, revision)
            if known != revision:
                raise ListError(f"revision {revision.version} is told two ways in the history",
                                key="advisory.revisions", entry=tl.name)
    return [Step(r.version, r.date, revision=r) for r in found.values()]


def _numbers(version: str) -> tuple[int, ...]:
    """ "4.1" → (4, 1), "4" → (4, 0): how revision numbers compare."""
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (2 - len(parts)) if len(parts) < 2 else parts


def _revision(t, step: Step, style: str) -> dict:
    source = step.release.advisory if step.release is not None else step.revision
    field = "revision_note" if step.release is not None else "note"
    note = source.display(field, t.lang) if source is not None else None
    counts = (len(step.added), len(step.removed), len(step.changed))
    changes = _counted(t, *counts) if step.release is not None else ""
    text = note or changes or t("changelog.no_entry_changes")
    version = "V" + step.version
    label = t("changelog.revision_label", version=version, date=t.date(step.date, "long"))
    return {"version": version, "date": step.date, "note": note, "changes": changes, "added": counts[0],
            "removed": counts[1], "changed": counts[2], "details": _details(t, step, style),
            "label": label, "text": text, "line": label + t("label_sep") + text}


def _counted(t, added: int, removed: int, changed: int) -> str:
    parts = []
    for n, full, short in ((added, "count.certificates_added", None),
                           (removed, "count.certificates_removed", "count.removed"),
                           (changed, "count.certificates_changed", "count.changed")):
        if n:
            parts.append(t(short if parts and short else full, n=n))
    if parts:
        return t("clause_sep").join(parts) + t("changelog.changes_end")
    return t("changelog.no_entry_changes")


def _details(t, step: Step, style: str) -> list[str]:
    """What the release did to each entry, one line each: added, removed, and changed with
    each attribute change in a PKI operator's words (restricted, disabled since, NotBefore …)."""
    if step.release is None:
        return []
    algorithm = step.release.subject_algorithm

    def name(e: Entry) -> str:
        # Names repeat (three "DigiNotar Root CA"s in advisory 2607712): the thumbprint tells them apart.
        thumbprint = format_hex(e.thumbprint(algorithm) or e.identifier, style)
        shown = e.display("friendly_name", t.lang)
        return t("changelog.detail.name", name=shown, thumbprint=thumbprint) if shown else thumbprint
    out = [t("changelog.detail.added", name=name(e)) for e in step.added]
    out += [t("changelog.detail.removed", name=name(e)) for e in step.removed]
    out += [t("changelog.detail.changed", name=name(c.new), changes=t.join(change_lines(t, c, style)))
            for c in step.changed]
    return out


def _date(tl: TrustList) -> str:
    return tl.this_update.date().isoformat()


def _release_labels(versions: Sequence[TrustList], version_of: dict[int, str]) -> list[str]:
    """What names the release that added an entry without updates: its list name when
    the releases' names tell them apart, else its version number."""
    names = [v.name for v in versions]
    if len(set(names)) == len(names):
        return names
    return ["V" + version_of[id(v)] for v in versions]


# -- rendering -----------------------------------------------------------------------------------

def render_changelog(versions: Sequence[TrustList], fmt: str = "md", lang: str = "en", style: str = "spaced",
                     templates: Path | str | None = None) -> str:
    """The changelog document in ``fmt`` (md or html), through templates/changelog.<fmt>.j2
    (or the user's ``templates`` folder first; see ctlbuild.reports.templating)."""
    # A row and a few lines per entry, none cyclic: the collector would walk every entry of
    # every release for nothing (in a 50-release history, more than the rendering itself).
    with gc_paused():
        data = changelog_data(versions, lang, style)
        return render_template("changelog", fmt, {**data, "t": messages(lang)}, lang=lang, templates=templates)


def release_changelog(loaded: LoadedList, fmt: str = "md", lang: str = "en", style: str = "spaced",
                      templates: Path | str | None = None) -> str | None:
    """What ``build`` writes beside a list that names its previous releases
    (out/<name>.changelog.md); None for a list without ``previous``."""
    if not loaded.previous:
        return None
    return render_changelog(changelog_for(loaded), fmt, lang=lang, style=style, templates=templates)
