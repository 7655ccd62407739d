"""``ctlbuild verify``: is this signed CTL what it claims to be?"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import UsageError
from ..lists.sources import signed_bytes
from ..signing.keyfiles import load_cert_file
from ..verify.verifier import FAIL, WARN, verify_ctl
from .common import ProgressBar, parse_time

_MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--anchor", "anchors", multiple=True, type=click.Path(path_type=Path),
              help="Trusted root certificate(s), PEM or DER (repeatable; a PEM bundle is fine).")
@click.option("--at", "at_text", metavar="TIME", help="Validate the chain at this time instead of the signing time.")
@click.option("--list", "list_path", type=click.Path(path_type=Path),
              help="Also check the entries equal what this LIST.toml builds.")
@click.option("--allow-expired", is_flag=True, help="A passed nextUpdate is a warning, not a failure.")
@click.option("--allow-sha1", is_flag=True,
              help="Accept SHA-1 digests and certificate signatures (Microsoft's files before 2020); "
                   "each use is reported as a warning.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def command(file, anchors, at_text, list_path, allow_expired, allow_sha1, as_json):
    """Check every signature FILE (.stl, or the CTL in a .cab or .sst) carries, and
    report each check as a finding.

    \b
    Checks: structure; content digest = signed messageDigest; signature over the
    signed attributes; signer EKU; chain to --anchor at the signing time (or --at);
    expiry now (a warning); nextUpdate; with --list, the entries.
    Exit 0 when every check passes, 1 when one fails, 2 on bad input.

    \b
    Examples:
      ctlbuild verify out/diginotar-2.stl --anchor keys/dev-root-ca.pem --list examples/diginotar-2.toml
      ctlbuild verify authroot.stl --anchor MicrosoftRootCA2010.crt --anchor MicrosoftRootCA.crt --allow-sha1
    """
    if not anchors:
        raise UsageError("verify needs at least one --anchor (the root certificate you trust)")
    roots = [der for path in anchors for der in load_cert_file(path)]
    at = parse_time(at_text, "--at") if at_text else None
    expected = _expected_ctl(list_path) if list_path else None
    report = verify_ctl(signed_bytes(file), roots, datetime.now(timezone.utc), at=at,
                        expected_ctl=expected, allow_expired=allow_expired, allow_sha1=allow_sha1, path=file)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
    else:
        _print_text(report, file)
    raise SystemExit(0 if report.ok else 1)


def _expected_ctl(list_path):
    # The list reader and encoder (TOML, list checks) only for --list.
    from ..ctl.encode import encode_ctl
    from ..lists.reader import load_list
    from ..reports.show import printable

    tl = load_list(list_path).trust_list
    with ProgressBar(f"encoding {printable(tl.name)}") as progress:
        return encode_ctl(tl, progress)


def _print_text(report, file):
    for f in report.findings:
        where = f" [{f.signature}]" if f.signature else ""
        click.echo(f"{_MARK[f.status]} {f.check:<17}{f.message}{where}")
    fails = sum(f.status == FAIL for f in report.findings)
    warns = sum(f.status == WARN for f in report.findings)
    verdict = "VERIFIED" if report.ok else "FAILED"
    click.echo(f"{file}: {verdict} ({fails} failed, {warns} warnings)")
