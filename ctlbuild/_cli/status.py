"""``ctlbuild status``: is a deployed list fresh, and its signer far from expiry."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import CtlbuildError, UsageError
from ..history.status import StatusReport, Thresholds, file_status, status_sources
from ..lists.sources import read_source
from ..reports.monitorview import NAGIOS_CODES, nagios_line, render_prometheus, render_status_text, status_data
from ..timeutil import parse_duration
from .common import PathArg, lang_option, output_option, parse_time, write_report

FORMATS = ("text", "json", "prometheus")


@click.command("status")
@click.argument("files", nargs=-1, required=True, type=PathArg(path_type=Path))
@click.option("--warn", default="30d", show_default=True, help="WARNING when this little time is left (30d, 12h, 2w).")
@click.option("--critical", default="7d", show_default=True, help="CRITICAL when this little time is left.")
@click.option("--previous", "previous", multiple=True, type=PathArg(path_type=Path), metavar="FILE",
              help="The release deployed before: its sequence number must be lower (repeatable, one per list).")
@click.option("--at", "at", help="Judge at this time instead of now.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for pipelines, prometheus for node-exporter's textfile collector.")
@click.option("--nagios", is_flag=True,
              help="Monitoring-plugin exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and status line.")
@lang_option
@output_option
@click.pass_context
def command(ctx, files, warn, critical, previous, at, fmt, nagios, lang, output):
    """Check FILEs (CTLs, cabinets, or MIRROR folders of them): age since thisUpdate, time
    left to nextUpdate, to the signer's and the embedded chain's expiry (Windows logs Event
    4107 once the CTL signer has expired), the sequence number against --previous, the
    entry count. A time left of at most --critical is CRITICAL, of at most --warn WARNING.

    \b
    Exit status: 0 all OK; 1 a WARNING or CRITICAL check; 2 bad input.
    With --nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad input included).

    \b
    Examples:
      ctlbuild status /srv/mirror/ --warn 30d --critical 7d
      ctlbuild status authroot.stl --previous authroot.prev.stl --format prometheus \\
          -o /var/lib/node_exporter/textfile/ctl.prom
      ctlbuild status authrootstl.cab --nagios
    """
    try:
        report = _report(files, warn, critical, previous, at)
    except (CtlbuildError, OSError) as exc:
        if not nagios:
            raise
        # A monitoring plugin that cannot tell says UNKNOWN, on standard output, in one line.
        what = exc.diagnostics() if isinstance(exc, CtlbuildError) else f"{exc.filename or ''}: {exc.strerror or exc}"
        click.echo(f"CTL UNKNOWN - {what}")
        ctx.exit(NAGIOS_CODES["unknown"])
    if fmt == "json":
        text = json.dumps(status_data(report), indent=1, ensure_ascii=False) + "\n"
    elif fmt == "prometheus":
        text = render_prometheus(report)
    else:
        text = render_status_text(report, lang)
        if nagios:
            text = nagios_line(report) + text
    write_report(text, output)
    ctx.exit(NAGIOS_CODES[report.level] if nagios else (0 if report.level == "ok" else 1))


def _report(files, warn, critical, previous, at) -> StatusReport:
    try:
        thresholds = Thresholds(parse_duration(warn), parse_duration(critical))
    except ValueError as exc:
        raise UsageError(f"--warn/--critical: {exc}") from None
    when = parse_time(at, "--at") if at else datetime.now(timezone.utc).replace(microsecond=0)
    earlier = [read_source(p) for p in previous]
    for p, source in zip(previous, earlier):
        if source.trust_list is None:
            raise UsageError(f"--previous {p}: holds no CTL")
    report, used = StatusReport(), set()
    for source in status_sources(files):
        match = next((i for i, e in enumerate(earlier) if _same_list(e, source)), None)
        if match is not None:
            used.add(match)
        report.files.append(file_status(source, when, thresholds, earlier[match] if match is not None else None))
    unused = [str(previous[i]) for i in range(len(previous)) if i not in used]
    if unused:
        raise UsageError(f"--previous {', '.join(unused)}: no file checked is a release of the same list")
    return report


def _same_list(a, b) -> bool:
    return a.trust_list is not None and b.trust_list is not None and \
        (a.trust_list.kind, a.trust_list.usages) == (b.trust_list.kind, b.trust_list.usages)
