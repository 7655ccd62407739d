"""``ctlbuild history``: per-root timelines across releases, as text, Markdown, HTML or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError
from ..history.git import git_releases, parse_spec
from ..history.releases import order_releases, read_releases
from ..history.timeline import build_history, select_roots
from ..reports.historyview import FORMATS, history_data, render_history
from ..thumbprint import parse_hex
from .common import PathArg, lang_option, output_option, templates_option, thumbprint_style, write_report


@click.command("history")
@click.argument("sources", nargs=-1, type=PathArg(path_type=Path))
@click.option("--git", "git_specs", multiple=True, metavar="REPO:PATH",
              help="Every committed version of PATH in the git repository REPO (repeatable).")
@click.option("--root", "roots", multiple=True, metavar="THUMBPRINT",
              help="Only this root's timeline (SHA-1, SHA-256 or the list's identifier; repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, md or html for publishing, json for pipelines.")
@lang_option
@output_option
@templates_option
@thumbprint_style
def command(sources, git_specs, roots, fmt, lang, output, templates, thumbprint_style):
    """Show the history of a trust list across its releases: per root, when it was first
    seen, every attribute change with its release date (EKUs added or removed, disallowed,
    disabled since, NotBefore set or moved, EV policies, friendly name), when it was
    removed and last seen; and per release, what changed against the one before.

    SOURCES are releases in any order: CTLs (.stl), cabinets, stores, lists, or folders
    of them. They are put in order by thisUpdate and sequence number; the same release
    read twice, and a sequence number going backwards, are reported.

    \b
    Exit status: 0 success, 2 bad input.

    \b
    Examples:
      ctlbuild history authroot-2018-05-18.stl authroot-2018-06-19.stl authroot.stl
      ctlbuild history archive/ --root "cd d4 ee ae 60 00 ac 7f 40 c3 80 2c 17 1e 30 14 80 30 c0 72"
      ctlbuild history --git ~/ctl-archive:authroot.stl --format html -o history.html
    """
    releases = read_releases(sources)
    for spec in git_specs:
        releases.extend(git_releases(*parse_spec(spec)))
    if not releases:
        raise UsageError("give at least one release (SOURCE or --git REPO:PATH)")
    history = build_history(order_releases(releases))
    chosen = _chosen(history, roots)
    if fmt == "json":
        text = json.dumps(history_data(history, chosen, thumbprint_style), indent=1, ensure_ascii=False) + "\n"
    else:
        text = render_history(history, fmt, lang=lang, style=thumbprint_style, roots=chosen, templates=templates)
    write_report(text, output)


def _chosen(history, roots):
    if not roots:
        return None
    keys = []
    for text in roots:
        try:
            keys.append(parse_hex(text, what="--root"))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        return select_roots(history, keys)
    except ValueError as exc:
        raise UsageError(f"--root {exc}: no release lists this root") from None
