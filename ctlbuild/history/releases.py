"""Releases of a trust list, read in any order and put in order.

>>> from ctlbuild.history.releases import read_releases, order_releases
>>> ordered = order_releases(read_releases(["2026/authroot.stl", "archive/"]))   # doctest: +SKIP
>>> [r.name for r in ordered.releases], [p.kind for p in ordered.problems]       # doctest: +SKIP

A release's place is its thisUpdate, then its sequence number: that is the order Windows
applies them in. Two releases with the same content are one release read twice (the
second is dropped, and said so); a sequence number that goes down while thisUpdate goes
up, or two different contents under one sequence number, are reported and kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from ..ctl.encode import encode_ctl
from ..errors import FormatError, UsageError
from ..limits import as_path, is_folder
from ..lists.sources import Source, read_source, release_sources
from ..model import TrustList

#: Releases one history holds at most: a bound on memory for what a folder or a git
#: history can bring (Microsoft has published some 120 authroot releases since 2006).
MAX_RELEASES = 10_000


@dataclass(frozen=True)
class Release:
    """One release as read. ``origin`` names it for people (a file, or ``repo:path@commit``);
    ``commit`` and ``committed`` are set for a version read from git."""

    origin: str
    source: Source
    digest: bytes  # SHA-256 of the CTL's DER: what makes two reads the same release
    commit: str | None = None
    committed: datetime | None = None

    @property
    def trust_list(self) -> TrustList:
        return self.source.trust_list

    @property
    def this_update(self) -> datetime:
        return self.trust_list.this_update

    @property
    def sequence(self) -> int:
        return self.trust_list.sequence

    @property
    def name(self) -> str:
        return Path(self.origin).name if self.commit is None else self.origin


def release_from_source(source: Source, origin: str | None = None, commit: str | None = None,
                        committed: datetime | None = None) -> Release:
    if source.trust_list is None:
        raise FormatError(f"holds no CTL ({source.kind}: {len(source.certificates)} certificates)",
                          path=source.path)
    ctl = source.signed.ctl_der if source.signed else encode_ctl(source.trust_list)
    return Release(origin or str(source.path), source, hashlib.sha256(ctl).digest(), commit, committed)


def read_releases(paths: Iterable) -> list[Release]:
    """Every release ``paths`` name: files (any CTL carrier or list) and folders of them
    (``lists.sources.release_files``, not descended into)."""
    out: list[Release] = []
    for path in map(as_path, paths):
        if not is_folder(path):
            out.append(release_from_source(read_source(path)))
            continue
        found = release_sources(path)
        if not found:
            raise FormatError("folder holds no CTL", path=path)
        out.extend(map(release_from_source, found))
        if len(out) > MAX_RELEASES:
            raise UsageError(f"more than {MAX_RELEASES} releases given (at {path})")
    return out


@dataclass(frozen=True)
class OrderProblem:
    """Something wrong with the order of the releases. ``kind``: "duplicate" (``release``
    has the same content as ``other``, and was dropped), "same_sequence" (different
    content, one sequence number), "backwards" (``release`` is later than ``other`` by
    thisUpdate, but its sequence number is lower)."""

    kind: str
    release: Release
    other: Release


@dataclass(frozen=True)
class Ordered:
    releases: tuple[Release, ...]
    problems: tuple[OrderProblem, ...]


def order_releases(releases: Sequence[Release]) -> Ordered:
    """The releases by thisUpdate and sequence number (ties keep the order given), with
    duplicates dropped and every oddity in the order reported."""
    problems: list[OrderProblem] = []
    seen: dict[bytes, Release] = {}
    kept: list[Release] = []
    for release in sorted(releases, key=lambda r: (r.this_update, r.sequence)):
        first = seen.get(release.digest)
        if first is not None:
            problems.append(OrderProblem("duplicate", release, first))
            continue
        seen[release.digest] = release
        if kept and kept[-1].sequence == release.sequence:
            problems.append(OrderProblem("same_sequence", release, kept[-1]))
        elif kept and release.sequence < kept[-1].sequence:
            problems.append(OrderProblem("backwards", release, kept[-1]))
        kept.append(release)
    return Ordered(tuple(kept), tuple(problems))


def one_list(releases: Sequence[Release]) -> None:
    """Refuse releases of different lists (an authroot and a disallowed list, say): a
    history of one list is what a timeline means."""
    if not releases:
        raise UsageError("no releases given")
    first = releases[0]
    for other in releases[1:]:
        if _list_key(other) != _list_key(first):
            raise UsageError(f"{other.origin} is a release of another list than {first.origin} "
                             f"({other.trust_list.kind} list with usage {', '.join(other.trust_list.usages)}, "
                             f"not {first.trust_list.kind} with {', '.join(first.trust_list.usages)})")


def _list_key(release: Release) -> tuple:
    return release.trust_list.kind, release.trust_list.usages


def in_force(releases: Sequence[Release], at: datetime) -> Release | None:
    """The release Windows would have had at ``at``: the latest one published by then
    (``releases`` in order)."""
    current = None
    for release in releases:
        if release.this_update > at:
            break
        current = release
    return current
