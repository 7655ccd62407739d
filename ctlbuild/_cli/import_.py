"""``ctlbuild import``: an existing CTL, cab, SST or certificate bundle → a list to edit."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..build.outputs import atomic_write, write_if_changed
from ..errors import OutputError
from ..lists.importer import import_source
from ..lists.sources import read_source
from ..reports.terminal import printable
from .common import PathArg, ProgressBar, parse_time, plural


@click.command("import")
@click.argument("source", type=PathArg(path_type=Path))
@click.option("-o", "--output", "output", required=True, type=PathArg(dir_okay=False, path_type=Path),
              help="The list to write (LIST.toml).")
@click.option("--certs-dir", type=PathArg(file_okay=False, path_type=Path),
              help="Where to write the certificates the source carries (default: certs/ beside the list).")
@click.option("--certs-from", "certs_from", multiple=True, type=PathArg(path_type=Path),
              help="Certificates (file, bundle or folder) to match CTL entries to: those entries "
                   "become cert = … (repeatable).")
@click.option("--name", help="The list's name (default: the source's file name up to its first dot; "
                              "a cabinet's without Windows Update's 'stl': authrootstl.cab → authroot).")
@click.option("--kind", type=click.Choice(["trusted", "disallowed"]),
              help="For certificate sources (default trusted); a CTL says its own.")
@click.option("--this-update", "this_update_text", metavar="TIME",
              help="For certificate sources, which carry no date.")
@click.option("--force", is_flag=True, help="Overwrite an existing list file.")
def command(source, output, certs_dir, certs_from, name, kind, this_update_text, force):
    """Turn SOURCE (a .stl, .cab, .sst, PEM/DER bundle or a folder of certificates) into
    a declarative list. Every attribute becomes its list field (dates, EKU names,
    policies, friendly names); anything ctlbuild does not model is kept verbatim as
    base64 with its OID, with a warning. Building the imported list reproduces the
    source's CTL content byte for byte.

    The list is named after SOURCE's file name up to its first dot, whatever SOURCE is
    (authroot-2018-05-18.stl → authroot-2018-05-18, roots.sst → roots, certs/ → certs);
    a cabinet loses the "stl" Windows Update appends to the list's name
    (authrootstl-2018-06-19.cab → authroot-2018-06-19), so a release imported from its
    .stl or its .cab gives the same list. --name chooses another.

    \b
    Examples:
      ctlbuild import authrootstl.cab -o lists/authroot.toml
      ctlbuild import roots.sst -o lists/roots.toml --this-update 2024-01-01
      ctlbuild build lists/authroot.toml --content-only && cmp out/authroot.ctl original.ctl
    """
    if output.exists() and not force:
        raise OutputError(f"{output} exists; use --force to overwrite it")
    with ProgressBar(f"reading {printable(click.format_filename(source.name))}") as progress:
        src = read_source(source, progress=progress)
    extra = [der for path in certs_from for der in read_source(path).certificates]
    this_update = parse_time(this_update_text, "--this-update") if this_update_text else None
    result = import_source(src, list_dir=output.parent, name=name, kind=kind, this_update=this_update,
                           certs_dir=certs_dir, certs_from=extra)
    for warning in result.warnings:
        click.echo(f"ctlbuild: warning: {warning}", err=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    for folder in {os.path.dirname(path) for path in result.cert_files}:
        Path(folder).mkdir(parents=True, exist_ok=True)
    for path, pem in result.cert_files.items():
        write_if_changed(path, pem)  # a re-import leaves unchanged certificates as they are
    atomic_write(output, result.text.encode())
    click.echo(f"{output}: {plural(result.entry_count, 'entry', 'entries')}"
               + (f", {plural(len(result.cert_files), 'certificate')} written" if result.cert_files else ""))
