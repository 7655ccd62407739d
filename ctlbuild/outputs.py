"""Writing outputs so that nothing is ever half-written: temporary file, fsync, rename.

>>> from ctlbuild.outputs import write_outputs
>>> write_outputs(Path("out"), {"demo.stl": stl}, manifest_entry)   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import OutputError

MANIFEST = "manifest.json"


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def file_record(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def write_outputs(out_dir: Path, files: dict[str, bytes], lists: dict[str, dict]) -> Path:
    """Write every output, then the manifest that describes them (merged with the records
    of other lists already in ``out_dir``, so building lists one by one keeps them all)."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create ({exc.strerror})") from None
    for name, data in files.items():
        atomic_write(out_dir / name, data)
    manifest = read_manifest(out_dir)
    manifest["lists"].update(lists)
    manifest["lists"] = dict(sorted(manifest["lists"].items()))
    data = (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()
    atomic_write(out_dir / MANIFEST, data)
    return out_dir / MANIFEST


def read_manifest(out_dir: Path) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {"format": "ctlbuild-manifest/1", "lists": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest.get("lists"), dict):
            raise ValueError("no lists")
    except (ValueError, OSError):
        raise OutputError(f"{path}: not a ctlbuild manifest; move it away to rebuild") from None
    return manifest
