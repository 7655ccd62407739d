"""Export a CTL to another platform's trust store, with a report of what was lost.

>>> from datetime import datetime, timezone
>>> from ctlbuild.export.api import export
>>> result = export("authroot.stl", "pem", "roots.pem", certs=["certs/"],
...                 at=datetime(2026, 1, 1, tzinfo=timezone.utc))      # doctest: +SKIP
>>> result.report.totals()["written"]                                  # doctest: +SKIP

The library never reads the clock (``at`` is the caller's) and never prompts (``password``
is the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import UsageError
from ..lists.sources import read_ctl
from ..oids import EKU, eku_oid
from .certs import load_pool
from .plan import NOT_BEFORE_MODES, decide
from .publish import publish
from .registry import FORMATS
from .report import Meta, Report, build_report
from .writing import Job

DEFAULT_PURPOSES = ("server_auth",)


@dataclass(frozen=True)
class Result:
    report: Report
    files: tuple[str, ...]  # what was written, relative to the output (a folder's files)


def export(source, to: str, output, *, at: datetime, purposes=DEFAULT_PURPOSES, certs=(),
           not_before: str = "exclude", password: bytes | None = None) -> Result:
    """Read ``source`` (a list, .stl, .cab or .sst), decide each entry's trust for
    ``purposes`` at ``at``, write it as ``to`` into ``output`` and report every loss."""
    fmt = _format(to)
    oids = _purposes(purposes)
    if not_before not in NOT_BEFORE_MODES:
        raise UsageError(f"not_before must be one of {', '.join(NOT_BEFORE_MODES)}, not {not_before!r}")
    src = read_ctl(source)  # read_source keeps a command line's `-` standard input
    tl = src.trust_list
    if tl.kind == "disallowed" and not fmt.capabilities.blocklist:
        blockers = ", ".join(n for n, f in FORMATS.items() if f.capabilities.blocklist)
        raise UsageError(f"{source}: a disallowed list is a blocklist; {to} cannot carry distrust "
                         f"(exporting it would trust what it distrusts): export it as {blockers}")
    pool = load_pool(certs, src.certificates, tl.subject_algorithm)
    decisions = decide(tl, pool, fmt.capabilities, oids, at, not_before)
    meta = Meta(to, str(source), tl.name, tl.kind, oids, at, not_before, str(output))
    report = build_report(decisions, pool.unmatched(), meta)
    job = Job(tuple(report.written()), tl, oids, at, Path(source).name, password)
    files = fmt.write(job)
    publish(Path(output), files, folder=fmt.capabilities.folder)
    return Result(report, tuple(name for name, _ in files))


def _format(name: str):
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown export format {name!r}; one of {', '.join(FORMATS)}") from None


def _purposes(purposes) -> tuple[str, ...]:
    out = []
    for p in purposes or DEFAULT_PURPOSES:
        try:
            oid = eku_oid(p)
        except ValueError:
            raise UsageError(f"unknown purpose {p!r}; a name ({', '.join(sorted(EKU))}) or a dotted OID") from None
        if oid not in out:
            out.append(oid)
    return tuple(out)
