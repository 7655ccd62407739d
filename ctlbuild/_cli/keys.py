"""``ctlbuild keys init``: development keys for trying ctlbuild out."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from ..devkeys import create_dev_keys


@click.group("keys")
def command():
    """Manage signing keys."""


@command.command("init")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default="keys",
              show_default=True, help="Where to write the keys.")
@click.option("--algorithm", type=click.Choice(["rsa", "ec"]), default="rsa", show_default=True,
              help="RSA-3072 or ECDSA P-256 keys.")
def init(folder: Path, algorithm: str):
    """Create a DEVELOPMENT root CA and a CTL-signing certificate it issues.

    \b
    The signer carries EKU Microsoft Trust List Signing (1.3.6.1.4.1.311.10.3.1) and
    root list signer (1.3.6.1.4.1.311.10.3.9), so it signs disallowed and trusted
    lists alike. Private keys are written mode 0600. Not for production.

    \b
    Example:
      ctlbuild keys init --dir keys/
    """
    paths = create_dev_keys(folder, datetime.now(timezone.utc), algorithm)
    click.echo(f"development keys written to {folder}/ (not for production):")
    for p in paths.all():
        click.echo(f"  {p}")
    click.echo(f"verify builds with: ctlbuild verify out/NAME.stl --anchor {paths.root_cert}")
