"""``ctlbuild build``: declarative lists → signed CTLs in out/, with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..build.outputs import compare_outputs, read_manifest, write_outputs
from ..build.pipeline import build_content, build_list
from ..errors import UsageError
from ..formats.certificates import eku_oids, load_x509
from ..lists.reader import load_list
from ..oids import SIGNING_DIGESTS, Usage
from ..reports.terminal import printable
from .common import (
    PathArg,
    ProgressBar,
    insecure_key_permissions,
    lock_waiting,
    out_dir_option,
    plural,
    signing_time,
)
from .signers import Signers, signer_spec


@click.command("build")
@click.argument("lists", nargs=-1, required=True, type=PathArg(path_type=Path))
@out_dir_option(default="out", show_default=True, help="Output folder.")
@click.option("--key", help="Signing key: a file (PEM, DER, PKCS#12) or a PKCS#11 URI "
                             "('pkcs11:token=…;object=…', PIN from CTLBUILD_PKCS11_PIN or a prompt); "
                             "overrides the list's [signer].")
@click.option("--cert", type=PathArg(path_type=Path),
              help="Signer certificate (with --key; for a pkcs11: key, default: the one on the token).")
@click.option("--chain", multiple=True, type=PathArg(path_type=Path),
              help="Certificates to embed above the signer (repeatable).")
@click.option("--keys", "keys_dir", type=PathArg(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Development keys, used when neither --key nor the list names a signer.")
@click.option("--digest", type=click.Choice(SIGNING_DIGESTS),
              help="Digest for the signature (default: the list's, else sha256).")
@click.option("--scheme", type=click.Choice(["pkcs1v15", "pss", "ecdsa"]),
              help="Signature scheme (default: PKCS#1 v1.5 for RSA, ECDSA for EC keys).")
@click.option("--signing-time", "signing_time_text", metavar="TIME",
              help="ISO 8601 signing time (default: SOURCE_DATE_EPOCH, else now).")
@click.option("--content-only", is_flag=True,
              help="Write only the unsigned CTL DER, OUT/<name>.ctl (no key needed): "
                   "compare it with another CTL's content with cmp.")
@click.option("--check", is_flag=True,
              help="Rebuild in memory and compare with what OUT holds (signing time from OUT's manifest "
                   "unless --signing-time): exit 1 on any difference. Writes nothing.")
@insecure_key_permissions
def command(lists, out_dir, key, cert, chain, keys_dir, digest, scheme, signing_time_text, content_only,
            check, insecure_key_permissions):
    """Build and sign each LIST.toml into OUT/<name>.stl and record it in OUT/manifest.json.

    \b
    Each list chooses its outputs (outputs = ["stl", "sst", "cab"], all by default):
    <name>.stl, <name>.sst (the entries whose certificates the list has, with their
    properties) and <name>stl.cab; a list that names its previous releases also gets
    <name>.changelog.md. Every list is read and checked before anything is written;
    outputs are staged, then renamed into place, manifest last; a lock file keeps two
    builds from writing into one OUT at once.

    \b
    Examples:
      ctlbuild build examples/diginotar-kb2616676.toml
      SOURCE_DATE_EPOCH=1315872000 ctlbuild build examples/*.toml -o out/
      ctlbuild build list.toml --key signer.p12 --digest sha384
      ctlbuild build list.toml --key 'pkcs11:token=hsm;object=ctl-signer' --cert signer.pem
      ctlbuild build examples/*.toml --check      # does out/ match a rebuild?
    """
    loaded = _load_all(lists)
    recorded = read_manifest(out_dir)["lists"] if check else {}
    files, records = {}, {}
    signers = Signers(insecure_key_permissions)
    try:
        for item in loaded:
            if content_only:
                result = build_content(item)
            else:
                when = _signing_time_for(item, signing_time_text, recorded)
                spec = signer_spec(item, key, cert, chain, keys_dir)
                result = _build_signed(item, signers.get(spec, scheme or (item.signer and item.signer.scheme)),
                                       when, digest or (item.signer.digest if item.signer else "sha256"),
                                       notes=not check)
            files.update(result.files)
            records[result.name] = result.manifest
    finally:
        signers.close()
    if check:
        _report_check(out_dir, files, records)
        return
    # --content-only writes a .ctl to compare: the signed outputs it does not rebuild stay.
    published = write_outputs(out_dir, files, records, partial=content_only, on_wait=lock_waiting)
    for name, record in records.items():
        click.echo(f"{name}: {plural(record['entries'], 'entry', 'entries')} → "
                   + ", ".join(str(out_dir / f) for f in record["outputs"]))
    _report_stale(out_dir, published)
    click.echo(f"manifest: {published.manifest}")


def _load_all(lists):
    loaded = [load_list(p) for p in lists]
    names = [item.trust_list.name for item in loaded]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise UsageError(f"two lists are named {duplicate!r}: their outputs would overwrite each other")
    return loaded


def _signing_time_for(item, text, recorded):
    """--signing-time or SOURCE_DATE_EPOCH or now; for --check, what the manifest recorded."""
    previous = (recorded.get(item.trust_list.name) or {}).get("signing_time")
    if recorded and not text and previous:
        return signing_time(previous)
    return signing_time(text)


def _build_signed(item, signer, when, digest, notes=True):
    _warn_usage(item, signer)
    with ProgressBar(f"encoding {printable(item.trust_list.name)}") as progress:
        result = build_list(item, signer, signing_time=when, digest=digest, progress=progress)
    for warning in result.warnings:
        click.echo(f"ctlbuild: warning: {warning}", err=True)
    if notes:  # --check compares; what the build said about the entries it said when it ran
        _note_ctl_only(result, item)
    return result


def _report_stale(out_dir, published):
    if published.removed:
        click.echo("removed (no longer in the lists' outputs): "
                   + ", ".join(printable(str(out_dir / name)) for name in published.removed))
    for name, why in published.kept:
        click.echo(f"ctlbuild: warning: {printable(str(out_dir / name))}: no longer an output, but {why}; "
                   "left in place", err=True)


def _report_check(out_dir, files, records):
    notes = []
    differences = compare_outputs(out_dir, files, records, notes)
    for line in notes:
        click.echo(f"note: {printable(line)}")
    for line in differences:
        click.echo(f"DIFFERS {printable(line)}")  # names from the manifest: anyone may write it
    if differences:
        click.echo(f"{out_dir}: {plural(len(differences), 'difference')} from a rebuild", err=True)
        raise SystemExit(1)
    what = "its manifest record" if len(files) == 1 else "their manifest records"
    click.echo(f"{printable(str(out_dir))}: {plural(len(files), 'file')} and {what} match a rebuild")


def _note_ctl_only(result, item):
    if not any(name.endswith(".sst") for name in result.files):
        return
    names = result.ctl_only(item.trust_list)
    if names and len(names) == len(item.trust_list.entries):
        kept = [o for o in item.outputs if o != "sst"]
        click.echo(f"ctlbuild: warning: {result.name}: no entry has a certificate, so the .sst is empty; "
                   f"set outputs = {json.dumps(kept)} in the list to leave it out", err=True)
    elif names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        click.echo(f"ctlbuild: warning: {result.name}: {plural(len(names), 'entry', 'entries')} CTL only "
                   f"(no certificate, so not in the .sst): {shown}", err=True)


def _warn_usage(item, signer):
    if item.trust_list.kind != "trusted":
        return
    if Usage.ROOT_LIST_SIGNER not in eku_oids(load_x509(signer.certificate)):
        click.echo(f"ctlbuild: warning: {item.trust_list.name}: a trusted-root list's signer usually carries "
                   f"EKU root list signer ({Usage.ROOT_LIST_SIGNER}); this one does not", err=True)
