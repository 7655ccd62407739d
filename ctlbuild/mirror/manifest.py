"""The mirror's own record (``ctlbuild-mirror.json``): what mirror build wrote, and which
removed roots keep their .crt until when.

>>> from ctlbuild.mirror.manifest import MirrorManifest
>>> MirrorManifest().as_dict()["format"]
'ctlbuild-mirror/1'

The file sits in a folder others can write to, so it is read as untrusted input: every
name in it must be a name mirror build could have written (``<SHA-1>.crt``, a cabinet, the
store), every time a time, or the whole record is refused — a name such as ``../x`` never
reaches a deletion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .._version import __version__
from ..errors import FormatError
from ..lists.validators import to_datetime
from ..timeutil import iso
from .layout import CAB_ROLES, DISALLOWED_SST, MANIFEST, MANIFEST_FORMAT, ROLES, is_crt_name

MAX_MANIFEST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Removal:
    """A root that left the trusted list: its .crt stays until ``keep_until``."""

    removed: datetime
    keep_until: datetime


@dataclass
class MirrorManifest:
    #: name → {"sha256", "size"} of every file mirror build wrote (cabs, store, .crt)
    files: dict[str, dict] = field(default_factory=dict)
    #: role name → {"file", "sequence" (hex), "this_update", "entries", "source"}
    ctls: dict[str, dict] = field(default_factory=dict)
    #: SHA-1 (upper-case hex) of trusted entries whose certificate the build did not have
    no_certificate: list[str] = field(default_factory=list)
    removed: dict[str, Removal] = field(default_factory=dict)
    built: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "tool_version": __version__,
            "built": iso(self.built) if self.built else None,
            "ctls": dict(sorted(self.ctls.items())),
            "files": dict(sorted(self.files.items())),
            "no_certificate": sorted(self.no_certificate),
            "removed": {sha1: {"removed": iso(r.removed), "keep_until": iso(r.keep_until)}
                        for sha1, r in sorted(self.removed.items())},
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2) + "\n").encode()


def read_mirror_manifest(folder: Path) -> MirrorManifest | None:
    """The folder's manifest, None when there is none; FormatError naming it when it is not one."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise FormatError(f"larger than {MAX_MANIFEST_BYTES} bytes; not a mirror manifest", path=path)
    try:
        raw = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"not JSON ({exc})", path=path) from None
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise FormatError(f"not a ctlbuild mirror manifest (format is not {MANIFEST_FORMAT!r})", path=path)
    try:
        return _parse(raw)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise FormatError(f"malformed mirror manifest: {exc}", path=path) from None


def _parse(raw: dict) -> MirrorManifest:
    files = {}
    for name, record in dict(raw.get("files") or {}).items():
        if not _written_name(name):
            raise ValueError(f"{name!r} is not a file mirror build writes")
        files[name] = {"sha256": str(record["sha256"]), "size": int(record["size"])}
    ctls = {}
    for role, record in dict(raw.get("ctls") or {}).items():
        if role not in ROLES:
            raise ValueError(f"unknown CTL role {role!r}")
        ctls[role] = dict(record)
    no_certificate = [_sha1(s) for s in list(raw.get("no_certificate") or [])]
    removed = {}
    for sha1, record in dict(raw.get("removed") or {}).items():
        removed[_sha1(sha1)] = Removal(to_datetime(record["removed"]), to_datetime(record["keep_until"]))
    built = to_datetime(raw["built"]) if raw.get("built") else None
    return MirrorManifest(files, ctls, no_certificate, removed, built)


def _written_name(name: str) -> bool:
    return isinstance(name, str) and (name in CAB_ROLES or name == DISALLOWED_SST or is_crt_name(name))


def _sha1(text) -> str:
    if not isinstance(text, str) or not is_crt_name(f"{text}.crt"):
        raise ValueError(f"{text!r} is not a SHA-1 thumbprint")
    return text.upper()
