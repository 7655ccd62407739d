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
from .common import Progress, insecure_key_permissions, passphrase, pkcs11_pin, signing_time


@click.command("build")
@click.argument("lists", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="out",
              show_default=True, help="Output folder.")
@click.option("--key", help="Signing key: a file (PEM, DER, PKCS#12) or a PKCS#11 URI "
                             "('pkcs11:token=…;object=…', PIN from CTLBUILD_PKCS11_PIN or a prompt); "
                             "overrides the list's [signer].")
@click.option("--cert", type=click.Path(path_type=Path),
              help="Signer certificate (with --key; for a pkcs11: key, default: the one on the token).")
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
@insecure_key_permissions
def command(lists, out_dir, key, cert, chain, keys_dir, digest, scheme, signing_time_text, content_only,
            insecure_key_permissions):
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
      ctlbuild build list.toml --key 'pkcs11:token=hsm;object=ctl-signer' --cert signer.pem
    """
    when = signing_time(signing_time_text)
    loaded = [load_list(p) for p in lists]
    names = [item.trust_list.name for item in loaded]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise UsageError(f"two lists are named {duplicate!r}: their outputs would overwrite each other")
    files, records = {}, {}
    signers = _Signers(insecure_key_permissions)
    try:
        for item in loaded:
            if content_only:
                result = build_content(item)
                files.update(result.files)
                records[result.name] = result.manifest
                continue
            signer = signers.get(_signer_spec(item, key, cert, chain, keys_dir),
                                 scheme or (item.signer.scheme if item.signer else None))
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
    finally:
        signers.close()
    manifest = write_outputs(out_dir, files, records)
    for name, record in records.items():
        click.echo(f"{name}: {record['entries']} entries → "
                   + ", ".join(str(out_dir / f) for f in record["outputs"]))
    click.echo(f"manifest: {manifest}")


class _Signers:
    """One signer per key for the whole build: a token is logged in to, and a PIN or
    passphrase asked for, once; token sessions are closed at the end."""

    def __init__(self, allow_insecure_permissions: bool):
        self._allow_insecure = allow_insecure_permissions
        self._open = {}

    def get(self, spec, scheme):
        if (spec, scheme) not in self._open:
            self._open[spec, scheme] = open_signer(*spec, scheme=scheme, passphrase=passphrase, pin=pkcs11_pin,
                                                   allow_insecure_permissions=self._allow_insecure)
        return self._open[spec, scheme]

    def close(self):
        for signer in self._open.values():
            getattr(signer, "close", lambda: None)()  # file keys hold nothing open


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
