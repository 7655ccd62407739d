"""Things several commands share: options, times, passphrases and PINs, reports, progress on stderr,
and the words for the remedies library errors name."""

from __future__ import annotations

import functools
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import UsageError
from ..limits import STDIN, STDIN_PATH, is_stdin
from ..reports.i18n import LANGUAGES
from ..reports.terminal import plural  # noqa: F401 - the commands import it from here
from ..thumbprint import STYLES

PASSPHRASE_ENV = "CTLBUILD_KEY_PASSPHRASE"
PIN_ENV = "CTLBUILD_PKCS11_PIN"
PROGRESS_THRESHOLD = 50_000


class PathArg(click.Path):
    """click.Path whose ``-``, exactly as typed, is limits.STDIN_PATH: the one path every reader
    takes for standard input (limits.is_stdin). Any other path is a file, even one pathlib
    folds into ``-``: ``show ./-`` reads the file named ``-``, as in every POSIX tool (made
    absolute as well, so that its message and any str() of it never spell a bare ``-``)."""

    def convert(self, value, param, ctx):
        if is_stdin(value):
            return STDIN_PATH
        path = super().convert(value, param, ctx)
        if str(path) == STDIN:
            return type(path)(os.path.abspath(value))
        return path


thumbprint_style = click.option("--thumbprint-style", type=click.Choice(STYLES), default="spaced",
                                show_default=True, help="How thumbprints are printed.")


def parse_time(value: str, option: str) -> datetime:
    """``now``, a date (midnight UTC) or an ISO 8601 date-time with Z or an offset."""
    from ..lists.validators import to_datetime  # the list layer, only for commands that take a time

    if value.strip().lower() == "now":
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return to_datetime(value.strip())
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def signing_time(value: str | None) -> datetime:
    """--signing-time, else SOURCE_DATE_EPOCH (reproducible builds), else now."""
    if value:
        return parse_time(value, "--signing-time")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    return datetime.now(timezone.utc).replace(microsecond=0)


def passphrase(path: str) -> bytes | None:
    """From CTLBUILD_KEY_PASSPHRASE, or asked on the terminal; never from a flag."""
    secret = os.environ.get(PASSPHRASE_ENV)
    if secret:
        return secret.encode()
    if sys.stdin.isatty():
        return click.prompt(f"Passphrase for {path}", hide_input=True, err=True).encode()
    return None


def pkcs11_pin(token: str) -> str | None:
    """A token's user PIN from CTLBUILD_PKCS11_PIN, or asked on the terminal; never from a flag."""
    secret = os.environ.get(PIN_ENV)
    if secret:
        return secret
    if sys.stdin.isatty():
        return click.prompt(f"User PIN for {token}", hide_input=True, err=True)
    return None


lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                           help="Language of the report's words.")
output_option = click.option("-o", "--output", type=PathArg(path_type=Path, dir_okay=False),
                             help="Write the report to this file instead of standard output.")
templates_option = click.option("--templates", type=PathArg(path_type=Path, file_okay=False),
                                help="A folder of Jinja2 templates looked in before the built-in ones "
                                     "(<name>.<lang>.<format>.j2, then <name>.<format>.j2).")


def lock_waiting(folder: Path, holder: str | None, seconds: float) -> None:
    """Said once on stderr when an output folder's lock is held by another build."""
    click.echo(f"ctlbuild: {click.format_filename(folder)}: another ctlbuild build is writing here"
               f"{f' ({holder})' if holder else ''}; waiting up to {seconds:g} s for it to finish", err=True)


def write_report(text: str, output: Path | None) -> None:
    """To standard output, or to ``output``: a regular file is replaced atomically; a
    device or pipe (-o /dev/stdout, /dev/null) is written in place, never renamed over."""
    if output is None:
        click.echo(text, nl=False)
    elif output.exists() and not output.is_file():
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        from ..build.outputs import atomic_write  # (it imports socket, tempfile, …: not for stdout)

        atomic_write(output, text.encode("utf-8"))


insecure_key_permissions = click.option(
    "--insecure-key-permissions", is_flag=True,
    help="Use a private key or PIN file even when its group or others may read it (mode & 077).")


class ProgressBar:
    """click's progress bar on stderr for a read or build of more than PROGRESS_THRESHOLD
    entries, only when stderr is a terminal (a pipe or a log gets nothing).

    The library reports ``progress(done, total)`` in entries; a decoder's ``total`` is an
    estimate from the bytes read so far, so the bar's length follows it. Use as a context
    manager, so the bar's line is finished whatever happens inside."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if not self._tty or total <= PROGRESS_THRESHOLD:
                return
            self._bar = click.progressbar(length=total, label=self.label, file=self.stream, show_pos=True,
                                          show_percent=True, width=30)
            self._bar.__enter__()
        self._bar.length = max(total, done)
        self._bar.update(done - self._bar.pos)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- one spelling per meaning, on every command (README, *Commands*) ---------------------------------

class AliasedOption(click.Option):
    """An option whose old long spellings still work but are not shown in --help."""

    def __init__(self, *args, hidden_aliases: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.hidden_aliases = hidden_aliases

    def get_help_record(self, ctx):
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.hidden_aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def out_dir_option(*, old: str = "--out", **kwargs):
    """``-o/--out-dir DIR`` for a command that writes a folder (build, mirror build, deploy);
    a command that writes one file has ``-o/--output FILE``. ``old`` keeps working, unshown."""
    return click.option("-o", "--out-dir", old, "out_dir", cls=AliasedOption, hidden_aliases=(old,), metavar="OUT",
                        type=PathArg(file_okay=False, path_type=Path), **kwargs)


_ALIASES = "ctlbuild.format_aliases"


def harmonise(command: click.Command) -> click.Command:
    """Give a command that has one of ``--json`` and ``--format …json`` the other too: show,
    verify, trust and mirror check took ``--json``, diff, history and status ``--format json``.
    Each command module keeps its own spelling; this adds the other, and refuses the two
    when they contradict (``--json --format md``)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            harmonise(sub)
        return command
    if getattr(command, "_harmonised", False):
        return command
    by_name = {opt: p for p in command.params for opt in getattr(p, "opts", ())}
    fmt, flag = by_name.get("--format"), by_name.get("--json")
    if fmt is not None and flag is None and "json" in getattr(fmt.type, "choices", ()):
        command.params.append(click.Option(["--json"], is_flag=True, expose_value=False, callback=_remember,
                                           help="Same as --format json."))
        command.callback = _with_json_flag(command.callback, fmt.name)
    elif flag is not None and fmt is None:
        command.params.append(click.Option(["--format"], type=click.Choice(["text", "json"]), expose_value=False,
                                           callback=_remember, help="text, or json (same as --json)."))
        command.callback = _with_format(command.callback, flag.name)
    command._harmonised = True
    return command


def _remember(ctx, param, value):
    if value:  # a flag left off is False, an option left off None: nothing to remember
        ctx.meta.setdefault(_ALIASES, {})[param.name] = value


def _with_json_flag(callback, fmt_name):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        ctx = click.get_current_context()
        if ctx.meta.get(_ALIASES, {}).get("json"):
            given = ctx.get_parameter_source(fmt_name) == click.core.ParameterSource.COMMANDLINE
            if given and kwargs[fmt_name] != "json":
                raise click.UsageError(f"--json and --format {kwargs[fmt_name]} contradict each other")
            kwargs[fmt_name] = "json"
        return callback(*args, **kwargs)
    return run


def _with_format(callback, flag_name):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        chosen = click.get_current_context().meta.get(_ALIASES, {}).get("format")
        if chosen == "text" and kwargs[flag_name]:
            raise click.UsageError("--json and --format text contradict each other")
        if chosen == "json":
            kwargs[flag_name] = True
        return callback(*args, **kwargs)
    return run
