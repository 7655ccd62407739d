"""Every size and depth cap a reader applies, in one place (README *Security* lists them).

>>> from ctlbuild.limits import MAX_CAB_UNCOMPRESSED, read_capped
>>> MAX_CAB_UNCOMPRESSED // 2**20
64

Hostile files are bad input like any other: a reader that meets one of these caps
raises the reader's own typed error (FormatError, ListError …) naming the file and
the cap, so the CLI answers with one line and exit status 2. The caps sit well above
anything real (Microsoft's authroot.stl is ~400 KB; a 1M-entry list ~150 MB) and well
below what would exhaust memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MiB = 1 << 20

#: Any file a reading command is given (a CTL, cabinet, store, certificate bundle).
MAX_INPUT_FILE = 256 * MiB
#: A declarative list (.toml).
MAX_LIST_FILE = 256 * MiB
#: A thumbprint file named by ``thumbprints = …``, and one line of it.
MAX_THUMBPRINT_FILE = 256 * MiB
MAX_THUMBPRINT_LINE = 4096
#: A certificate file (PEM/DER, one certificate or a bundle): a key, cert or chain for signing too.
MAX_CERT_FILE = 16 * MiB
#: out/manifest.json, and a staging folder's COMMIT list.
MAX_MANIFEST_FILE = 16 * MiB
#: What a cabinet may inflate to, over all its folders and all its members (and so the
#: largest CTL ``build`` puts in one).
MAX_CAB_UNCOMPRESSED = 64 * MiB
#: MS-CAB: one CFDATA block holds at most 32 KiB once uncompressed.
MAX_CAB_BLOCK = 32 * 1024
#: Data blocks over all folders (folders may share blocks: each share counts).
MAX_CAB_BLOCKS = 2 * MAX_CAB_UNCOMPRESSED // MAX_CAB_BLOCK
#: DER nesting of a signed CTL's envelope (certificates, signer infos, nested signatures);
#: Microsoft's own files nest 18 deep. asn1crypto parses recursively: this bounds its stack.
MAX_DER_DEPTH = 64
#: DER elements in that envelope (the CTL's entries not counted: ctlbuild decodes those
#: itself, flat). Microsoft's files have ~500; 10,000 embedded certificates ~600,000.
MAX_ENVELOPE_ELEMENTS = 2_000_000
#: DER elements in its SignerInfos, which asn1crypto parses completely (~1 KiB each);
#: Microsoft's, nested signature and its certificates included, have ~300.
MAX_SIGNER_INFO_ELEMENTS = 50_000
#: Elements (properties and contexts) of a serialized store, and properties before one context.
MAX_SST_ELEMENTS = 2_000_000
MAX_SST_PROPERTIES = 1024
#: Files looked at in a folder of certificates (``show --certs DIR``, ``export --certs DIR``,
#: a list's ``certs = "DIR/"``, ...), and the bytes read from all of them (``FolderBudget``;
#: each file is held to its own cap as well).
MAX_CERT_FOLDER_FILES = 100_000
MAX_CERT_FOLDER_BYTES = 256 * MiB

#: How a command line names standard input, and how messages name it.
STDIN = "-"
STDIN_NAME = "<stdin>"


class TooBig(ValueError):
    """``read_capped`` found more than ``limit`` bytes; ``size`` is what it saw (at least)."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"larger than the {describe(limit)} limit")
        self.size, self.limit = size, limit


def describe(limit: int) -> str:
    """1048576 → '1 MiB': how a limit is named in messages and the README."""
    return f"{limit // MiB} MiB" if limit >= MiB and limit % MiB == 0 else f"{limit} bytes"


class _StdinPath(type(Path())):
    """The type of STDIN_PATH. pathlib makes every path derived from it (``parent``, joins)
    an instance of this class too; none of them is STDIN_PATH, so none is standard input."""


#: The one Path that means standard input: the ``-`` a command line gave (``_cli.common.PathArg``).
#: A Path that only *spells* ``-`` is a file: pathlib folds ``./-`` (a folder's file named
#: ``-``, a list's ``cert = "-"`` joined to its folder ``.``) into ``-``, so the spelling cannot
#: tell them apart; identity can.
STDIN_PATH = _StdinPath(STDIN)


def is_stdin(path) -> bool:
    """True for STDIN_PATH, and for the str ``-`` (a library caller's way to say it), only:
    any other Path is a file, whatever it spells. ``<stdin>`` is how messages name standard
    input, never read as it: a file of that name is a file like any other."""
    return path is STDIN_PATH or (type(path) is str and path == STDIN)


def is_folder(path) -> bool:
    """A folder to read the files of: never standard input, whatever stands in the
    current folder under the name ``-``."""
    return not is_stdin(path) and Path(path).is_dir()


def shown_path(path) -> Path:
    """How messages name an input: standard input is ``<stdin>``."""
    return Path(STDIN_NAME) if is_stdin(path) else Path(path)


def as_path(path) -> Path:
    """``Path(path)`` that keeps standard input standard input: what a reader calls on the
    path it was given (``Path(STDIN_PATH)`` is a new Path, a file named ``-``)."""
    return STDIN_PATH if is_stdin(path) else Path(path)


def read_capped(path, limit: int, within: "FolderBudget | None" = None) -> bytes:
    """The bytes of ``path``, refusing (TooBig) anything over ``limit`` before reading it
    when the size is known, and after ``limit + 1`` bytes when it is not (a pipe,
    /dev/zero): memory stays bounded by ``limit`` whatever the path names. ``-`` reads
    standard input, under the same limit, once per run (a second read would see nothing).
    ``within``: the file is one of a folder's, read with no more than the folder has left.
    OSError propagates for the caller to word."""
    if within is not None:
        return within.read(path, limit)
    if is_stdin(path):
        return _read_stdin(limit)
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        regular = stat.S_ISREG(info.st_mode)
        if regular and info.st_size > limit:
            raise TooBig(info.st_size, limit)
        # read(n) allocates n bytes first: ask for the size the file has (plus one, to see it
        # grow), not for the limit, which maps and unmaps 16 MiB for every 2 KB certificate.
        data = fh.read(info.st_size + 1 if regular else limit + 1)
        if regular and len(data) > info.st_size:  # it grew since fstat: read on, to the limit
            data += fh.read(limit + 1 - len(data))
    if len(data) > limit:
        raise TooBig(len(data), limit)
    return data


_STDIN_READ: list = []  # the stdin stream already read: a second `-` is refused, not read empty


def _read_stdin(limit: int) -> bytes:
    import sys

    stream = getattr(sys.stdin, "buffer", sys.stdin)
    if any(seen is stream for seen in _STDIN_READ):
        raise StdinReused()
    _STDIN_READ[:] = [stream]
    data = stream.read(limit + 1)
    if isinstance(data, str):  # a text stream without a buffer (a test harness)
        data = data.encode("utf-8")
    if len(data) > limit:
        raise TooBig(len(data), limit)
    return data


class StdinReused(OSError):
    """``-`` given twice: standard input can be read once."""

    def __init__(self):
        super().__init__(f"standard input can be read once; give {STDIN} for one input only")
        self.strerror = str(self)


class FolderBudget:
    """What the files of one folder of certificates may cost together: MAX_CERT_FOLDER_BYTES.
    A reader of the folder's files passes it to ``read_capped``; each file is then read with
    the smaller of its own cap and what is left, so no more than the budget is ever read,
    and the file that would go past it is a FormatError naming the folder."""

    def __init__(self, folder):
        self.folder = folder
        self.left = MAX_CERT_FOLDER_BYTES

    def read(self, path, limit: int) -> bytes:
        try:
            data = read_capped(path, min(limit, self.left))
        except TooBig as exc:
            if self.left >= limit or exc.size > limit:  # over the file's own cap: the caller words it
                raise TooBig(exc.size, limit) from None
            from .errors import FormatError

            raise FormatError(f"certificates in the folder exceed the {describe(MAX_CERT_FOLDER_BYTES)} limit "
                              f"(at {Path(path).name})", path=self.folder) from None
        self.left -= len(data)
        return data


def files_of(path) -> tuple[list[Path], FolderBudget | None]:
    """The files a path given for certificates names: a folder's (``folder_files``) with the
    budget to read them within, or the one file (``-`` included) with none."""
    return (folder_files(path), FolderBudget(path)) if is_folder(path) else ([as_path(path)], None)


def folder_files(folder) -> list[Path]:
    """A folder's regular files, not hidden ones (``.gitkeep``), sorted: what every reader of
    a folder reads (of certificates, or of releases: ``lists.sources.release_files``). Refuses a folder of more than MAX_CERT_FOLDER_FILES entries
    before sorting them; FormatError names the folder."""
    from .errors import FormatError

    found = []
    try:
        with os.scandir(folder) as it:
            for item in it:
                if len(found) >= MAX_CERT_FOLDER_FILES:
                    raise FormatError(f"folder holds more than {MAX_CERT_FOLDER_FILES} files (the limit)",
                                      path=folder)
                if not item.name.startswith(".") and item.is_file():
                    found.append(Path(item.path))
    except OSError as exc:
        raise FormatError(f"cannot read folder ({exc.strerror})", path=folder) from None
    return sorted(found)
