"""The ``ctlbuild`` command: a thin click layer over the library.

Each subcommand lives in its own module; errors from the library are typed and
turned into one line and an exit status here, at the boundary, once.
"""

from __future__ import annotations

import os
import sys

import click

from .._version import __version__
from ..errors import CtlbuildError
from .common import remedy_text


class _Group(click.Group):
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


def _register():
    from . import build, changelog, deploy, diff, import_, keys, mirror, show, verify
    for module in (keys, build, show, verify, import_, diff, changelog):
        main.add_command(module.command)
    for module in (mirror, deploy):  # the Windows side: mirror folders and deploy kits
        main.add_command(module.command)


_register()


def run():  # pragma: no cover - console entry point
    sys.exit(main())
