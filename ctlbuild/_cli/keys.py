"""``ctlbuild keys init``: development keys for trying ctlbuild out, in files or on a PKCS#11 token."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from ..signing.devkeys import DEFAULT_DAYS, Validity, create_dev_keys, create_dev_keys_on_token
from ..timeutil import iso
from .common import PathArg, parse_time, pkcs11_pin


@click.group("keys")
def command():
    """Manage signing keys."""


@command.command("init")
@click.option("--dir", "folder", type=PathArg(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Where to write the keys.")
@click.option("--algorithm", type=click.Choice(["rsa", "ec"]), default="rsa", show_default=True,
              help="RSA-3072 or ECDSA P-256 keys.")
@click.option("--pkcs11", "uri", metavar="URI",
              help="Generate the signer key ON this PKCS#11 token (RFC 7512 URI; object= labels the key); "
                   "PIN from CTLBUILD_PKCS11_PIN or a prompt.")
@click.option("--not-before", "not_before", metavar="DATE", default="2000-01-01T00:00:00Z", show_default=True,
              help="Start of both certificates' validity: a build can sign no earlier than this "
                   "(SOURCE_DATE_EPOCH=1315872000 is 2011-09-13).")
@click.option("--days", type=int, default=DEFAULT_DAYS, show_default=True,
              help="Length of the validity from --not-before (the default ends 2050-01-01).")
@click.option("--force", is_flag=True,
              help="Replace development keys already in DIR (only once the new ones are made).")
def init(folder: Path, algorithm: str, uri: str | None, not_before: str, days: int, force: bool):
    """Create a DEVELOPMENT root CA and a CTL-signing certificate it issues.

    \b
    The signer carries EKU Microsoft Trust List Signing (1.3.6.1.4.1.311.10.3.1) and
    root list signer (1.3.6.1.4.1.311.10.3.9), so it signs disallowed and trusted
    lists alike. Private keys are written mode 0600. Not for production.

    \b
    With --pkcs11 the signer's key pair is generated on the token (sensitive, not
    extractable); its certificate is written to DIR/dev-signer.pem and stored on the
    token beside it. The root CA stays in files.

    \b
    Both certificates are valid from --not-before (default 2000-01-01) for --days, so
    reproducible builds may sign at the dates of past releases.

    \b
    Examples:
      ctlbuild keys init --dir keys/
      ctlbuild keys init --force --not-before 2011-01-01 --days 365
      CTLBUILD_PKCS11_PIN=1234 ctlbuild keys init --pkcs11 'pkcs11:token=dev;object=dev-signer'
    """
    validity = _validity(not_before, days)
    if uri:
        made = create_dev_keys_on_token(folder, uri, algorithm=algorithm, pin=pkcs11_pin, validity=validity,
                                        force=force)
        click.echo(f"development keys written to {folder}/ and the token (not for production):")
        for p in made.all():
            click.echo(f"  {p}")
        click.echo(f"  {made.uri}  (signer key, on the token with its certificate)")
        click.echo(f"build with: ctlbuild build LIST.toml --key '{made.uri}'")
        click.echo(f"verify builds with: ctlbuild verify out/NAME.stl --anchor {made.root_cert}")
        return
    paths = create_dev_keys(folder, algorithm=algorithm, validity=validity, force=force)
    click.echo(f"development keys written to {folder}/, valid {iso(validity.not_before)} .. "
               f"{iso(validity.not_after)} (not for production):")
    for p in paths.all():
        click.echo(f"  {p}")
    click.echo(f"verify builds with: ctlbuild verify out/NAME.stl --anchor {paths.root_cert}")


def _validity(not_before: str, days: int) -> Validity:
    try:
        return Validity.starting(parse_time(not_before, "--not-before"), days)
    except ValueError as exc:
        raise UsageError(f"--not-before/--days: {exc}") from None
