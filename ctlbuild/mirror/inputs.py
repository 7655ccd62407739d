"""What a mirror is built from: signed CTLs (Microsoft's or ours) and the certificates of their entries.

>>> from ctlbuild.mirror.inputs import input_from_ctl, CertificatePool
>>> item = input_from_ctl(Path("authrootstl.cab"))          # doctest: +SKIP
>>> item.role.cab, len(item.trust_list.entries)              # doctest: +SKIP
('authrootstl.cab', 370)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..build.pipeline import build_list
from ..errors import FormatError, UsageError
from ..formats.certificates import CertInfo
from ..limits import is_stdin, shown_path
from ..lists.reader import LoadedList
from ..lists.sources import holding_ctl, read_bytes, read_source, source_from_bytes
from ..model import Entry, TrustList
from ..oids import HashAlg
from ..signing.signer import Signer
from .layout import ROLES, Role, role_for_usages


@dataclass(frozen=True)
class MirrorInput:
    """One CTL of the mirror: its role (which cabinet), the signed bytes, and its model."""

    role: Role
    signed: bytes
    trust_list: TrustList
    source: str  # the input's file name, for the manifest and messages


def input_from_ctl(path: Path, data: bytes | None = None) -> MirrorInput:
    """A signed CTL as it is (``.stl``, or inside a ``.cab`` or ``.sst``): never re-signed.
    ``data`` is the file's bytes when the caller has read them (``-`` can be read once)."""
    shown = shown_path(path)
    data = read_bytes(path) if data is None else data
    source = holding_ctl(source_from_bytes(shown, data, stdin=is_stdin(path)))
    if source.signed is None:
        raise FormatError("holds an unsigned CTL; a mirror serves signed CTLs only", path=shown)
    # source.signed.data: the .stl as it is, or as its cabinet or store holds it
    return MirrorInput(_role(source.trust_list, shown), source.signed.data, source.trust_list, shown.name)


def input_from_list(loaded: LoadedList, signer: Signer, *, signing_time: datetime,
                    digest: str = "sha256") -> MirrorInput:
    """A declarative list, built and signed as ``build`` would."""
    result = build_list(loaded, signer, signing_time=signing_time, digest=digest)
    tl = loaded.trust_list
    return MirrorInput(_role(tl, loaded.path), result.signed, tl, loaded.path.name)


def _role(tl: TrustList, path) -> Role:
    role = role_for_usages(tl.usages)
    if role is None:
        known = ", ".join(f"{r.usage} ({r.what})" for r in ROLES.values())
        raise UsageError(f"{path}: subjectUsage {', '.join(tl.usages or ()) or 'none'} is no list Windows' "
                         f"auto-update fetches (it reads {known})")
    return role


def one_per_role(inputs: list[MirrorInput]) -> dict[str, MirrorInput]:
    by_role: dict[str, MirrorInput] = {}
    for item in inputs:
        if item.role.name in by_role:
            raise UsageError(f"{by_role[item.role.name].source} and {item.source} are both {item.role.what} "
                             f"lists; a mirror has one {item.role.cab}")
        by_role[item.role.name] = item
    return by_role


class CertificatePool:
    """Certificates the entries may be matched with: the lists' own and a folder's (``--certs``),
    found by whatever identifier a CTL uses (SHA-1, SHA-256, Microsoft's MD5 forms)."""

    def __init__(self, ders: list[bytes] = ()):
        self._infos = {}
        for der in ders:
            self.add(der)
        self._by_algorithm: dict[str, dict[bytes, bytes]] = {}

    def add(self, der: bytes) -> None:
        info = CertInfo.from_der(der)
        self._infos.setdefault(info.sha1, info)
        self._by_algorithm = {}

    @classmethod
    def from_folders(cls, folders) -> "CertificatePool":
        """Every certificate in each folder (PEM or DER files; a file that is none is an error)."""
        return cls([der for folder in folders or () for der in read_source(folder).certificates])

    def certificate_for(self, entry: Entry, subject_algorithm: str) -> bytes | None:
        """The DER certificate ``entry`` names: its own, else one from the pool."""
        if entry.cert is not None:
            return entry.cert
        index = self._by_algorithm.get(subject_algorithm)
        if index is None:
            index = self._by_algorithm[subject_algorithm] = self._index(subject_algorithm)
        return index.get(entry.identifier)

    def _index(self, subject_algorithm: str) -> dict[bytes, bytes]:
        index: dict[bytes, bytes] = {}
        for info in self._infos.values():
            if subject_algorithm == HashAlg.DISALLOWED_HASH:  # either MD5 form names it (CertInfo.matches)
                keys = (info.public_key_md5, info.tbs_md5)
            elif subject_algorithm in (HashAlg.SHA1, HashAlg.SHA256):
                keys = (info.identifier(subject_algorithm),)
            else:
                return {}  # an identifier no certificate can be matched with
            for key in keys:
                index.setdefault(key, info.der)
        return index
