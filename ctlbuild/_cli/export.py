"""``ctlbuild export``: a CTL as another platform's trust store, with a lossiness report."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..build.outputs import atomic_write
from ..export.api import DEFAULT_PURPOSES, export
from ..export.plan import NOT_BEFORE_MODES
from ..export.registry import FORMATS
from ..export.report import summary
from .common import PathArg, parse_time

PASSWORD_ENV = "CTLBUILD_EXPORT_PASSWORD"


@click.command("export")
@click.argument("source", type=PathArg(path_type=Path))
@click.option("--to", "to", required=True, type=click.Choice(list(FORMATS)), help="The target format.")
@click.option("-o", "--output", required=True, type=PathArg(path_type=Path),
              help="The file (a folder for openssl-dir) to write.")
@click.option("--purpose", "purposes", multiple=True, metavar="EKU",
              help="A purpose to export trust for: an EKU name or OID (repeatable; default server_auth).")
@click.option("--at", "at_text", metavar="TIME", help="Decide trust at this time (default: now).")
@click.option("--certs", "certs", multiple=True, type=PathArg(path_type=Path),
              help="Certificates for the CTL's entries: a folder (e.g. <SHA1>.crt files), a PEM bundle, "
                   "a DER file or an SST (repeatable).")
@click.option("--not-before", "not_before", type=click.Choice(NOT_BEFORE_MODES), default="exclude",
              show_default=True,
              help="A root whose new certificates the CTL distrusts (NotBefore), in a format that cannot say "
                   "so: leave it out (exclude) or trust it fully (include).")
@click.option("--report", "report_path", type=PathArg(path_type=Path, dir_okay=False),
              help="Write the per-entry lossiness report here (JSON).")
def command(source, to, output, purposes, at_text, certs, not_before, report_path):
    """Export SOURCE (a list, .stl, .cab or .sst) as a trust store for other platforms:
    pem (a bundle), openssl-dir (-CApath), p11-kit (anchors with purposes, distrust-after,
    blocklist), pkcs12 (a Java truststore; password from CTLBUILD_EXPORT_PASSWORD or a prompt),
    or json. A summary of what the format could not carry goes to stderr; --report has
    every entry.

    \b
    Examples:
      ctlbuild export authroot.stl --certs certs/ --to pem -o roots.pem --report loss.json
      ctlbuild export authroot.stl --certs certs/ --to p11-kit -o microsoft.p11-kit
      ctlbuild export disallowedcert.stl --certs certs/ --to p11-kit -o blocklist.p11-kit
      CTLBUILD_EXPORT_PASSWORD=changeit ctlbuild export authroot.stl --certs cacert.pem --to pkcs12 -o roots.p12
    """
    at = parse_time(at_text, "--at") if at_text else datetime.now(timezone.utc).replace(microsecond=0)
    password = _password(output) if to == "pkcs12" else None
    result = export(source, to, output, at=at, purposes=purposes or DEFAULT_PURPOSES, certs=certs,
                    not_before=not_before, password=password)
    if report_path is not None:
        text = json.dumps(result.report.as_dict(), indent=1, ensure_ascii=False) + "\n"
        atomic_write(report_path, text.encode("utf-8"))
    click.echo(summary(result.report), err=True, nl=False)


def _password(output: Path) -> bytes | None:
    """From CTLBUILD_EXPORT_PASSWORD, or asked (twice) on the terminal; never from a flag."""
    secret = os.environ.get(PASSWORD_ENV)
    if secret:
        return secret.encode()
    if sys.stdin.isatty():
        return click.prompt(f"Password for {output}", hide_input=True, confirmation_prompt=True,
                            err=True).encode()
    return None
