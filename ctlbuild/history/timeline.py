"""Per-root timelines across a list's releases, built from the diff of each consecutive pair.

>>> from ctlbuild.history.timeline import build_history
>>> h = build_history(ordered)                                   # doctest: +SKIP
>>> [(e.kind, h.releases[e.release].name) for e in h.roots[sha1].events]   # doctest: +SKIP
[('added', 'authroot-2018-05-18.stl'), ('changed', 'authroot.stl')]

Each pair is compared by ``reports.diff.diff_sources`` — the differ ``ctlbuild diff`` uses —
so a timeline says exactly what the diffs of its pairs say: a root's events are its
first appearance, each release that changed its attributes (the ``AttrChange``s of the
diff), a release that dropped it, and one that brought it back (compared with how it
was when last seen). Nothing is decoded twice: each release's model is read once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..model import Entry
from ..reports.diff import AttrChange, CtlDiff, FieldChange, diff_sources, entry_changes
from .releases import Ordered, OrderProblem, Release, one_list

#: Event kinds, in the words ``reports.historyview`` has for them.
EVENT_KINDS = ("added", "changed", "removed", "returned")


@dataclass(frozen=True)
class Event:
    """What happened to one root in one release (an index into ``History.releases``).
    ``entry`` is the root's entry after the event (before it, for "removed")."""

    release: int
    kind: str
    entry: Entry
    changes: tuple[AttrChange, ...] = ()


@dataclass
class RootTimeline:
    identifier: bytes
    events: list[Event] = field(default_factory=list)
    #: Whether the newest release lists it.
    present: bool = True
    #: The last release that lists it (an index into ``History.releases``).
    last_seen: int = 0

    @property
    def first_seen(self) -> int:
        return self.events[0].release

    @property
    def latest(self) -> Entry:
        """The root's entry as last seen."""
        return next(e.entry for e in reversed(self.events) if e.kind != "removed")

    @property
    def eventful(self) -> bool:
        """Anything happened after the first release of the history."""
        return len(self.events) > 1 or self.first_seen > 0 or not self.present


@dataclass(frozen=True)
class ReleaseSummary:
    """One release against the one before it (the first has no ``diff``)."""

    index: int
    release: Release
    entry_count: int
    diff: CtlDiff | None = None

    @property
    def header(self) -> list[FieldChange]:
        return self.diff.header if self.diff else []


@dataclass
class History:
    releases: tuple[Release, ...]
    problems: tuple[OrderProblem, ...]
    #: Every root ever listed, by identifier, in order of first appearance.
    roots: dict[bytes, RootTimeline]
    summaries: list[ReleaseSummary]

    @property
    def subject_algorithm(self) -> str:
        return self.releases[-1].trust_list.subject_algorithm


def build_history(ordered: Ordered) -> History:
    """The timelines of ``ordered`` (``releases.order_releases``), which must all be releases
    of one list."""
    releases = ordered.releases
    one_list(releases)
    roots: dict[bytes, RootTimeline] = {}
    first = releases[0]
    for entry in first.trust_list.entries:
        roots[entry.identifier] = RootTimeline(entry.identifier, [Event(0, "added", entry)])
    summaries = [ReleaseSummary(0, first, len(first.trust_list.entries))]
    for index in range(1, len(releases)):
        d = diff_sources(releases[index - 1].source, releases[index].source)
        _apply(roots, index, d)
        summaries.append(ReleaseSummary(index, releases[index], len(releases[index].trust_list.entries), d))
    last = len(releases) - 1
    for timeline in roots.values():
        timeline.last_seen = _last_seen(timeline, last)
    return History(releases, ordered.problems, roots, summaries)


def _apply(roots: dict[bytes, RootTimeline], index: int, d: CtlDiff) -> None:
    for entry in d.added:
        timeline = roots.get(entry.identifier)
        if timeline is None:
            roots[entry.identifier] = RootTimeline(entry.identifier, [Event(index, "added", entry)])
            continue
        # Back after a release without it: say what differs from how it was when last seen.
        timeline.events.append(Event(index, "returned", entry,
                                     entry_changes(timeline.latest, entry, compare_certificates=False)))
        timeline.present = True
    for change in d.changed:
        roots[change.new.identifier].events.append(Event(index, "changed", change.new, change.changes))
    for entry in d.removed:
        timeline = roots[entry.identifier]
        timeline.events.append(Event(index, "removed", entry))
        timeline.present = False


def _last_seen(timeline: RootTimeline, last: int) -> int:
    if timeline.present:
        return last
    return timeline.events[-1].release - 1  # the release before the one that removed it


def select_roots(history: History, wanted: Sequence[bytes]) -> list[RootTimeline]:
    """The timelines of the roots ``wanted`` names, each by its identifier, its SHA-1 or its
    SHA-256 (the entry's hash property); ValueError names one that no release lists."""
    out = []
    for key in wanted:
        found = history.roots.get(key) or next(
            (t for t in history.roots.values() if key in _hashes(t, history.subject_algorithm)), None)
        if found is None:
            raise ValueError(key.hex())
        if found not in out:
            out.append(found)
    return out


def _hashes(timeline: RootTimeline, subject_algorithm: str) -> set[bytes]:
    out = set()
    for event in timeline.events:
        e = event.entry
        out.update(h for h in (e.thumbprint(subject_algorithm), e.sha256) if h)
    return out
