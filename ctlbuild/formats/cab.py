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

from ..errors import FormatError, OutputError, TruncatedError
from ..limits import MAX_CAB_BLOCK, MAX_CAB_BLOCKS, MAX_CAB_UNCOMPRESSED, describe

MAGIC = b"MSCF"
#: signature, reserved1, cbCabinet, reserved2, coffFiles, reserved3, versionMinor,
#: versionMajor, cFolders, cFiles, flags, setID, iCabinet (MS-CAB 2.1 CFHEADER).
CFHEADER = struct.Struct("<4sIIIIIBBHHHHH")
FLAG_RESERVE_PRESENT = 0x0004
FLAG_PREV_OR_NEXT_CABINET = 0x0003
_CFFOLDER = struct.Struct("<IHH")   # coffCabStart, cCFData, typeCompress
_CFDATA = struct.Struct("<IHH")     # csum, cbData, cbUncomp
_CFFILE = struct.Struct("<IIHHHH")  # cbFile, uoffFolderStart, iFolder, date, time, attribs
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
    if len(data) > MAX_CAB_UNCOMPRESSED:
        # Never write a cabinet that read_cab (ours, and so show/verify/import) refuses.
        raise OutputError(f"cabinet member {member_name} is {len(data) >> 20} MiB; cabinets hold at most "
                          f"{describe(MAX_CAB_UNCOMPRESSED)} (ctlbuild's reading limit): set outputs without \"cab\"")
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
        raise TruncatedError(path=path, offset=0, needs=cb_cabinet, size=len(data), what="cabinet")
    if cb_cabinet < len(data) and not flags & FLAG_RESERVE_PRESENT:
        raise FormatError(f"{len(data) - cb_cabinet} bytes after the cabinet's end", path=path,
                          offset=cb_cabinet)
    _check_inflated_size(data, path)
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


def _check_inflated_size(data: bytes, path) -> None:
    """Refuse a cabinet that would inflate past MAX_CAB_UNCOMPRESSED, from its headers
    alone, before cabarchive inflates anything. Folders may share data blocks and
    members may share folder bytes, so every folder's blocks and every member's size
    are counted, the way cabarchive will materialise them."""
    (_sig, _r1, _cb, _r2, coff_files, _r3, _minor, _major, n_folders, n_files, flags,
     _set_id, _index) = CFHEADER.unpack_from(data, 0)
    if flags & FLAG_PREV_OR_NEXT_CABINET:
        raise FormatError("multi-cabinet sets are not supported (a CTL cabinet stands alone)", path=path)
    pos, reserve_folder, reserve_block = CFHEADER.size, 0, 0
    if flags & FLAG_RESERVE_PRESENT:
        reserve_header, reserve_folder, reserve_block = _unpack(struct.Struct("<HBB"), data, pos, path)
        pos += 4 + reserve_header
    total, blocks = 0, 0
    for _ in range(n_folders):
        start, n_blocks, _compression = _unpack(_CFFOLDER, data, pos, path)
        pos += _CFFOLDER.size + reserve_folder
        blocks += n_blocks
        if blocks > MAX_CAB_BLOCKS:
            raise FormatError(f"cabinet has more than {MAX_CAB_BLOCKS} data blocks (the limit)", path=path)
        total += _folder_size(data, start, n_blocks, reserve_block, path)
        _refuse_over(total, "its folders", path)
    _refuse_over(_members_size(data, coff_files, n_files, path), "its members", path)


def _folder_size(data: bytes, pos: int, n_blocks: int, reserve_block: int, path) -> int:
    total = 0
    for _ in range(n_blocks):
        _csum, compressed, uncompressed = _unpack(_CFDATA, data, pos, path)
        if uncompressed > MAX_CAB_BLOCK:
            raise FormatError(f"cabinet data block claims {uncompressed} bytes uncompressed "
                              f"(MS-CAB allows {MAX_CAB_BLOCK})", path=path, offset=pos)
        total += uncompressed
        pos += _CFDATA.size + reserve_block + compressed
    return total


def _members_size(data: bytes, pos: int, n_files: int, path) -> int:
    total = 0
    for _ in range(n_files):
        size, *_rest = _unpack(_CFFILE, data, pos, path)
        total += size
        _refuse_over(total, "its members", path)
        name_end = data.find(b"\0", pos + _CFFILE.size, pos + _CFFILE.size + 256)
        if name_end < 0:
            raise FormatError("cabinet member name is not NUL-terminated within 256 bytes", path=path,
                              offset=pos + _CFFILE.size)
        pos = name_end + 1
    return total


def _refuse_over(total: int, what: str, path) -> None:
    if total > MAX_CAB_UNCOMPRESSED:
        raise FormatError(f"cabinet would inflate to more than {describe(MAX_CAB_UNCOMPRESSED)} "
                          f"({what}; the limit for a CTL cabinet)", path=path)


def _unpack(shape: struct.Struct, data: bytes, pos: int, path) -> tuple:
    if pos + shape.size > len(data):
        raise TruncatedError(path=path, offset=pos, needs=shape.size, size=len(data), what="cabinet header")
    return shape.unpack_from(data, pos)


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
