"""Names for a CTL's entries from certificates you hold (``show --certs DIR|FILE``).

>>> from ctlbuild.reports.certnames import CertificateNames
>>> names = CertificateNames.load(["roots/"])                # doctest: +SKIP
>>> names.name_for(entry)                                    # doctest: +SKIP
'DigiNotar Root CA'

A CTL names its entries by hash (SHA-1, SHA-256, or the MD5 of the key in Microsoft's
disallowed list); a certificate with that hash gives the entry a name: its subject's CN,
else O, else OU, as Windows names a certificate without a friendly name. The names are
for display only, so a folder is read leniently: a file that holds no certificate is
skipped and counted, never an error. Reading is bounded like every reader's
(``ctlbuild.limits``): files in a folder, bytes per file and in all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormatError
from ..formats.certificates import CertInfo, load_certificates
from ..formats.sniff import SST, sniff
from ..formats.sst import read_sst
from ..limits import MAX_INPUT_FILE, FolderBudget, TooBig, as_path, folder_files, is_folder, read_capped, shown_path
from ..lists.bounded import FileProblem, read_cert_file


@dataclass
class CertificateNames:
    #: every hash a CTL may name a certificate by (SHA-1, SHA-256, key MD5, TBS MD5) → name
    by_hash: dict[bytes, str] = field(default_factory=dict)
    certificates: int = 0
    files: int = 0
    #: files of a folder that held no certificate (or were over the per-file cap)
    skipped: int = 0

    @classmethod
    def load(cls, paths) -> "CertificateNames":
        names = cls()
        for path in paths:
            path = as_path(path)
            if is_folder(path):
                names._folder(path)
            else:
                names._file(path)
        return names

    def name_for(self, entry) -> str | None:
        name = self.by_hash.get(entry.identifier)
        if name is None and entry.sha1 is not None:
            name = self.by_hash.get(entry.sha1)
        return name

    def summary(self, tl) -> dict:
        named = sum(1 for e in tl.entries if not e.friendly_name and e.cert is None and self.name_for(e))
        return {"certificates": self.certificates, "files": self.files, "skipped": self.skipped,
                "entries": len(tl.entries), "named": named}

    # -- reading ---------------------------------------------------------------------------

    def _file(self, path: Path) -> None:
        """A file named on the command line must hold certificates: that one is an error."""
        shown = shown_path(path)
        try:
            data = read_capped(path, MAX_INPUT_FILE)
        except TooBig as exc:
            raise FormatError(f"is {exc} for a certificate file", path=shown) from None
        except OSError as exc:
            raise FormatError(f"cannot read ({exc.strerror})", path=shown) from None
        self.files += 1
        for info in _certificates(data, shown):
            self._add(info)

    def _folder(self, folder: Path) -> None:
        budget = FolderBudget(folder)
        for path in folder_files(folder):
            self.files += 1
            try:
                data = read_cert_file(path, path, budget)
            except FileProblem:  # unreadable, or over the per-file cap: not a certificate file
                self.skipped += 1
                continue
            try:
                for info in _certificates(data, path):
                    self._add(info)
            except FormatError:
                self.skipped += 1

    def _add(self, info: CertInfo) -> None:
        name = info.fallback_name
        self.certificates += 1
        for key in info.hashes:
            self.by_hash.setdefault(key, name)


def _certificates(data: bytes, where) -> Iterable[CertInfo]:
    """The file's certificates, each checked once. A PEM or DER file is checked whole before
    any is taken (a bad one adds nothing); a store's are checked as they are taken."""
    if sniff(data) == SST:
        return (CertInfo.from_der(c.der, path=where) for c in read_sst(data, path=where).certificates)
    return [CertInfo.from_der(der, path=where) for der in load_certificates(data, path=where)]


__all__ = ["CertificateNames"]
