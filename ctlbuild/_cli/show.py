"""``ctlbuild show``: a CTL's header and entries, or a store's certificates, as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..lists.sources import read_source
from ..reports.show import (
    describe,
    describe_certificates,
    render_certificates_text,
    render_text,
)
from .common import Progress, thumbprint_style


@click.command("show")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON data instead of text.")
@click.option("--header-only", is_flag=True, help="Only the CTL header, not the entries.")
@thumbprint_style
def command(file, as_json, header_only, thumbprint_style):
    """Print FILE: a CTL's header (usage, identifier, sequence number, dates, algorithm,
    signer) and entries (friendly name, issuer, thumbprint, decoded attributes); or the
    certificates of a serialized store (.sst), a PEM/DER bundle or a folder, with every
    store property decoded. FILE's kind is detected from its content (.stl, .cab, .sst,
    bare CTL DER, certificates).

    \b
    Examples:
      ctlbuild show out/diginotar-kb2616676.stl
      ctlbuild show authrootstl.cab --json --thumbprint-style upper | jq '.entries[0]'
      ctlbuild show roots.sst
    """
    progress = Progress(f"reading {file.name}", None)
    try:
        source = read_source(file, progress=progress)
    finally:
        progress.close()
    if source.trust_list is not None and not source.certificates:
        data = describe(source.trust_list, source.signers(), path=file, style=thumbprint_style,
                        entries=not header_only)
        text = render_text
    else:
        data = describe_certificates(source, thumbprint_style)
        text = render_certificates_text
    if as_json:
        _write_json(data)
    else:
        click.echo(text(data), nl=False)


def _write_json(data) -> None:
    """Stream the JSON: a 1M-entry CTL's document is ~500 MB, never held as one string."""
    out = sys.stdout  # click.echo per piece would be slow; CliRunner swaps sys.stdout too
    batch = []
    for piece in json.JSONEncoder(indent=1, ensure_ascii=False).iterencode(data):
        batch.append(piece)
        if len(batch) >= 4096:
            out.write("".join(batch))
            batch.clear()
    batch.append("\n")
    out.write("".join(batch))
    out.flush()
