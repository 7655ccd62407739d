"""``ctlbuild verify``: is this signed CTL what it claims to be?"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import CtlbuildError, UsageError
from ..limits import files_of, shown_path
from ..lists.sources import signed_view
from ..reports.terminal import printable
from ..signing.keyfiles import load_cert_file
from ..verify.verifier import FAIL, WARN, verify_ctl
from .common import PathArg, ProgressBar, parse_time, plural

_MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.command("verify")
@click.argument("file", type=PathArg(path_type=Path))
@click.option("--anchor", "anchors", multiple=True, type=PathArg(path_type=Path),
              help="Trusted root certificate(s): a PEM or DER file, a PEM bundle, or a folder of them "
                   "(repeatable).")
@click.option("--untrusted", "untrusted", multiple=True, type=PathArg(path_type=Path),
              help="Intermediate certificate(s) that may complete a path but are not trusted themselves "
                   "(file, bundle or folder; repeatable), like openssl's -untrusted.")
@click.option("--at", "at_text", metavar="TIME", help="Validate the chain at this time instead of the signing time.")
@click.option("--list", "list_path", type=PathArg(path_type=Path),
              help="Also check the entries equal what this LIST.toml builds.")
@click.option("--allow-expired", is_flag=True, help="A passed nextUpdate is a warning, not a failure.")
@click.option("--allow-sha1", is_flag=True,
              help="Accept SHA-1 digests and certificate signatures (Microsoft's files before 2020); "
                   "each use is reported as a warning.")
@click.option("--allow-md5", is_flag=True,
              help="Accept MD5 (auditing Microsoft's 2006–2009 files); each use is reported as a warning.")
@click.option("--allow-weak-keys", is_flag=True,
              help="Accept RSA keys under 2048 bits and curves under P-256 (historical files); "
                   "each is reported as a warning.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def command(file, anchors, untrusted, at_text, list_path, allow_expired, allow_sha1, allow_md5,
            allow_weak_keys, as_json):
    """Check every signature FILE (.stl, or the CTL in a .cab or .sst) carries, and
    report each check as a finding.

    \b
    Checks: strict DER; content digest = signed messageDigest; signature over the
    signed attributes; signer key and EKU; an RFC 5280 path to an --anchor at the
    signing time (or --at) with Windows' EKU nesting; expiry now (a warning);
    nextUpdate; with --list, the entries.
    Exit 0 when every check passes, 1 when one fails, 2 on bad input.

    \b
    Examples:
      ctlbuild verify out/diginotar-kb2616676.stl --anchor keys/dev-root-ca.pem --list examples/diginotar-kb2616676.toml
      ctlbuild verify authroot.stl --anchor MicrosoftRootCA2010.crt --anchor MicrosoftRootCA.crt --allow-sha1
    """
    if not anchors:
        raise UsageError("verify needs at least one --anchor (the root certificate you trust)")
    roots = _certificates(anchors)
    intermediates = _certificates(untrusted)
    at = parse_time(at_text, "--at") if at_text else None
    expected = _expected_ctl(list_path) if list_path else None
    report = verify_ctl(signed_view(file), roots, datetime.now(timezone.utc), at=at, expected_ctl=expected,
                        allow_expired=allow_expired, allow_sha1=allow_sha1, allow_md5=allow_md5,
                        allow_weak_keys=allow_weak_keys, untrusted=intermediates, path=shown_path(file),
                        file_hash=as_json)  # only --json prints the file's SHA-256
    if report.malformed:
        # Not a signed CTL at all (truncated, garbage, past a limit): bad input, like every
        # other reader. The finding already names the file and offset.
        raise CtlbuildError(next(f.message for f in report.findings if f.status == FAIL))
    if as_json:
        import json  # only for --json

        from ..reports.verifyview import verify_data
        click.echo(json.dumps(verify_data(report), indent=1, ensure_ascii=False))
    else:
        _print_text(report, shown_path(file))
    raise SystemExit(0 if report.ok else 1)


def _expected_ctl(list_path) -> bytes:
    # The list reader and encoder (TOML, list checks) only for --list.
    from ..ctl.encode import encode_ctl
    from ..lists.reader import load_list

    tl = load_list(list_path).trust_list
    with ProgressBar(f"encoding {printable(tl.name)}") as progress:
        return encode_ctl(tl, progress)


def _certificates(paths) -> list[bytes]:
    """Certificates from files and folders (each regular, not hidden, file in a folder, sorted
    by name; one that is not a certificate is an error naming it, not silently skipped)."""
    ders = []
    for path in paths:
        files, budget = files_of(path)
        if not files:
            raise UsageError(f"{path}: the folder holds no certificate files")
        for f in files:
            ders.extend(load_cert_file(f, budget))
    return ders


def _print_text(report, file):
    """Every line escaped (names in a hostile file must not forge lines or hide them); the
    verdict is the one last line."""
    for f in report.findings:
        where = f" [{printable(f.signature)}]" if f.signature else ""
        click.echo(f"{_MARK[f.status]} {f.check:<17}{printable(f.message)}{where}")
    fails = sum(f.status == FAIL for f in report.findings)
    warns = sum(f.status == WARN for f in report.findings)
    verdict = "VERIFIED" if report.ok else "FAILED"
    click.echo(f"{printable(str(file))}: {verdict} ({fails} failed, {plural(warns, 'warning')})")
