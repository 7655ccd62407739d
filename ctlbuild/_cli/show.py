"""``ctlbuild show``: a CTL's header and entries, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..readers import read_ctl
from ..render import describe, render_text
from .common import Progress, thumbprint_style


@click.command("show")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (shape: docs/show.schema.json).")
@click.option("--header-only", is_flag=True, help="Only the header, not the entries.")
@thumbprint_style
def command(file, as_json, header_only, thumbprint_style):
    """Print FILE's header (usage, identifier, sequence number, dates, algorithm, signer)
    and its entries (friendly name, issuer, thumbprint, decoded attributes).

    \b
    Examples:
      ctlbuild show out/diginotar-2.stl
      ctlbuild show authroot.stl --json --thumbprint-style upper | jq '.entries[0]'
    """
    progress = Progress(f"reading {file.name}", None)
    try:
        source = read_ctl(file, progress=progress)
    finally:
        progress.close()
    data = describe(source.trust_list, source.signers(), path=file, style=thumbprint_style,
                    entries=not header_only)
    if as_json:
        click.echo(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        click.echo(render_text(data), nl=False)


