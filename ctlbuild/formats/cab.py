"""Cabinet files the way Microsoft ships CTLs (authrootstl.cab), reproducibly.

>>> from datetime import datetime
>>> from ctlbuild.formats.cab import write_cab, read_cab, ctl_member
>>> cab = write_cab("authroot.stl", b"0" * 100, datetime(2018, 6, 19, 10, 0, 0))
>>> cab[:4], read_cab(cab) == [("authroot.stl", b"0" * 100)]
(b'MSCF', True)
>>> ctl_member(cab)[0]
'authroot.stl'

Shape (FORMATS.md §6): MS-CAB 1.3, one folder, MSZIP, one member with the archive
attribute (0x20), no reserve area, nothing after cbCabinet. Cabinets are not
signed: the signed CTL inside is what carries integrity. Reading and writing go
through the ``cabarchive`` library; its exceptions become FormatError.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

from ..errors import FormatError, OutputError

MAGIC = b"MSCF"
#: signature, reserved1, cbCabinet, reserved2, coffFiles, reserved3, versionMinor,
#: versionMajor, cFolders, cFiles, flags, setID, iCabinet (MS-CAB 2.1 CFHEADER).
CFHEADER = struct.Struct("<4sIIIIIBBHHHHH")
FLAG_RESERVE_PRESENT = 0x0004
ATTRIB_ARCHIVE = 0x20

# cabarchive's parser reports many broken inputs as the Python error it ran into (with its own
# CorruptionError and NotSupportedError, added where cabarchive is imported: only when a cabinet
# is read or written, so that sniffing a file never loads it).
_PARSE_ERRORS = (struct.error, zlib.error, IndexError, ValueError, TypeError, OverflowError)


def is_cab(data: bytes) -> bool:
    """Sniff by content: "MSCF", a zero reserved field and room for the header."""
    return len(data) >= CFHEADER.size and bytes(data[:4]) == MAGIC and bytes(data[4:8]) == b"\0\0\0\0"


def write_cab(member_name: str, data: bytes, when: datetime) -> bytes:
    """A one-member MSZIP cabinet shaped like Microsoft's.

    The member's DOS date/time is ``when``'s wall-clock fields as given (DOS times
    have no zone; Microsoft's are US Pacific local time) to 2-second precision, and
    never the clock, so the same input gives the same bytes — with the same zlib:
    the compressed bytes are zlib's level-9 deflate, not Microsoft's encoder.
    """
    if not member_name or "\0" in member_name:
        raise OutputError(f"cabinet member name {member_name!r} is empty or contains NUL")
    if not data:
        # cabarchive writes no CFDATA block for empty input, which its own reader rejects.
        raise OutputError(f"cabinet member {member_name} would be empty")
    if not 1980 <= when.year <= 2107:
        raise OutputError(f"cabinet dates run from 1980 to 2107 (DOS date), not {when.year}")
    from cabarchive import CabArchive, CabFile

    member = CabFile(bytes(data), mtime=when.replace(tzinfo=None))
    member.is_arch = True  # attribs 0x20, as in every Microsoft cab
    archive = CabArchive()
    archive[member_name] = member
    return archive.save(compress=True)


def read_cab(data: bytes, path=None) -> list[tuple[str, bytes]]:
    """(name, bytes) of every member, in the cabinet's order. Strict about size:
    cbCabinet must be the file size, except that a cabinet with a reserve area
    (an Authenticode-signed one) may carry its signature after it."""
    data = bytes(data)
    if not is_cab(data):
        raise FormatError("not a cabinet (no MSCF header)", path=path, offset=0)
    (_sig, _r1, cb_cabinet, _r2, _coff_files, _r3, _minor, _major, _folders, n_files, flags,
     _set_id, _index) = CFHEADER.unpack_from(data, 0)
    if cb_cabinet > len(data):
        raise FormatError(f"truncated cabinet: header says {cb_cabinet} bytes, file has {len(data)}",
                          path=path, offset=len(data))
    if cb_cabinet < len(data) and not flags & FLAG_RESERVE_PRESENT:
        raise FormatError(f"{len(data) - cb_cabinet} bytes after the cabinet's end", path=path,
                          offset=cb_cabinet)
    from cabarchive import CabArchive, CorruptionError, NotSupportedError

    try:
        archive = CabArchive(data)
    except (CorruptionError, NotSupportedError, *_PARSE_ERRORS) as exc:
        raise FormatError(f"malformed cabinet: {_one_line(exc)}", path=path) from None
    if len(archive) != n_files:
        # cabarchive keys members by name: a repeated name would silently hide one.
        raise FormatError(f"cabinet lists {n_files} members but only {len(archive)} distinct names",
                          path=path)
    return [(name, member.buf or b"") for name, member in archive.items()]


def ctl_member(data: bytes, path=None) -> tuple[str, bytes]:
    """The one ``.stl`` member (authroot.stl, disallowedcert.stl …) of a CTL cabinet."""
    members = read_cab(data, path)
    stl = [(name, body) for name, body in members if name.lower().endswith(".stl")]
    if len(stl) == 1:
        return stl[0]
    names = ", ".join(name for name, _ in members) or "nothing"
    if not stl:
        raise FormatError(f"cabinet holds no .stl member (it holds {names})", path=path)
    raise FormatError(f"cabinet holds {len(stl)} .stl members ({', '.join(n for n, _ in stl)}); "
                      "expected exactly one", path=path)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or (str(exc.__cause__) if exc.__cause__ else "") or type(exc).__name__
    return " ".join(text.split())
