"""``ctlbuild trust``: whether a root is trusted, for a purpose, at a time, and why."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import UsageError
from ..history.git import git_releases, parse_spec
from ..history.releases import read_releases
from ..history.trust import DEFAULT_PURPOSE, RootQuery, trust_verdict
from ..reports.monitorview import render_trust_text, trust_data
from .common import PathArg, lang_option, parse_time


@click.command("trust")
@click.argument("root")
@click.option("--in", "sources", multiple=True, type=PathArg(path_type=Path), metavar="SOURCE",
              help="A release (CTL, cab, list) or a folder of releases (repeatable); disallowed-certificate "
                   "lists among them count too.")
@click.option("--git", "git_specs", multiple=True, metavar="REPO:PATH",
              help="Every committed version of PATH in the git repository REPO (repeatable).")
@click.option("--purpose", default=DEFAULT_PURPOSE, show_default=True,
              help="An EKU name (server_auth, code_signing, ...) or OID.")
@click.option("--issued", help="When the certificate under the root was issued (default: --at).")
@click.option("--at", "at", help="When trust is judged (default: now); picks the release in force then.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON data instead of text.")
@lang_option
@click.pass_context
def command(ctx, root, sources, git_specs, purpose, issued, at, as_json, lang):
    """Say whether Windows' CTL semantics trust ROOT (a SHA-1 or SHA-256 thumbprint, or the
    root's certificate file) for --purpose at --at, for a certificate issued at --issued under
    it, with every reason: listed or not, EKUs, disabled since, NotBefore for the purpose and
    the issue date, and the disallowed-certificate list. When the sources are a history, the
    release in force at --at (the latest published by then) decides.

    \b
    Exit status: 0 trusted, 1 not trusted, 2 bad input.

    \b
    Examples:
      ctlbuild trust 2e03931cd19c3ff5985fb87aadc153eb5dbdf1e3 --in authroot.stl --issued 2026-10-01
      ctlbuild trust root.pem --in archive/ --at 2019-01-01 --purpose code_signing --json
    """
    when = parse_time(at, "--at") if at else datetime.now(timezone.utc).replace(microsecond=0)
    issued_at = parse_time(issued, "--issued") if issued else None
    releases = read_releases(sources)
    for spec in git_specs:
        releases.extend(git_releases(*parse_spec(spec)))
    if not releases:
        raise UsageError("give the list with --in SOURCE (or --git REPO:PATH)")
    verdict = trust_verdict(RootQuery.from_text(root), releases, purpose, when, issued_at)
    if as_json:
        click.echo(json.dumps(trust_data(verdict), indent=1, ensure_ascii=False))
    else:
        click.echo(render_trust_text(verdict, lang), nl=False)
    ctx.exit(0 if verdict.trusted else 1)
