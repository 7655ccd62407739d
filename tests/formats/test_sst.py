"""Serialized certificate stores: Microsoft's two real SSTs, strictness, and fuzzing."""

from __future__ import annotations

import hashlib
import struct
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctlbuild.ctl.attributes import SHA1
from ctlbuild.errors import FormatError, TruncatedError
from ctlbuild.formats.sst import (
    SerializedStore,
    SstContext,
    SstProperty,
    is_sst,
    properties_for_entry,
    read_sst,
    write_sst,
)
from ctlbuild.lists.sources import read_ctl
from ctlbuild.model import Entry
from ctlbuild.timeutil import Filetime
from tests.fixtures_ms import fixture

SSTS = {"rootsupd-roots.sst": 6, "rootsupd-authroots.sst": 44}
HEADER = b"\0\0\0\0CERT"
END = b"\0" * 12
CERT = bytes.fromhex("3003020101")  # a DER SEQUENCE: read_sst checks only the outer TLV


def element(elem_id: int, value: bytes, encoding: int = 1) -> bytes:
    return struct.pack("<III", elem_id, encoding, len(value)) + value


def tiny_store() -> bytes:
    return HEADER + element(11, "A\0".encode("utf-16-le")) + element(0x20, CERT) + END


def offset_of(exc_info) -> int:
    return exc_info.value.offset


# -- Microsoft's files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", SSTS)
def test_microsoft_sst_round_trips_byte_identical(name):
    raw = fixture(name).read_bytes()
    store = read_sst(raw, path=name)
    assert len(store.certificates) == SSTS[name]
    assert store.ctls == () and store.crls == ()
    assert write_sst(store) == raw
    assert is_sst(raw)


@pytest.mark.parametrize("name", SSTS)
def test_sha1_property_is_of_the_following_certificate(name):
    """MS-OSHARED: a context's properties come before it (FORMATS.md §5)."""
    store = read_sst(fixture(name).read_bytes())
    for ctx in store.certificates:
        assert ctx.get(SHA1.prop_id) == hashlib.sha1(ctx.der).digest()
        assert ctx.friendly_name
        assert {p.encoding_type for p in ctx.properties} == {1}


def test_properties_for_entry_match_windows_bytes():
    """The CTL entry's values, re-encoded as properties, are the bytes Windows stored
    for the certificates rootsupd-roots.sst shares with authroot-2018-06-19."""
    entries = {e.identifier: e for e in read_ctl(fixture("authroot-2018-06-19.stl")).trust_list.entries}
    compared = 0
    for ctx in read_sst(fixture("rootsupd-roots.sst").read_bytes()).certificates:
        entry = entries.get(hashlib.sha1(ctx.der).digest())
        if entry is None:
            continue
        ours = properties_for_entry(ctx.der, entry)
        assert ours[0] == SstProperty(SHA1.prop_id, hashlib.sha1(ctx.der).digest())
        mine = {p.prop_id: p.value for p in ours}
        for prop in ctx.properties:
            assert mine[prop.prop_id] == prop.value, prop.prop_id
            compared += 1
    assert compared >= 10


def test_properties_for_entry_order_and_checks():
    der = read_sst(fixture("rootsupd-roots.sst").read_bytes()).certificates[0].der
    sha1 = hashlib.sha1(der).digest()
    entry = Entry(identifier=sha1, friendly_name="X", ekus=("1.3.6.1.5.5.7.3.1",), sha256=bytes(32),
                  disabled_since=Filetime(None),
                  raw_attributes=(("1.3.6.1.4.1.311.10.11.200", b"\x01"), ("1.2.3", b"\x02")))
    props = properties_for_entry(der, entry)
    assert [p.prop_id for p in props] == [3, 9, 11, 104, 98, 200]
    assert props[2].value == "X\0".encode("utf-16-le")
    assert props[3].value == b""
    assert properties_for_entry(None, Entry(identifier=sha1, cert=der))[0].value == sha1
    # A SHA-1 thumbprint is checked against the bytes; any other identifier by the certificate.
    sha256 = hashlib.sha256(der).digest()
    assert properties_for_entry(der, Entry(identifier=sha256))[0].value == sha1
    with pytest.raises(ValueError, match="not this certificate"):
        properties_for_entry(der, Entry(identifier=bytes(20)))
    with pytest.raises(ValueError, match="not this certificate"):
        properties_for_entry(der, Entry(identifier=bytes(32)))
    with pytest.raises(ValueError, match="no certificate"):
        properties_for_entry(None, Entry(identifier=sha1))


# -- writing ----------------------------------------------------------------------------------

def test_write_read_with_all_kinds_and_odd_encoding_type():
    store = SerializedStore((
        SstContext("cert", CERT, (SstProperty(11, b"a\0\0\0", encoding_type=0), SstProperty(3, bytes(20)))),
        SstContext("crl", CERT),
        SstContext("ctl", CERT, (SstProperty(0xFFFF, b""),)),
    ))
    raw = write_sst(store)
    assert raw.startswith(HEADER) and raw.endswith(END)
    back = read_sst(raw)
    assert back == store and write_sst(back) == raw
    assert [c.kind for c in back.contexts] == ["cert", "crl", "ctl"]


def test_empty_store():
    assert write_sst(SerializedStore()) == HEADER + END
    assert read_sst(HEADER + END) == SerializedStore()


def test_model_refuses_impossible_ids():
    for bad in (0, 0x20, 0x22, 0x10000):
        with pytest.raises(ValueError):
            SstProperty(bad, b"")
    with pytest.raises(ValueError):
        SstContext("key", CERT)


# -- strictness: every problem names the byte offset ------------------------------------------

BAD = {
    "truncated header": (b"\0\0\0\0CE", 0),
    "wrong header": (b"\0\0\0\0CRL!" + END, 0),
    "truncated element header": (HEADER + b"\x20\0\0\0\x01", 8),
    "length past the end": (HEADER + element(0x20, CERT)[:-1] + END[:0], 8),
    "missing end marker": (HEADER + element(0x20, CERT), 8 + 12 + len(CERT)),
    "bytes after the end marker": (tiny_store() + b"\0", len(tiny_store())),
    "unknown element id": (HEADER + element(0x10000, b"") + END, 8),
    "end marker not zero": (HEADER + struct.pack("<III", 0, 1, 0) + END, 8),
    "end marker with a length": (HEADER + struct.pack("<III", 0, 0, 4) + b"\0" * 4, 8),
    "property without context": (HEADER + element(0x20, CERT) + element(3, bytes(20)) + element(11, b"")
                                 + END, 8 + 12 + len(CERT)),
    "certificate not DER": (HEADER + element(0x20, b"\x30\x05ab") + END, 8 + 12),
    "certificate not a SEQUENCE": (HEADER + element(0x20, b"\x04\x00") + END, 8 + 12),
    "bytes after the certificate DER": (HEADER + element(0x20, CERT + b"\0") + END, 8 + 12 + len(CERT)),
}


@pytest.mark.parametrize("data,offset", list(BAD.values()), ids=list(BAD))
def test_bad_input_names_offset(data, offset):
    with pytest.raises(FormatError) as exc:
        read_sst(data, path="x.sst")
    assert offset_of(exc) == offset
    if isinstance(exc.value, TruncatedError):  # a store cut short says so as every reader does
        assert str(exc.value).startswith("x.sst: truncated: ") and f" at byte {offset} " in str(exc.value)
    else:
        assert str(exc.value).startswith(f"x.sst at offset {offset}: ")


def test_huge_length_claim_refused_without_allocating():
    data = HEADER + struct.pack("<III", 0x20, 1, 0xFFFF_FFFF) + bytes(80)
    assert len(data) == 100
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FormatError, match="element 0x20 at byte 8 needs 4294967307 bytes") as exc:
            read_sst(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert offset_of(exc) == 8
    assert peak < 1 << 20
    assert time.perf_counter() - started < 1


def test_real_sst_truncated_anywhere_is_a_format_error():
    raw = fixture("rootsupd-roots.sst").read_bytes()
    for cut in range(0, len(raw), 97):
        with pytest.raises(FormatError):
            read_sst(raw[:cut])


# -- fuzzing ----------------------------------------------------------------------------------

def _read_or_format_error(data: bytes) -> None:
    try:
        store = read_sst(data)
    except FormatError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(data)
        return
    assert write_sst(store) == data  # anything accepted rewrites exactly


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    _read_or_format_error(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_after_header(data):
    _read_or_format_error(HEADER + data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_sst(data):
    raw = bytearray(fixture("rootsupd-roots.sst").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    _read_or_format_error(bytes(raw[:cut]))


def test_element_and_property_caps(monkeypatch):
    from ctlbuild.formats import sst
    from tests.bounded import sst_of_empty_properties
    monkeypatch.setattr(sst, "MAX_SST_ELEMENTS", 1000)
    monkeypatch.setattr(sst, "MAX_SST_PROPERTIES", 10)
    assert len(read_sst(sst_of_empty_properties(900, per_context=10)).certificates) == 90
    with pytest.raises(FormatError, match="more than 1000 elements"):
        read_sst(sst_of_empty_properties(1000, per_context=10))
    with pytest.raises(FormatError, match="more than 10 properties before one context") as caught:
        read_sst(sst_of_empty_properties(11))
    assert caught.value.offset == 8


def test_every_property_the_writer_makes_from_the_table_has_a_property_id():
    """properties_for_entry makes these without SstProperty's own check (formats.sst._property)."""
    from ctlbuild.ctl import attributes
    from ctlbuild.formats.sst import SstProperty

    for prop in (attributes.SHA1, *attributes.SST_ORDER):
        SstProperty(prop.prop_id, b"")  # raises for an id that is not a property's


def test_read_objects_equal_those_made_the_ordinary_way():
    from ctlbuild.formats.sst import SerializedStore, SstContext, SstProperty, read_sst, write_sst

    store = SerializedStore((SstContext("cert", b"\x30\x00", (SstProperty(3, b"a"), SstProperty(11, b"b\0", 7))),
                             SstContext("ctl", b"\x30\x01\x05", (), 2)))
    back = read_sst(write_sst(store))
    assert back == store and hash(back.contexts[0].properties[1]) == hash(store.contexts[0].properties[1])
    assert isinstance(back.contexts[0].properties, tuple) and back.contexts[1].encoding_type == 2
