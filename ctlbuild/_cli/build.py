"""``ctlbuild build``: declarative lists → signed CTLs in out/, with a manifest."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import build_content, build_list
from ..devkeys import DevKeyPaths
from ..errors import SignerKeyError, UsageError
from ..keys import open_signer
from ..listfile import load_list
from ..oids import Usage
from ..outputs import write_outputs
from .common import Progress, passphrase, signing_time


@click.command("build")
@click.argument("lists", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="out",
              show_default=True, help="Output folder.")
@click.option("--key", help="Signing key file (PEM, DER, PKCS#12); overrides the list's [signer].")
@click.option("--cert", type=click.Path(path_type=Path), help="Signer certificate (with --key).")
@click.option("--chain", multiple=True, type=click.Path(path_type=Path),
              help="Certificates to embed above the signer (repeatable).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Development keys, used when neither --key nor the list names a signer.")
@click.option("--digest", type=click.Choice(["sha256", "sha384", "sha512", "sha1"]),
              help="Digest for the signature (default: the list's, else sha256).")
@click.option("--scheme", type=click.Choice(["pkcs1v15", "pss", "ecdsa"]),
              help="Signature scheme (default: PKCS#1 v1.5 for RSA, ECDSA for EC keys).")
@click.option("--signing-time", "signing_time_text", metavar="TIME",
              help="ISO 8601 signing time (default: SOURCE_DATE_EPOCH, else now).")
@click.option("--content-only", is_flag=True,
              help="Write only the unsigned CTL DER, OUT/<name>.ctl (no key needed): "
                   "compare it with another CTL's content with cmp.")
def command(lists, out_dir, key, cert, chain, keys_dir, digest, scheme, signing_time_text, content_only):
    """Build and sign each LIST.toml into OUT/<name>.stl and record it in OUT/manifest.json.

    \b
    Each list chooses its outputs (outputs = ["stl", "sst", "cab"], all by default):
    <name>.stl, <name>.sst (the entries whose certificates the list has, with their
    properties) and <name>stl.cab. Every list is read and checked before anything is
    written; outputs are written to temporary files and renamed into place.

    \b
    Examples:
      ctlbuild build examples/diginotar-2.toml
      SOURCE_DATE_EPOCH=1315872000 ctlbuild build examples/*.toml -o out/
      ctlbuild build list.toml --key signer.p12 --digest sha384
    """
    when = signing_time(signing_time_text)
    loaded = [load_list(p) for p in lists]
    names = [item.trust_list.name for item in loaded]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise UsageError(f"two lists are named {duplicate!r}: their outputs would overwrite each other")
    files, records = {}, {}
    for item in loaded:
        if content_only:
            result = build_content(item)
            files.update(result.files)
            records[result.name] = result.manifest
            continue
        spec = _signer_spec(item, key, cert, chain, keys_dir)
        signer = open_signer(*spec, scheme=scheme or (item.signer.scheme if item.signer else None),
                             passphrase=passphrase)
        _warn_usage(item, signer)
        progress = Progress(f"encoding {item.trust_list.name}", len(item.trust_list.entries))
        try:
            result = build_list(item, signer, signing_time=when,
                                digest=digest or (item.signer.digest if item.signer else "sha256"),
                                progress=progress)
        finally:
            progress.close()
        for warning in result.warnings:
            click.echo(f"ctlbuild: warning: {warning}", err=True)
        files.update(result.files)
        records[result.name] = result.manifest
        _note_ctl_only(result, item)
    manifest = write_outputs(out_dir, files, records)
    for name, record in records.items():
        click.echo(f"{name}: {record['entries']} entries → "
                   + ", ".join(str(out_dir / f) for f in record["outputs"]))
    click.echo(f"manifest: {manifest}")


def _note_ctl_only(result, item):
    if not any(name.endswith(".sst") for name in result.files):
        return
    names = result.ctl_only(item.trust_list)
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        click.echo(f"{result.name}: CTL only (no certificate, so not in the .sst): {shown}", err=True)


def _signer_spec(item, key, cert, chain, keys_dir):
    if key:
        return key, cert, tuple(chain)
    if item.signer:
        s = item.signer
        return s.key, s.cert, s.chain + tuple(chain)
    dev = DevKeyPaths.in_dir(keys_dir)
    if not dev.signer_key.exists():
        raise SignerKeyError(f"{item.path}: no signer: the list has no [signer], no --key was given, and "
                             f"{dev.signer_key} does not exist (run 'ctlbuild keys init' for development keys)")
    return str(dev.signer_key), dev.signer_cert, tuple(chain)


def _warn_usage(item, signer):
    from cryptography import x509

    if item.trust_list.kind != "trusted":
        return
    cert = x509.load_der_x509_certificate(signer.certificate)
    try:
        ekus = {o.dotted_string for o in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
    except x509.ExtensionNotFound:
        ekus = set()
    if Usage.ROOT_LIST_SIGNER not in ekus:
        click.echo(f"ctlbuild: warning: {item.trust_list.name}: a trusted-root list's signer usually carries "
                   f"EKU root list signer ({Usage.ROOT_LIST_SIGNER}); this one does not", err=True)
