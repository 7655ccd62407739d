"""``ctlbuild keys init``: development keys for trying ctlbuild out, in files or on a PKCS#11 token."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from ..signing.devkeys import create_dev_keys, create_dev_keys_on_token
from .common import pkcs11_pin


@click.group("keys")
def command():
    """Manage signing keys."""


@command.command("init")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Where to write the keys.")
@click.option("--algorithm", type=click.Choice(["rsa", "ec"]), default="rsa", show_default=True,
              help="RSA-3072 or ECDSA P-256 keys.")
@click.option("--pkcs11", "uri", metavar="URI",
              help="Generate the signer key ON this PKCS#11 token (RFC 7512 URI; object= labels the key); "
                   "PIN from CTLBUILD_PKCS11_PIN or a prompt.")
def init(folder: Path, algorithm: str, uri: str | None):
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
    Examples:
      ctlbuild keys init --dir keys/
      CTLBUILD_PKCS11_PIN=1234 ctlbuild keys init --pkcs11 'pkcs11:token=dev;object=dev-signer'
    """
    now = datetime.now(timezone.utc)
    if uri:
        made = create_dev_keys_on_token(folder, uri, now, algorithm, pin=pkcs11_pin)
        click.echo(f"development keys written to {folder}/ and the token (not for production):")
        for p in made.all():
            click.echo(f"  {p}")
        click.echo(f"  {made.uri}  (signer key, on the token with its certificate)")
        click.echo(f"build with: ctlbuild build LIST.toml --key '{made.uri}'")
        click.echo(f"verify builds with: ctlbuild verify out/NAME.stl --anchor {made.root_cert}")
        return
    paths = create_dev_keys(folder, now, algorithm)
    click.echo(f"development keys written to {folder}/ (not for production):")
    for p in paths.all():
        click.echo(f"  {p}")
    click.echo(f"verify builds with: ctlbuild verify out/NAME.stl --anchor {paths.root_cert}")
