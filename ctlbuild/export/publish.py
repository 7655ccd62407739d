"""Writing an export into place: a file atomically; a folder staged beside it and swapped in.

A folder output (``openssl-dir``) is only ever replaced when it is one ctlbuild wrote (it
holds the marker file ``.ctlbuild-export``) or is empty: exporting into a folder of someone
else's certificates would delete them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..build.outputs import atomic_write
from ..errors import OutputError

MARKER = ".ctlbuild-export"


def publish(output: Path, files: list[tuple[str, bytes]], *, folder: bool) -> None:
    if not folder:
        [(_, data)] = files
        if output.is_dir():
            raise OutputError(f"{output}: is a folder; this format writes one file")
        atomic_write(output, data)
        return
    _publish_folder(output, files)


def _publish_folder(output: Path, files: list[tuple[str, bytes]]) -> None:
    if output.exists() and not _replaceable(output):
        raise OutputError(f"{output}: exists and is not a folder ctlbuild exported (no {MARKER}); "
                          "give a new or empty folder")
    parent = output.parent if str(output.parent) else Path(".")
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=parent))
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write ({exc.strerror})") from None
    try:
        for name, data in files:
            if not name or "/" in name or name.startswith("."):  # writers name files by hashes only
                raise OutputError(f"refusing to write {name!r} (not a plain file name)")
            (staging / name).write_bytes(data)
        (staging / MARKER).write_bytes(b"written by ctlbuild export; replaced by the next export\n")
        staging.chmod(0o755)
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replaceable(output: Path) -> bool:
    if not output.is_dir():
        return False
    return (output / MARKER).is_file() or not any(output.iterdir())


def _swap(staging: Path, output: Path) -> None:
    """The new folder takes the output's name in one rename; the old one is removed after."""
    old = None
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old.", dir=output.parent))
        os.rename(output, old / "previous")
    try:
        os.rename(staging, output)
    except OSError as exc:
        if old is not None:
            os.rename(old / "previous", output)
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
