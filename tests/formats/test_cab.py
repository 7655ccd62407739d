"""Cabinets: Microsoft's two CTL cabs, our writer's shape and reproducibility, errors."""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlbuild.errors import FormatError, OutputError
from ctlbuild.formats.cab import CFHEADER, ctl_member, is_cab, read_cab, write_cab
from tests.fixtures_ms import fixture

PAIRS = [
    ("authrootstl-2018-06-19.cab", "authroot.stl", "authroot-2018-06-19.stl"),
    ("disallowedcertstl-2012-05-30.cab", "disallowedcert.stl", "disallowedcert-2012-05-30.stl"),
]
WHEN = datetime(2018, 6, 19, 10, 11, 12)


@pytest.mark.parametrize("cab,member,stl", PAIRS, ids=[p[0] for p in PAIRS])
def test_microsoft_cab_holds_the_stl(cab, member, stl):
    data = fixture(cab).read_bytes()
    assert is_cab(data)
    assert read_cab(data, cab) == [(member, fixture(stl).read_bytes())]
    assert ctl_member(data, cab) == (member, fixture(stl).read_bytes())


@pytest.mark.parametrize("cab,member,stl", PAIRS, ids=[p[0] for p in PAIRS])
def test_rewrap_has_microsofts_header_fields(cab, member, stl):
    ms = fixture(cab).read_bytes()
    ours = write_cab(member, fixture(stl).read_bytes(), WHEN)
    keep = lambda h: h[:2] + h[3:]  # all but cbCabinet: our deflate is not Microsoft's  # noqa: E731
    assert keep(CFHEADER.unpack_from(ours, 0)) == keep(CFHEADER.unpack_from(ms, 0))
    # CFFOLDER: data blocks and MSZIP; CFFILE: size, offset, folder, attribs
    assert struct.unpack_from("<xxxxHH", ours, 36) == struct.unpack_from("<xxxxHH", ms, 36)
    assert (struct.unpack_from("<IIHxxxxH", ours, 44)
            == struct.unpack_from("<IIHxxxxH", ms, 44))


def test_write_read_round_trip():
    body = bytes(range(256)) * 700  # > 2 CFDATA blocks of 32 KiB
    cab = write_cab("authroot.stl", body, WHEN)
    assert read_cab(cab) == [("authroot.stl", body)]
    assert ctl_member(cab) == ("authroot.stl", body)


def test_reproducible_and_dated_from_when():
    body = b"same input" * 1000
    first = write_cab("authroot.stl", body, WHEN)
    assert first == write_cab("authroot.stl", body, WHEN)
    # DOS time has 2-second steps; the zone is not looked at, only the wall clock.
    assert first == write_cab("authroot.stl", body, WHEN.replace(second=13))
    assert first == write_cab("authroot.stl", body, WHEN.replace(tzinfo=timezone.utc))
    date, time_ = struct.unpack_from("<HH", first, 44 + 10)
    assert date == ((2018 - 1980) << 9) | (6 << 5) | 19
    assert time_ == (10 << 11) | (11 << 5) | (12 // 2)
    assert first != write_cab("authroot.stl", body, WHEN.replace(day=20))


def test_write_refuses_what_a_cab_cannot_hold():
    with pytest.raises(OutputError):
        write_cab("authroot.stl", b"", WHEN)
    with pytest.raises(OutputError):
        write_cab("", b"x", WHEN)
    with pytest.raises(OutputError, match="1980"):
        write_cab("authroot.stl", b"x", datetime(1979, 12, 31))


def _two_member_cab(names) -> bytes:
    from cabarchive import CabArchive, CabFile
    arc = CabArchive()
    for name in names:
        arc[name] = CabFile(b"data of " + name.encode(), mtime=WHEN)
    return arc.save(compress=True)


def test_no_stl_member():
    cab = write_cab("readme.txt", b"hello", WHEN)
    with pytest.raises(FormatError, match=r"x\.cab: cabinet holds no \.stl member \(it holds readme\.txt\)"):
        ctl_member(cab, path="x.cab")


def test_two_stl_members():
    cab = _two_member_cab(["a.stl", "b.STL"])
    with pytest.raises(FormatError, match=r"x\.cab: cabinet holds 2 \.stl members \(a\.stl, b\.STL\)"):
        ctl_member(cab, path="x.cab")


def test_one_stl_among_others():
    cab = _two_member_cab(["authroot.stl", "readme.txt"])
    assert ctl_member(cab) == ("authroot.stl", b"data of authroot.stl")


def test_repeated_member_name_is_refused():
    cab = bytearray(_two_member_cab(["a.stl", "b.stl"]))
    second = cab.index(b"b.stl\0")
    cab[second:second + 1] = b"a"
    with pytest.raises(FormatError, match="2 members but only 1 distinct"):
        read_cab(bytes(cab))


BROKEN = {
    "not a cab": (b"PK\x03\x04" + bytes(40), "no MSCF header"),
    "truncated": (None, "truncated: cabinet at byte 0 needs"),
    "trailing bytes": (None, "bytes after the cabinet"),
    "bad checksum": (None, "malformed cabinet"),
}


def _broken(kind: str) -> bytes:
    good = fixture("disallowedcertstl-2012-05-30.cab").read_bytes()
    if kind == "truncated":
        return good[:-10]
    if kind == "trailing bytes":
        return good + b"\0"
    if kind == "bad checksum":
        return good[:200] + bytes([good[200] ^ 0xFF]) + good[201:]
    return BROKEN[kind][0]


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_cab_is_one_line_format_error(kind):
    with pytest.raises(FormatError, match=BROKEN[kind][1]) as exc:
        read_cab(_broken(kind), path="x.cab")
    assert "\n" not in str(exc.value) and str(exc.value).startswith("x.cab")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_cab_only_format_error(data):
    raw = bytearray(fixture("disallowedcertstl-2012-05-30.cab").read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, 120))  # header, folder, file entry, first CFDATA header
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        read_cab(bytes(raw))
    except FormatError:
        pass


def test_no_cabinet_is_written_that_could_not_be_read(monkeypatch):
    from ctlbuild.formats import cab
    monkeypatch.setattr(cab, "MAX_CAB_UNCOMPRESSED", 1000)
    assert read_cab(write_cab("a.stl", b"x" * 1000, WHEN)) == [("a.stl", b"x" * 1000)]
    with pytest.raises(OutputError, match="cabinets hold at most 1000 bytes"):
        write_cab("a.stl", b"x" * 1001, WHEN)
    with pytest.raises(FormatError, match="would inflate to more than 1000 bytes"):
        read_cab(_cab_of(b"x" * 1001))


def _cab_of(data: bytes) -> bytes:
    from cabarchive import CabArchive, CabFile
    archive = CabArchive()
    archive["a.stl"] = CabFile(data)
    return archive.save(compress=True)
