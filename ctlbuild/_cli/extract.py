"""``ctlbuild extract``: the signed .stl out of a cabinet, or the CTL content out of a signed file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..limits import is_stdin
from ..lists.sources import extract
from .common import PathArg


@click.command("extract")
@click.argument("file", type=PathArg(path_type=Path))
@click.option("--content", "what", flag_value="content",
              help="The CTL the file signs, as DER (the SignedData's eContent; what build --content-only writes).")
@click.option("--stl", "what", flag_value="stl",
              help="The signed CTL: the .stl inside a cabinet or store, or the .stl itself.")
@click.option("-o", "--output", required=True, type=PathArg(path_type=Path),
              help="The file to write (replaced atomically); - for standard output.")
def command(file, what, output):
    """Write one part of FILE (.stl, .cab, .sst or a bare CTL; - for standard input) to OUTPUT.

    \b
    Examples:
      ctlbuild extract authrootstl.cab --stl -o authroot.stl
      ctlbuild extract authroot.stl --content -o authroot.ctl
      cmp out/authroot.ctl <(ctlbuild extract authrootstl.cab --content -o -)
    """
    if what is None:
        raise UsageError("say what to extract: --content or --stl")
    data = extract(file, what)
    if is_stdin(output):
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # pragma: no cover - a text-only stdout
            raise UsageError("standard output takes no bytes here; give -o FILE")
        out.write(data)
        out.flush()
    elif output.is_dir():
        raise UsageError(f"{output}: is a folder; -o takes the file to write")
    elif output.exists() and not output.is_file():  # a device or pipe (/dev/null): written in place
        with open(output, "wb") as fh:
            fh.write(data)
    else:
        from ..build.outputs import atomic_write
        atomic_write(output, data)
