"""The files a list names (and the list itself), read within the caps of ``ctlbuild.limits``.

>>> from ctlbuild.lists.bounded import thumbprint_file_lines
>>> list(thumbprint_file_lines("examples/bulk-thumbprints.txt", "bulk-thumbprints.txt"))[0][:1]
'#'

Kept apart from the list reader so that the reader checks values and this module
alone decides how many bytes, characters and lines anything may cost.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

from ..errors import ListError
from ..limits import (
    MAX_CERT_FILE,
    MAX_LIST_FILE,
    MAX_THUMBPRINT_FILE,
    MAX_THUMBPRINT_LINE,
    FolderBudget,
    TooBig,
    describe,
    read_capped,
    shown_path,
)


class FileProblem(ValueError):
    """A file named by a list cannot be used: unreadable, or over its cap (the message says)."""


class LineError(ValueError):
    """A line of a thumbprint file that cannot be read; ``line`` is its number."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def read_list_file(path: Path) -> bytes:
    try:
        return read_capped(path, MAX_LIST_FILE)
    except TooBig as exc:
        raise ListError(f"list file is {exc}", path=shown_path(path)) from None
    except OSError as exc:
        raise ListError(f"cannot read list ({exc.strerror})", path=shown_path(path)) from None


def read_cert_file(path: Path, shown, within: FolderBudget | None = None) -> bytes:
    """A certificate file (PEM/DER, one or a bundle), at most MAX_CERT_FILE bytes;
    ``within`` the budget of the folder it is one file of (FormatError past it)."""
    try:
        return read_capped(path, MAX_CERT_FILE, within)
    except TooBig as exc:
        raise FileProblem(f"{shown} is {exc} for a certificate file") from None
    except OSError as exc:
        raise FileProblem(f"cannot read {shown} ({exc.strerror})") from None


def thumbprint_file_lines(path: Path, shown) -> Iterator[str]:
    """The lines of a thumbprint file, streamed: the file is opened (and its size
    checked) now, each line read only when wanted and refused past MAX_THUMBPRINT_LINE
    characters, so no single line or the whole file is ever held at once."""
    try:
        fh = open(path, encoding="utf-8-sig", newline=None)  # Notepad writes a BOM
    except OSError as exc:
        raise FileProblem(f"cannot read {shown} ({exc.strerror})") from None
    try:
        info = os.fstat(fh.fileno())
    except OSError as exc:  # pragma: no cover - fstat of an open file
        fh.close()
        raise FileProblem(f"cannot read {shown} ({exc.strerror})") from None
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_THUMBPRINT_FILE:
        fh.close()
        raise FileProblem(f"{shown} is larger than the {describe(MAX_THUMBPRINT_FILE)} limit "
                          "for a thumbprint file")
    return _lines(fh)


def _lines(fh) -> Iterator[str]:
    seen = 0
    with fh:
        for number in range(1, 1 << 62):
            try:
                line = fh.readline(MAX_THUMBPRINT_LINE + 1)
            except UnicodeDecodeError:
                raise LineError("not UTF-8 text", number) from None
            if not line:
                return
            text = line.rstrip("\r\n")
            if len(text) > MAX_THUMBPRINT_LINE:
                raise LineError(f"line longer than {MAX_THUMBPRINT_LINE} characters (the limit)", number)
            seen += len(line)
            if seen > MAX_THUMBPRINT_FILE:
                raise LineError(f"thumbprint file runs past the {describe(MAX_THUMBPRINT_FILE)} limit", number)
            yield text
