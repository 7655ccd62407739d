"""``ctlbuild show``: a CTL's header and entries, or a store's certificates, as text or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..formats.stl import nested_signer_facts
from ..lists.sources import read_source, shown_path
from ..reports.show import (
    describe,
    describe_certificates,
    iter_entry_data,
    json_document,
    printable,
    render_certificates_stable,
    render_certificates_text,
    render_stable,
    render_text,
)
from .common import PathArg, ProgressBar, thumbprint_style


@click.command("show")
@click.argument("file", type=PathArg(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON data instead of text.")
@click.option("--header-only", is_flag=True,
              help="Only the CTL header (and its entry count): the entries are counted, not decoded.")
@click.option("--stable", is_flag=True,
              help="Text that changes only where the CTL does, for git (diff.stl.textconv) and diff(1): "
                   "one line per entry sorted by identifier; no file name, row numbers or padding.")
@click.option("--certs", "certs", multiple=True, type=PathArg(path_type=Path),
              help="Certificates you hold (a folder, PEM/DER file or .sst; repeatable): entries without "
                   "a friendly name are named by the certificate with their identifier.")
@thumbprint_style
def command(file, as_json, header_only, stable, certs, thumbprint_style):
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
      ctlbuild show disallowedcert.stl --certs roots/
      git config diff.stl.textconv "ctlbuild show --stable"
    """
    if stable and as_json:
        raise UsageError("--stable is text; --json is already stable")
    with ProgressBar(f"reading {printable(click.format_filename(file.name))}") as progress:
        source = read_source(file, progress=progress, entries=not header_only)
    if source.trust_list is not None and not source.certificates:
        tl = source.trust_list
        # JSON streams its entries (a 1M-entry document is ~600 MB, never held whole);
        # the text table needs them all to size its columns.
        names = _names(certs) if certs else None
        nested = nested_signer_facts(source.signed) if source.signed else None
        data = describe(tl, source.signers(), path=None if stable else shown_path(file), style=thumbprint_style,
                        entries=not header_only and not as_json, entry_count=source.entry_count,
                        nested=nested, names=names)
        entries = iter_entry_data(tl, thumbprint_style, names) if as_json and not header_only else None
        text = render_stable if stable else render_text
    else:
        data, entries = describe_certificates(source, thumbprint_style), None
        text = render_certificates_stable if stable else render_certificates_text
    if as_json:
        _write_json(data, entries)
    else:
        click.echo(text(data), nl=False)


def _write_json(data: dict, entries) -> None:
    import orjson

    # click.echo per piece would be slow; CliRunner swaps sys.stdout too, so write to it.
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    pieces = json_document(data, entries) if entries is not None else \
        [orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"]
    sys.stdout.flush()  # whatever went through the text layer first stays first
    for piece in pieces:
        if out is not None:
            out.write(piece)
        else:
            sys.stdout.write(piece.decode("utf-8"))
    sys.stdout.flush()


def _names(certs):
    from ..reports.certnames import CertificateNames  # only with --certs (it reads stores too)

    return CertificateNames.load(certs)
