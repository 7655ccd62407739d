"""The ``ctlbuild`` command: a thin click layer over the library.

Each subcommand lives in its own module, imported only when that command runs (or
``--help`` lists them), so ``ctlbuild --version`` and every command pay only for the
library modules they use. Errors from the library are typed and turned into one line
and an exit status here, at the boundary, once.
"""

from __future__ import annotations

import os
import sys

import click

from .._gc import freeze_at_exit, loading_code
from .._version import __version__
from ..errors import CtlbuildError
from ..reports.terminal import printable

freeze_at_exit()  # the process's exit, not its work: see _gc

#: Subcommand name → module: imported when that command runs (or help lists them), so that
#: ``ctlbuild verify`` does not pay for the build pipeline, the templates or PKCS#11.
COMMANDS = {"keys": "keys", "build": "build", "show": "show", "verify": "verify", "import": "import_",
            "diff": "diff", "changelog": "changelog", "history": "history", "trust": "trust",
            "status": "status", "export": "export", "mirror": "mirror", "deploy": "deploy"}
COMMANDS["extract"] = "extract"


#: How the CLI words each remedy a library error names (``CtlbuildError.remedy``).
REMEDIES = {
    "allow_insecure_permissions": "or pass --insecure-key-permissions to use it anyway",
    "cert": "give the signer certificate with --cert",
    "this_update": "give --this-update",
    "signing_time": "choose another --signing-time (or SOURCE_DATE_EPOCH) or signer",
    "templates": "--templates takes a folder",
    "passphrase": "set CTLBUILD_KEY_PASSPHRASE, or run in a terminal to be asked",
    "export_password": "set CTLBUILD_EXPORT_PASSWORD, or run in a terminal to be asked",
    "dev_keys": "make development keys that cover it with 'ctlbuild keys init --force' (valid from "
                "2000-01-01 for 50 years; --dir DIR for other than keys/, --not-before DATE --days N to choose)",
    "force": "or pass --force to replace them",
}


def remedy_text(remedy: str | None) -> str:
    return f"; {REMEDIES[remedy]}" if remedy in REMEDIES else ""


class _Group(click.Group):
    def list_commands(self, ctx):
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx, name):
        if name in COMMANDS and name not in self.commands:
            from importlib import import_module

            with loading_code():
                from .common import harmonise  # --json and --format json, wherever either is taken
                module = import_module(f".{COMMANDS[name]}", __name__)
            self.add_command(harmonise(module.command), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CtlbuildError as exc:
            # One line, whatever a file or member name in the message holds.
            click.echo(f"ctlbuild: error: {printable(exc.diagnostics())}{remedy_text(exc.remedy)}", err=True)
            ctx.exit(exc.exit_status)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `ctlbuild show --json | head -1`: the reader had enough
            _quiet_stdout()
            ctx.exit(0)
        except OSError as exc:  # the user's filesystem: permissions, a full disk, a missing folder
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"ctlbuild: error: {printable(where + str(exc.strerror or exc))}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("ctlbuild: interrupted; nothing was half-written", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug, not the user's doing: one line unless debugging
            if os.environ.get("CTLBUILD_DEBUG"):
                raise
            click.echo(f"ctlbuild: internal error: {type(exc).__name__}: {exc} "
                       "(set CTLBUILD_DEBUG=1 for the traceback)", err=True)
            ctx.exit(3)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (an in-process test runner)
        pass


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ctlbuild")
def main():
    """Build, sign, show and verify Microsoft Certificate Trust Lists.

    \b
    Exit status: 0 success; 1 verification failed; 2 bad input or usage.
    """


def run():  # pragma: no cover - console entry point
    sys.exit(main())
