"""``ctlbuild changelog``: one advisory-style document across releases of a list."""

from __future__ import annotations

from pathlib import Path

import click

from ..reports.changelog import FORMATS, read_versions, render_changelog
from .common import PathArg, lang_option, output_option, templates_option, thumbprint_style, write_report


@click.command("changelog")
@click.argument("versions", nargs=-1, required=True, type=PathArg(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="md (Markdown) or html (one standalone page).")
@lang_option
@output_option
@templates_option
@thumbprint_style
def command(versions, fmt, lang, output, templates, thumbprint_style):
    """Render the changelog of VERSIONS, oldest first: each a list (.toml), a CTL
    (.stl, .cab) or a folder of releases (ordered by thisUpdate). A single list that
    names its previous releases (previous = [...]) stands for its whole history.

    The document reads like a security advisory: the title and metadata from the
    list's [advisory], a summary, the thumbprint table of every certificate that ever
    appeared (Certificate | Issuer | Thumbprint | Update) and the revision history,
    one line per version: V<n>.0 (date): what changed.

    \b
    Examples:
      ctlbuild changelog examples/diginotar-kb2607712.toml examples/diginotar-kb2616676.toml
      ctlbuild changelog examples/diginotar-kb2616676.toml --lang zh-CN --format html -o changelog.html
      ctlbuild changelog releases/ --templates my-templates/
    """
    text = render_changelog(read_versions(versions), fmt, lang=lang, style=thumbprint_style, templates=templates)
    write_report(text, output)
