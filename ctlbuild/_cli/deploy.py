"""``ctlbuild deploy``: the kit an administrator hands to Windows for a list."""

from __future__ import annotations

from pathlib import Path

import click

from ..build.outputs import OutputDir
from ..lists.reader import load_list
from ..mirror.deploy import build_kit
from ..mirror.inputs import CertificatePool
from .common import PathArg, lock_waiting, out_dir_option, plural


@click.command("deploy")
@click.argument("list_path", metavar="LIST", type=PathArg(path_type=Path))
@out_dir_option(required=True, help="Folder for the kit.")
@click.option("--mirror-url", metavar="URL",
              help="The mirror's http(s):// or file:// URL: adds <name>-mirror.reg (RootDirUrl, SyncFromDirUrl) "
                   "and its rollback.")
@click.option("--certs", "certs_dirs", multiple=True, type=PathArg(file_okay=False, path_type=Path),
              help="A folder of certificates (repeatable) for entries the list names by thumbprint only.")
def command(list_path, out_dir, mirror_url, certs_dirs):
    """Write a deploy kit for LIST into OUT: <name>.sst (for certutil -addstore or
    Import-Certificate), <name>-import.ps1 into the LocalMachine store the list's kind calls
    for (Disallowed or Root), <name>-rollback.ps1 that removes exactly what the import added,
    with --mirror-url the .reg files for the auto-update URL, and README.txt (the order).

    \b
    Examples:
      ctlbuild deploy examples/mirror/dev-roots.toml -o out/deploy --mirror-url https://pki.example/ctl
      ctlbuild deploy lists/distrust.toml --certs certs/ -o kit/
    """
    loaded = load_list(list_path)
    pool = CertificatePool.from_folders(certs_dirs)
    kit = build_kit(loaded.trust_list, pool, mirror_url=mirror_url)
    with OutputDir(out_dir, on_wait=lock_waiting) as out:
        out.commit(kit.files)
    for note in kit.notes:
        click.echo(f"ctlbuild: warning: {note}", err=True)
    click.echo(f"{kit.name}: {plural(len(kit.thumbprints), 'certificate')} for Cert:\\LocalMachine\\{kit.store} → "
               + ", ".join(str(out_dir / name) for name in kit.files))
