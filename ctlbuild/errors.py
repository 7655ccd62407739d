"""Typed errors. The CLI turns each into one line and an exit status.

>>> from ctlbuild.errors import ListError
>>> str(ListError("bad thumbprint", path="a.toml", line=3, key="sha1"))
'a.toml:3: sha1: bad thumbprint'
"""

from __future__ import annotations


class CtlbuildError(Exception):
    """Base of every error a user can cause. ``exit_status`` is what the CLI returns.

    ``remedy`` names the setting that would answer the error, by its library name
    (``allow_insecure_permissions``, ``this_update``, ``templates``, ``signing_time``,
    ``cert``): the library never spells a command-line flag; the CLI words the remedy."""

    exit_status = 2
    remedy: str | None = None

    def diagnostics(self) -> str:
        return str(self)

    def because(self, remedy: str) -> "CtlbuildError":
        """This error, with the setting that answers it (``raise SomeError(...).because("cert")``)."""
        self.remedy = remedy
        return self


class UsageError(CtlbuildError):
    """Arguments that do not fit together."""


class ListError(CtlbuildError):
    """A mistake in a declarative list, located by file, line and key or entry."""

    def __init__(self, message: str, *, path=None, line: int | None = None,
                 key: str | None = None, entry: str | None = None):
        self.message, self.path, self.line, self.key, self.entry = message, path, line, key, entry
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.path) if self.path is not None else ""
        if self.line is not None:
            where += f":{self.line}"
        parts = [where] if where else []
        if self.entry:
            parts.append(f"entry {self.entry}")
        if self.key:
            parts.append(self.key)
        parts.append(self.message)
        return ": ".join(parts)


class FormatError(CtlbuildError):
    """Bytes that are not what they claim to be (a CTL, certificate, key ...)."""

    def __init__(self, message: str, *, path=None, offset: int | None = None):
        self.message, self.path, self.offset = message, path, offset
        where = str(path) if path is not None else "<input>"
        if offset is not None:
            where += f" at offset {offset}"
        super().__init__(f"{where}: {message}")


class TruncatedError(FormatError):
    """A file that ends before an element it declares (a download cut short). Every reader
    (CTL, cabinet, store, certificate) says it in these words, so ``verify``, ``show``,
    ``diff``, ``import`` and ``changelog`` of one file say the same thing."""

    def __init__(self, *, path=None, offset: int, needs: int, size: int, what: str = "element"):
        has = f"file has {size}" if offset == 0 else f"file has {size - offset} from there"
        super().__init__(f"truncated: {what} at byte {offset} needs {needs} bytes, {has}", path=path)
        self.offset, self.needs, self.size = offset, needs, size


class SignerKeyError(CtlbuildError):
    """A key or certificate that cannot be used for signing."""


class SigningError(CtlbuildError):
    """The signature could not be made."""


class OutputError(CtlbuildError):
    """Outputs could not be written."""
