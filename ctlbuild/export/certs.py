"""Certificates for a CTL's entries: from the list, the source itself (an SST) or ``--certs``
(a folder such as Windows Update's mirror of ``<SHA1>.crt`` files, a PEM bundle, an SST),
matched by SHA-1 *and* SHA-256, so a certificate that disagrees with the CTL is refused.

>>> from ctlbuild.export.certs import CertificatePool
>>> pool = CertificatePool()
>>> pool.add(open("root.crt", "rb").read(), origin="root.crt")     # doctest: +SKIP
>>> pool.match(entry, subject_algorithm)                            # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormatError
from ..formats.certificates import CertInfo, load_certificates
from ..formats.sniff import SST, sniff
from ..formats.sst import read_sst
from ..limits import FolderBudget, as_path, files_of, shown_path
from ..lists.sources import read_bytes
from ..oids import HashAlg

#: A file named by a SHA-1 thumbprint, as Windows Update's certificate mirror names them.
_SHA1_NAME = re.compile(r"^[0-9A-Fa-f]{40}$")


@dataclass
class CertificatePool:
    """Every certificate offered, indexed by each hash a CTL may identify it with."""

    #: Index the two MD5 forms too (a disallowed list's identifiers): costly, so only when asked.
    md5: bool = False
    by_hash: dict[bytes, CertInfo] = field(default_factory=dict)
    origins: dict[bytes, str] = field(default_factory=dict)  # SHA-1 → where it came from
    used: set[bytes] = field(default_factory=set)  # SHA-1s matched to an entry

    def add(self, der: bytes, origin: str) -> CertInfo:
        info = CertInfo.from_der(der, path=origin)
        if info.sha1 in self.origins:
            return self.by_hash[info.sha1]
        self.origins[info.sha1] = origin
        for key in info.hashes if self.md5 else (info.sha1, info.sha256):  # the MD5s only when asked
            self.by_hash.setdefault(key, info)
        return info

    def match(self, entry, subject_algorithm: str) -> CertInfo | None:
        """The entry's certificate: its own (a list's ``cert``) or the pool's by identifier.
        A certificate found by one hash must agree with every other hash the entry states."""
        if entry.cert is not None:
            info = CertInfo.from_der(entry.cert)
        else:
            # The index holds 20-byte SHA-1s, 32-byte SHA-256s and 16-byte MD5s: an
            # identifier can only meet a hash of its own kind.
            info = self.by_hash.get(entry.identifier)
            if info is None and entry.sha1 is not None:
                info = self.by_hash.get(entry.sha1)
            if info is None:
                return None
        _check_agrees(info, entry, subject_algorithm, self.origins.get(info.sha1, "the list"))
        self.used.add(info.sha1)
        return info

    def unmatched(self) -> list[CertInfo]:
        """The certificates offered that no entry of the CTL names, in the order given."""
        return [self.by_hash[sha1] for sha1 in self.origins if sha1 not in self.used]


def _check_agrees(info: CertInfo, entry, subject_algorithm: str, origin: str) -> None:
    stated = {"SHA-256": (entry.sha256, info.sha256), "SHA-1": (entry.sha1, info.sha1)}
    if subject_algorithm == HashAlg.SHA1:
        stated["SHA-1"] = (entry.identifier, info.sha1)
    for name, (expected, actual) in stated.items():
        if expected is not None and expected != actual:
            raise FormatError(f"certificate matched to entry {entry.label} has {name} {actual.hex()}, "
                              f"but the CTL says {expected.hex()}: refused", path=origin)


def load_pool(paths, certificates=(), subject_algorithm: str = HashAlg.SHA1) -> CertificatePool:
    """A pool of ``certificates`` (DER, e.g. the source SST's) and every file named in ``paths``,
    indexed for a CTL whose identifiers are ``subject_algorithm`` hashes."""
    pool = CertificatePool(md5=subject_algorithm == HashAlg.DISALLOWED_HASH)
    for der in certificates:
        pool.add(der, origin="the source")
    for path in paths:
        path = as_path(path)
        files, budget = files_of(path)
        if not files:
            raise FormatError("folder holds no certificates", path=path)
        for file in files:
            for der in _file_certificates(file, budget):
                _check_name(pool.add(der, origin=str(shown_path(file))), file)
    return pool


def _file_certificates(path: Path, within: FolderBudget | None) -> list[bytes]:
    data, shown = read_bytes(path, within), shown_path(path)
    if sniff(data) == SST:
        return [c.der for c in read_sst(data, path=shown).certificates]
    return load_certificates(data, path=shown)


def _check_name(info: CertInfo, path: Path) -> None:
    """A file named by a thumbprint must hold that certificate: a mirror with a swapped file
    is refused rather than trusted under the wrong name."""
    stem = path.name.split(".")[0]
    if _SHA1_NAME.match(stem) and bytes.fromhex(stem) != info.sha1:
        raise FormatError(f"file is named by SHA-1 {stem.upper()} but holds a certificate with SHA-1 "
                          f"{info.sha1.hex().upper()}: refused", path=path)
