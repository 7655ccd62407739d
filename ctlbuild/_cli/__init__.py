"""The ``ctlbuild`` command: a thin click layer over the library.

Each subcommand lives in its own module, imported only when that command runs (or
``--help`` lists them), so ``ctlbuild --version`` and every command pay only for the
library modules they use. Errors from the library are typed and turned into one line
and an exit status here, at the boundary, once.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from .._version import __version__
from ..errors import CtlbuildError
from .common import remedy_text


#: command name -> its module in this package, in the order ``--help`` lists them
COMMANDS = {"keys": ".keys", "build": ".build", "show": ".show", "verify": ".verify", "import": ".import_",
            "diff": ".diff", "changelog": ".changelog"}


class _Group(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        return import_module(module, __package__).command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CtlbuildError as exc:
            click.echo(f"ctlbuild: error: {exc.diagnostics()}{remedy_text(exc.remedy)}", err=True)
            ctx.exit(exc.exit_status)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except OSError as exc:  # the user's filesystem: permissions, a full disk, a missing folder
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"ctlbuild: error: {where}{exc.strerror or exc}", err=True)
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ctlbuild")
def main():
    """Build, sign, show and verify Microsoft Certificate Trust Lists.

    \b
    Exit status: 0 success; 1 verification failed; 2 bad input or usage.
    """


def run():  # pragma: no cover - console entry point
    sys.exit(main())
