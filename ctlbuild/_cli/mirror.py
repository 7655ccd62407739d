"""``ctlbuild mirror build|check``: the folder Windows' certificate auto-update reads."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import UsageError
from ..formats.sniff import LIST, sniff
from ..lists.reader import load_list
from ..lists.sources import read_bytes
from ..mirror.builder import build_mirror
from ..mirror.check import check_mirror
from ..mirror.inputs import CertificatePool, input_from_ctl, input_from_list
from ..signing.keyfiles import load_cert_file
from ..timeutil import parse_duration
from ..verify.verifier import FAIL, WARN
from .common import PathArg, insecure_key_permissions, lock_waiting, out_dir_option, parse_time, plural, signing_time
from .signers import Signers, signer_spec

_MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.group("mirror")
def command():
    """Build or check the folder Windows' certificate auto-update reads (RootDirUrl,
    SyncFromDirUrl): authrootstl.cab, disallowedcertstl.cab, disallowedcert.sst,
    pinrulesstl.cab and one <SHA-1>.crt per trusted root."""


@command.command("build")
@click.argument("inputs", nargs=-1, required=True, type=PathArg(path_type=Path))
@out_dir_option(required=True, help="The mirror folder (created; updated in place as one set).")
@click.option("--certs", "certs_dirs", multiple=True, type=PathArg(file_okay=False, path_type=Path),
              help="A folder of certificates (PEM or DER; repeatable) matched to the entries: the trusted roots' "
                   ".crt files and the disallowed store come from here and from the lists.")
@click.option("--keep-removed", default="30d", show_default=True, metavar="DURATION",
              help="How long a root removed from the trusted list keeps its .crt (clients that have not "
                   "synced yet still fetch it): e.g. 30d, 2w, 0d.")
@click.option("--key", help="Signing key for LIST inputs (as for build); signed CTLs are served as they are.")
@click.option("--cert", type=PathArg(path_type=Path), help="Signer certificate (with --key).")
@click.option("--chain", multiple=True, type=PathArg(path_type=Path), help="Certificates above the signer.")
@click.option("--keys", "keys_dir", type=PathArg(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Development keys, when neither --key nor the list names a signer.")
@click.option("--signing-time", "signing_time_text", metavar="TIME",
              help="ISO 8601 time of this build: signs lists and starts grace periods "
                   "(default: SOURCE_DATE_EPOCH, else now).")
@insecure_key_permissions
def build_command(inputs, out_dir, certs_dirs, keep_removed, key, cert, chain, keys_dir, signing_time_text,
                  insecure_key_permissions):
    """Build the mirror folder OUT from INPUTS: declarative lists (built and signed) or signed
    CTLs (.stl, .cab, .sst: Microsoft's or yours, served unchanged), one per kind.

    \b
    The folder is always a complete old or new set: new certificates are renamed in before
    the cabinets that list them, deletions come last, a crash is rolled forward by the next
    run. A cabinet whose sequence number would go back is refused. Roots removed from the
    trusted list keep their .crt for --keep-removed, recorded in OUT/ctlbuild-mirror.json.

    \b
    Examples:
      ctlbuild mirror build authrootstl.cab disallowedcertstl.cab --certs roots/ -o mirror/
      ctlbuild mirror build examples/mirror/dev-roots.toml examples/diginotar-kb2616676.toml -o out/mirror
    """
    try:
        keep = parse_duration(keep_removed)
    except ValueError as exc:
        raise UsageError(f"--keep-removed: {exc}") from None
    now = signing_time(signing_time_text)
    pool = CertificatePool.from_folders(certs_dirs)
    items = _inputs(inputs, now, (key, cert, chain, keys_dir), insecure_key_permissions)
    for item in items:
        for entry in item.trust_list.entries:
            if entry.cert is not None:
                pool.add(entry.cert)
    plan = build_mirror(out_dir, items, pool, keep_removed=keep, now=now, on_wait=lock_waiting)
    for note in plan.notes:
        click.echo(f"ctlbuild: warning: {note}", err=True)
    for role, record in plan.manifest.ctls.items():
        click.echo(f"{out_dir / record['file']}: {plural(record['entries'], 'entry', 'entries')}, "
                   f"sequence {record['sequence']}")
    crts = sum(1 for n in plan.manifest.files if n.endswith(".crt"))
    click.echo(f"{out_dir}: {len(plan.staged) - 1} files written, {plan.unchanged} unchanged, "
               f"{len(plan.delete)} deleted; {plural(crts, 'root certificate')}, {len(plan.manifest.removed)} removed "
               "roots in their grace period")


def _inputs(paths, now, signer_options, allow_insecure):
    key, cert, chain, keys_dir = signer_options
    signers = Signers(allow_insecure)
    try:
        items = []
        for path in paths:
            data = read_bytes(path)  # once: `-` can be read once
            if sniff(data) == LIST:
                loaded = load_list(path, raw=data)
                spec = signer_spec(loaded, key, cert, chain, keys_dir)
                scheme = loaded.signer.scheme if loaded.signer else None
                digest = loaded.signer.digest if loaded.signer and loaded.signer.digest else "sha256"
                items.append(input_from_list(loaded, signers.get(spec, scheme), signing_time=now, digest=digest))
            else:
                items.append(input_from_ctl(path, data))
        return items
    finally:
        signers.close()


@command.command("check")
@click.argument("folder", type=PathArg(path_type=Path))
@click.option("--anchor", "anchors", multiple=True, type=PathArg(path_type=Path),
              help="Trusted root certificate(s) the CTLs must chain to (repeatable; PEM or DER).")
@click.option("--previous", type=PathArg(file_okay=False, path_type=Path),
              help="The mirror as clients last saw it: no sequence number may go back.")
@click.option("--at", "at_text", metavar="TIME", help="Check as of this time (default now): nextUpdate, "
                                                     "signer expiry, grace periods.")
@click.option("--allow-sha1", is_flag=True, help="Accept SHA-1 signatures (Microsoft's CTLs before 2020).")
@click.option("--allow-expired", is_flag=True, help="A passed nextUpdate is a warning, not a failure.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check_command(folder, anchors, previous, at_text, allow_sha1, allow_expired, as_json):
    """Check a mirror FOLDER: each problem is a finding naming its file.

    \b
    Every cabinet holds exactly one CTL that verifies; every trusted entry has a
    <SHA-1>.crt with that SHA-1 and the SHA-256 the CTL records; nothing stray or
    half-written; files as the manifest recorded them; removed roots within their grace
    period; thisUpdate/nextUpdate and signer expiry; with --previous, no sequence number
    went back. Exit 0 when nothing failed, 1 when something did, 2 on bad input.

    \b
    Examples:
      ctlbuild mirror check out/mirror --anchor keys/dev-root-ca.pem
      ctlbuild mirror check \\\\server\\CTL --anchor MicrosoftRootCA2010.crt --previous yesterday/
    """
    if not anchors:
        raise UsageError("mirror check needs at least one --anchor (the root the CTLs must chain to)")
    roots = [der for path in anchors for der in load_cert_file(path)]
    now = parse_time(at_text, "--at") if at_text else datetime.now(timezone.utc)
    report = check_mirror(folder, roots, now, previous=previous, allow_sha1=allow_sha1,
                          allow_expired=allow_expired)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
    else:
        for f in report.findings:
            where = f"{f.file}: " if f.file else ""
            click.echo(f"{_MARK[f.status]} {f.check:<10}{where}{f.message}")
        verdict = "OK" if report.ok else "FAILED"
        click.echo(f"{folder}: {verdict} ({report.count(FAIL)} failed, {report.count(WARN)} warnings)")
    raise SystemExit(0 if report.ok else 1)
