"""``ctlbuild diff``: what changed between two releases, as text, Markdown, HTML or JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..reports.diff import diff_files
from ..reports.diffview import FORMATS, diff_data, render_diff
from .common import PathArg, lang_option, output_option, templates_option, thumbprint_style, write_report

#: Colours of the text report's roles (ctlbuild.reports.diffview.ROLES) in a terminal.
_COLOURS = {"heading": {"bold": True}, "added": {"fg": "green"}, "removed": {"fg": "red"},
            "changed": {"fg": "yellow"}, "note": {"dim": True}}

GIT_EXTERNAL = "--git-external"


class _DiffCommand(click.Command):
    """git appends its arguments to diff.<driver>.command: all after --git-external are git's
    (1, 7 or 9 of them, and a path may start with "-"), never options of ours."""

    def parse_args(self, ctx, args):
        if GIT_EXTERNAL in args:
            at = args.index(GIT_EXTERNAL) + 1
            ctx.meta[GIT_EXTERNAL], args = tuple(args[at:]), args[:at]
        return super().parse_args(ctx, args)


@click.command("diff", cls=_DiffCommand)
@click.argument("old", type=PathArg(path_type=Path), required=False)
@click.argument("new", type=PathArg(path_type=Path), required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people (colour in a terminal), md or html for publishing, json for pipelines.")
@lang_option
@output_option
@templates_option
@thumbprint_style
@click.option(GIT_EXTERNAL, "git_external", is_flag=True,
              help="git's external diff driver (git config diff.stl.command 'ctlbuild diff --git-external'), "
                   "given what git passes after it (the path alone when unmerged; 7 arguments; 9 on a rename): "
                   "the text report, exit 0 whether or not the files differ. Put other options before it.")
@click.pass_context
def command(ctx, old, new, fmt, lang, output, templates, thumbprint_style, git_external):
    """Say what changed from OLD to NEW, each a signed CTL (.stl, .cab), a bare CTL or a
    list (.toml): entries added, removed and changed attribute by attribute, header and
    extension changes (CT logs by log ID), and the envelope (signer). Entries are matched
    by identifier: a reordering is mentioned once, never reported as a change.

    \b
    Exit status, like diff(1): 0 identical, 1 different, 2 error.

    \b
    Examples:
      ctlbuild diff authroot-2018-05-18.stl authrootstl-2018-06-19.cab
      ctlbuild diff examples/diginotar-kb2607712.toml out/diginotar-kb2616676.stl --lang zh-CN
      ctlbuild diff old.stl new.stl --format json | jq '.changed[].entry.friendly_name'
      git config diff.stl.command "ctlbuild diff --git-external"
    """
    if git_external:
        _git_external(ctx, old, fmt, lang, output, thumbprint_style)
    if old is None or new is None:
        raise click.UsageError("diff needs OLD and NEW (or --git-external and what git passes)")
    d = diff_files(old, new)
    if fmt == "json":
        text = json.dumps(diff_data(d, thumbprint_style), indent=1, ensure_ascii=False) + "\n"
    else:
        paint = _paint if fmt == "text" and output is None and _colour_terminal() else None
        text = render_diff(d, fmt, lang=lang, style=thumbprint_style, templates=templates, paint=paint)
    write_report(text, output)
    ctx.exit(1 if d.differs else 0)


def _git_external(ctx, old, fmt, lang, output, style):
    """git reads the text report, and takes any exit status but 0 as a crash."""
    from .gitdiff import git_external

    if fmt != "text":
        raise UsageError(f"--git-external writes the text report for git, not --format {fmt}")
    if old is not None:
        raise UsageError("--git-external takes git's arguments after it, not OLD and NEW before it")
    write_report(git_external(ctx.meta[GIT_EXTERNAL], lang=lang, style=style), output)
    ctx.exit(0)


def _colour_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _paint(text: str, role: str) -> str:
    return click.style(text, **_COLOURS[role])
