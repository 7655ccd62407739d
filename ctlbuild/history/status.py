"""Whether a deployed trust list is fresh: the checks a monitor runs, with thresholds.

>>> from ctlbuild.history.status import Thresholds, file_status
>>> s = file_status(read_source(Path("authroot.stl")), at=now, thresholds=Thresholds())  # doctest: +SKIP
>>> s.level, [(c.name, c.level) for c in s.checks]                                      # doctest: +SKIP

For each file: its age since thisUpdate, the time left to nextUpdate (Microsoft's lists
have none), to the signer certificate's and to the embedded chain's expiry (Windows logs
Event 4107 once the CTL signer has expired), the sequence number against a previous
release, and the entry count. A time left of at most ``critical`` is CRITICAL, of at
most ``warn`` WARNING: the edge belongs to the worse level, so "7 days left" with
``critical=7d`` is critical. Gone (zero or less) is CRITICAL. A sequence number lower
than the previous release's is CRITICAL, the same one with other content WARNING.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from ..errors import FormatError
from ..formats.stl import signer_facts
from ..limits import as_path, is_folder
from ..lists.sources import Source, read_source, release_sources
from .releases import release_from_source

LEVELS = ("ok", "warning", "critical", "unknown")
OK, WARNING, CRITICAL, UNKNOWN = LEVELS


@dataclass(frozen=True)
class Thresholds:
    warn: timedelta = timedelta(days=30)
    critical: timedelta = timedelta(days=7)

    def __post_init__(self):
        if self.critical > self.warn:
            raise ValueError(f"the critical threshold ({self.critical}) is longer than the warning one ({self.warn})")

    def level(self, left: timedelta) -> str:
        if left <= self.critical or left <= timedelta(0):
            return CRITICAL
        return WARNING if left <= self.warn else OK


@dataclass(frozen=True)
class Check:
    """One check. ``name``: "next_update", "signer", "chain" (time left to a date: ``when``,
    ``left``), "sequence" (``detail`` "increased", "same", "same_content", "decreased"), or
    "signature" (``detail`` "unsigned": nothing to expire). ``subject`` names the certificate."""

    name: str
    level: str
    when: datetime | None = None
    left: timedelta | None = None
    detail: str = ""
    subject: str = ""


@dataclass(frozen=True)
class FileStatus:
    path: Path
    source: Source
    at: datetime
    age: timedelta
    entry_count: int
    checks: tuple[Check, ...]
    previous: Source | None = None

    @property
    def level(self) -> str:
        return worst(c.level for c in self.checks)

    @property
    def trust_list(self):
        return self.source.trust_list


def worst(levels) -> str:
    """The worst of some levels (OK when there are none)."""
    order = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}
    return max(levels, key=order.__getitem__, default=OK)


def status_sources(paths: Sequence) -> list[Source]:
    """What to check: each file given, and the CTL files of each folder (a mirror); in a
    folder, files holding no CTL (a store of certificates alone) are not releases and are
    passed over, but a folder with none at all is an error."""
    out = []
    for path in map(as_path, paths):
        if not is_folder(path):
            out.append(read_source(path))
            continue
        found = release_sources(path)
        if not found:
            raise FormatError("mirror folder holds no CTL files", path=path)
        out.extend(found)
    return out


def file_status(source: Source, at: datetime, thresholds: Thresholds, previous: Source | None = None) -> FileStatus:
    tl = source.trust_list
    if tl is None:
        raise FormatError(f"holds no CTL ({source.kind})", path=source.path)
    checks = []
    if tl.next_update is not None:
        checks.append(_until("next_update", tl.next_update, at, thresholds))
    checks += _signature_checks(source, at, thresholds)
    if previous is not None:
        checks.append(_sequence(source, previous))
    return FileStatus(Path(source.path), source, at, at - tl.this_update, len(tl.entries), tuple(checks), previous)


def _until(name: str, when: datetime, at: datetime, thresholds: Thresholds, subject: str = "") -> Check:
    left = when - at
    return Check(name, thresholds.level(left), when, left, subject=subject)


def _signature_checks(source: Source, at: datetime, thresholds: Thresholds) -> list[Check]:
    if source.signed is None:
        return [Check("signature", OK, detail="unsigned")]
    out = []
    signers = signer_facts(source.signed)
    for facts in signers:
        if facts.not_after is None:
            out.append(Check("signer", UNKNOWN, detail="not_embedded"))
        else:
            out.append(_until("signer", facts.not_after, at, thresholds, facts.subject))
    signer_serials = {f.serial for f in signers}
    chain = [c for c in source.signed.certificates if c.serial_number not in signer_serials]
    if chain:
        soonest = min(chain, key=lambda c: c.not_valid_after)
        out.append(_until("chain", soonest.not_valid_after, at, thresholds, _subject(soonest)))
    return out


def _subject(cert) -> str:
    try:
        name = cert.subject.native
        return name.get("common_name") or cert.subject.human_friendly
    except ValueError:  # an undecodable name in a hostile file: the serial still names it
        return f"serial {cert.serial_number:x}"


def _sequence(source: Source, previous: Source) -> Check:
    new, old = source.trust_list.sequence, previous.trust_list.sequence
    if new > old:
        return Check("sequence", OK, detail="increased")
    if new < old:
        return Check("sequence", CRITICAL, detail="decreased")
    same = release_from_source(source).digest == release_from_source(previous).digest
    return Check("sequence", OK if same else WARNING, detail="same_content" if same else "same")


@dataclass
class StatusReport:
    files: list[FileStatus] = field(default_factory=list)

    @property
    def level(self) -> str:
        return worst(f.level for f in self.files)
