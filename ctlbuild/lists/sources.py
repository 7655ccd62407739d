"""Reading a CTL from a file, whatever carries it (detected by content, not by name).

>>> from ctlbuild.lists.sources import read_source
>>> source = read_source(Path("authrootstl.cab"))   # doctest: +SKIP
>>> source.kind, source.trust_list.entries[0].friendly_name   # doctest: +SKIP
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..ctl.decode import decode_ctl, decode_header
from ..ctl.der import check_whole
from ..errors import FormatError
from ..formats.cab import ctl_member
from ..formats.sniff import CAB, CERTS, CTL, LIST, SST, STL, is_signed_data, sniff
from ..limits import (
    MAX_INPUT_FILE,
    FolderBudget,
    TooBig,
    as_path,
    folder_files,
    is_folder,
    is_stdin,
    read_capped,
    shown_path,
)
from ..model import TrustList

if TYPE_CHECKING:
    from ..formats.sst import SerializedStore
    from ..formats.stl import SignedCtl, SignerFacts
    from .reader import LoadedList


@dataclass
class Source:
    """Whatever a reading command was given, detected by content: a signed CTL (.stl, or
    inside a .cab or an .sst), a bare CTL (``build --content-only``), a serialized store,
    certificates (PEM/DER file or bundle, or a folder of them), or a declarative list."""

    path: Path
    kind: str  # one of formats.sniff's kinds: "stl", "cab", "ctl", "sst", "certs", "list"
    trust_list: TrustList | None = None
    signed: SignedCtl | None = None
    store: SerializedStore | None = None
    certificates: list[bytes] = field(default_factory=list)
    member: str | None = None  # the .stl's name inside a cab
    loaded: LoadedList | None = None  # for a declarative list (.toml)
    #: set when only the header was decoded (``read_source(..., entries=False)``): the
    #: trust list's ``entries`` are then empty and this says how many the file holds
    counted_entries: int | None = None

    @property
    def entry_count(self) -> int:
        if self.counted_entries is not None:
            return self.counted_entries
        return len(self.trust_list.entries) if self.trust_list is not None else 0

    def signers(self) -> list[SignerFacts]:
        from ..formats.stl import signer_facts

        return signer_facts(self.signed) if self.signed else []


def read_bytes(path: Path, within: FolderBudget | None = None) -> bytes:
    """An input file's bytes (``-``: standard input), at most MAX_INPUT_FILE of them;
    ``within`` the budget of the folder it is one file of."""
    try:
        return read_capped(path, MAX_INPUT_FILE, within)
    except TooBig as exc:
        raise FormatError(f"is {exc} for an input file", path=shown_path(path)) from None
    except IsADirectoryError:
        raise FormatError("is a folder; give a file", path=shown_path(path)) from None
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=shown_path(path)) from None


def read_source(path: Path, progress: Callable[[int, int], None] | None = None, *,
                entries: bool = True) -> Source:
    """``progress(done, total)`` is told how many entries are decoded (``decode_ctl``).
    ``entries=False`` decodes a CTL's header only and counts its entries (``show
    --header-only`` of a 1M-entry file in the time of its start-up); a list is read whole."""
    path = as_path(path)
    if is_folder(path):
        return Source(path, CERTS, certificates=_folder_certificates(path))
    if not entries and not is_stdin(path):
        mapped = _mapped_signed_ctl(path)
        if mapped is not None:
            return _signed_source(path, mapped, ctl_name(path.name), decode_header)
    return source_from_bytes(shown_path(path), read_bytes(path), progress, entries=entries,
                             stdin=is_stdin(path))


#: A signed CTL this big is mapped, not read, for its header: reading copies every byte
#: (50 MB for 1M entries) only for the entry count to look at the entries' headers.
_MAP_FROM = 1 << 20


def _mapped_signed_ctl(path: Path):
    """The file as a read-only mmap when it is a big signed CTL (.stl), else None (read it)."""
    import mmap

    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            # max(…, 1): an empty file cannot be mapped, whatever the threshold is set to
            if not stat.S_ISREG(info.st_mode) or not max(_MAP_FROM, 1) <= info.st_size <= MAX_INPUT_FILE:
                return None
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError:
        return None  # read_bytes words the error
    if not is_signed_data(mapped):  # what sniff calls STL (a cabinet or store is not one)
        mapped.close()
        return None
    return mapped


def source_from_bytes(path: Path, data: bytes, progress: Callable[[int, int], None] | None = None,
                      lists: bool = True, *, entries: bool = True, stdin: bool = False) -> Source:
    """``read_source`` of bytes already read; ``path`` names them in errors (a file, or
    ``repo:file@commit`` for a version read from git). With ``lists`` False a declarative
    list is refused: its relative paths mean nothing away from its folder. ``stdin`` says the
    bytes came from ``-``: ``path`` is then only the name ``<stdin>``, never a file to read."""
    path = Path(path)
    decode = _decoder(entries, progress)
    name = ctl_name(path.name)
    kind = sniff(data)
    if kind == CAB:
        member, stl = ctl_member(data, path=path)
        source = _signed_source(Path(f"{path}:{member}"), stl, ctl_name(member, name), decode)
        return replace(source, path=path, kind=CAB, member=member)
    if kind == SST:
        from ..formats.sst import read_sst  # not for show --header-only of a mapped .stl

        return _sst_source(path, read_sst(data, path=path), name, decode)
    if kind == STL:
        return _signed_source(path, data, name, decode)
    if kind == CTL:
        tl, counted = decode(data, name=name, path=path, base=0)
        return Source(path, CTL, tl, counted_entries=counted)
    if kind == LIST:
        if not lists:
            raise FormatError("is a declarative list; only CTL files (.stl, .cab, .sst, bare CTL) "
                              "can be read from here", path=path)
        from .reader import load_list  # TOML and the list checks: only for a list

        loaded = _stdin_list(path, data) if stdin else load_list(path, raw=data)  # naming a bad byte cleanly
        return Source(path, LIST, loaded.trust_list, loaded=loaded)
    from ..formats.certificates import load_certificates  # cryptography: only for certificates

    return Source(path, CERTS, certificates=load_certificates(data, path=path))


def _stdin_list(path: Path, data: bytes) -> LoadedList:
    """A list piped in: its relative paths (``cert = …``) are read from the current folder."""
    from .reader import load_list

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"list is not UTF-8 (byte {exc.start})", path=path) from None
    return load_list(path, text)


def read_ctl(path: Path, progress: Callable[[int, int], None] | None = None) -> Source:
    """A source that must hold a CTL (show of a list, verify, diff, import of a CTL)."""
    return holding_ctl(read_source(path, progress))


def holding_ctl(source: Source) -> Source:
    """``source``, which must hold a CTL; FormatError naming what it holds instead."""
    if source.trust_list is None:
        raise FormatError(f"holds no CTL ({source.kind}: {len(source.certificates)} certificates)",
                          path=source.path)
    return source


def ctl_name(file_name: str, default: str = "ctl") -> str:
    """The name a CTL read from a file goes by in reports: the file name up to its first dot."""
    return file_name.split(".")[0] or default


def signed_bytes(path: Path) -> bytes:
    """The signed CTL's bytes, out of its cabinet or store when it is in one. The bytes
    are not parsed here: verification reports a broken structure as a finding."""
    return signed_of(read_bytes(path), shown_path(path))


def signed_view(path: Path):
    """``signed_bytes`` for ``verify``: a big plain .stl file is mapped, not read (as for
    ``show --header-only``), so its 50 MB are neither copied in by read() nor cut out
    again for the CTL (``parse_signed_ctl`` views a mapped file): bytes-like either way."""
    if not is_stdin(path):
        mapped = _mapped_signed_ctl(Path(path))
        if mapped is not None:
            return mapped
    return signed_bytes(path)


#: What ``extract`` takes out of a file.
EXTRACTS = ("stl", "content")


def extract(path: Path, what: str) -> bytes:
    """``stl``: the signed CTL (the .stl inside a cabinet or store, or the file itself);
    ``content``: the CTL it signs, as DER (the SignedData's eContent: what ``build
    --content-only`` writes, and what the messageDigest covers without tag and length).
    A bare CTL is its own content."""
    if what not in EXTRACTS:
        raise ValueError(f"extract takes {' or '.join(EXTRACTS)}, not {what!r}")
    data, shown = read_bytes(path), shown_path(path)
    if what == "content" and sniff(data) == CTL:
        return data
    stl = signed_of(data, shown)
    if what == "stl":
        return stl
    from ..formats.stl import parse_signed_ctl

    return parse_signed_ctl(stl, path=shown).ctl_der


def signed_of(data: bytes, path: Path) -> bytes:
    """``signed_bytes`` of a file's bytes already read; ``path`` names them in errors."""
    kind = sniff(data)
    if kind == CAB:
        return ctl_member(data, path=path)[1]
    if kind == SST:
        from ..formats.sst import read_sst

        ctls = read_sst(data, path=path).ctls
        if len(ctls) != 1:
            raise FormatError(f"serialized store holds {len(ctls)} CTLs; verify needs exactly one", path=path)
        return ctls[0].der
    if kind != STL:
        # Not even shaped like a signed CTL: bad input (exit 2), not a failed verification;
        # a signed CTL cut short no longer looks signed, and is called truncated.
        check_whole(data, path)
        raise FormatError("not a signed CTL, nor a cabinet or store holding one", path=path, offset=0)
    return data


def _decoder(entries: bool, progress):
    """decode(der, name=, path=, base=) -> (trust list, entry count when only counted)."""
    if not entries:
        return decode_header

    def decode(der, **where):
        return decode_ctl(der, progress=progress, **where), None

    return decode


def _signed_source(path, data, name, decode) -> Source:
    # The envelope's reader (asn1crypto, cryptography) only for a signed CTL: not for a list.
    from ..formats.stl import parse_signed_ctl

    signed = parse_signed_ctl(data, path=path)
    tl, counted = decode(signed.ctl_der, name=name, path=path, base=signed.ctl_offset)
    return Source(Path(path), STL, tl, signed, counted_entries=counted)


def _sst_source(path, store: SerializedStore, name, decode) -> Source:
    certs = [c.der for c in store.certificates]
    if len(store.ctls) > 1:
        raise FormatError(f"serialized store holds {len(store.ctls)} CTLs; ctlbuild reads one", path=path)
    if store.ctls:
        inner = _signed_source(path, store.ctls[0].der, name, decode)
        return replace(inner, kind=SST, store=store, certificates=certs)
    return Source(path, SST, store=store, certificates=certs)


#: Files a folder of releases is read for (anything else in it is left alone).
RELEASE_SUFFIXES = (".toml", ".stl", ".cab", ".ctl", ".sst")


def release_files(folder: Path, required: bool = True) -> list[Path]:
    """The files of a folder of releases (history, status, changelog), sorted: those ending
    in RELEASE_SUFFIXES among ``limits.folder_files``, bounded as every folder's listing is.
    FormatError naming the folder when it holds none and they are ``required``."""
    files = [p for p in folder_files(folder) if p.suffix.lower() in RELEASE_SUFFIXES]
    if required and not files:
        raise FormatError(f"folder holds no releases (files ending in {', '.join(RELEASE_SUFFIXES)})",
                          path=folder)
    return files


def release_sources(folder: Path) -> list[Source]:
    """The sources of ``release_files`` that hold a CTL: a store of certificates alone
    beside the releases is not one of them."""
    return [s for s in map(read_source, release_files(folder)) if s.trust_list is not None]


def _folder_certificates(folder: Path) -> list[bytes]:
    from ..formats.certificates import CertInfo, load_certificates

    out, budget = [], FolderBudget(folder)
    for path in folder_files(folder):
        for cert_der in load_certificates(read_bytes(path, budget), path=path):
            CertInfo.from_der(cert_der, path=path)  # a non-certificate file is named, not skipped
            out.append(cert_der)
    if not out:
        raise FormatError("folder holds no certificates", path=folder)
    return out


