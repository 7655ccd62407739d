"""Our cabinets against the independent cabinet tools (cabextract = libmspack, gcab = GNOME).

Header fields are checked against FORMATS.md §6 (Microsoft's authrootstl.cab shape)
with a CFHEADER parse of our own, not through the library that wrote them.
"""

from __future__ import annotations

import struct
import subprocess
from datetime import datetime

import pytest

from ctlbuild.formats.cab import write_cab
from tests import peers
from tests.fixtures_ms import fixture

pytestmark = pytest.mark.interop

WHEN = datetime(2018, 6, 19, 10, 11, 12)
SOURCES = {
    "authroot.stl": "authroot-2018-06-19.stl",          # 130 KiB: four 32 KiB MSZIP blocks
    "disallowedcert.stl": "disallowedcert-2012-05-30.stl",
}


@pytest.fixture(params=list(SOURCES), ids=list(SOURCES))
def our_cab(request, tmp_path):
    member = request.param
    body = fixture(SOURCES[member]).read_bytes()
    path = tmp_path / "ours.cab"
    path.write_bytes(write_cab(member, body, WHEN))
    return path, member, body


def run(*args: str) -> str:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}: {proc.stderr}"
    return proc.stdout


def test_cabextract_lists_and_tests(our_cab):
    path, member, body = our_cab
    tool = peers.require_tool("cabextract")
    listing = run(tool, "-l", str(path))
    line = next(x for x in listing.splitlines() if x.rstrip().endswith(member))
    size, date, name = (part.strip() for part in line.split("|"))
    assert (int(size), date, name) == (len(body), "19.06.2018 10:11:12", member)
    assert "All done, no errors." in run(tool, "-t", str(path))


def test_cabextract_extracts_identical_bytes(our_cab, tmp_path):
    path, member, body = our_cab
    out = tmp_path / "x"
    run(peers.require_tool("cabextract"), "-q", "-d", str(out), str(path))
    assert [p.name for p in out.iterdir()] == [member]
    assert (out / member).read_bytes() == body


def test_gcab_lists_and_extracts(our_cab, tmp_path):
    path, member, body = our_cab
    tool = peers.require_tool("gcab")
    assert run(tool, "-t", str(path)).split() == [member]
    out = tmp_path / "g"
    out.mkdir()
    run(tool, "-x", "-C", str(out), str(path))
    assert (out / member).read_bytes() == body


def test_header_fields_as_microsoft_writes_them(our_cab):
    path, member, body = our_cab
    data = path.read_bytes()
    (sig, r1, cb_cabinet, r2, coff_files, r3, minor, major, folders, files, flags, set_id,
     index) = struct.unpack_from("<4sIIIIIBBHHHHH", data, 0)
    assert sig == b"MSCF" and (r1, r2, r3) == (0, 0, 0)
    assert (major, minor) == (1, 3)
    assert (folders, files, flags, set_id, index) == (1, 1, 0, 0, 0)  # no reserve, not chained
    assert cb_cabinet == len(data)  # nothing after the cabinet: no signature
    coff_data, n_data, type_compress = struct.unpack_from("<IHH", data, 36)
    assert type_compress == 1  # MSZIP
    assert n_data == (len(body) + 0x7FFF) // 0x8000
    assert coff_files == 36 + 8  # right after the one CFFOLDER
    usize, uoff, ifolder, date, time_, attribs = struct.unpack_from("<IIHHHH", data, coff_files)
    assert (usize, uoff, ifolder, attribs) == (len(body), 0, 0, 0x20)
    name = data[coff_files + 16:coff_data]
    assert name == member.encode() + b"\0"
    assert data[coff_data + 8:coff_data + 10] == b"CK"  # MSZIP block signature
