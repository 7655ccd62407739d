"""Strict DER of a whole file, and its fast path for long runs of alike entries.

The fast path (``strictder._alike``) proves a SEQUENCE of alike children strict DER from its
first child; every test here holds it to the slow walk's verdict, word for word, on lists it
folds and on lists it must refuse to fold."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlbuild.ctl import der
from ctlbuild.verify import strictder
from ctlbuild.verify.strictder import der_problem

N = 2000  # entries: ~100 KB, past the fold threshold
DISABLED = der.seq(der.oid("1.3.6.1.4.1.311.10.11.105"), der.tlv(der.SET, der.octets(bytes(8))))
UPDATES = der.seq(der.oid("1.3.6.1.4.1.311.10.11.126"), der.tlv(der.SET, der.octets(b"KB0000001\0")))
SAME_SIZE = der.seq(der.oid("1.3.6.1.4.1.311.10.11.104"), der.tlv(der.SET, der.octets(b"\x01" * 8)))


def entry(ident: bytes, attrs: list[bytes] | None = None, *, presorted=True) -> bytes:
    attrs = [DISABLED, UPDATES] if attrs is None else attrs
    body = b"".join(sorted(attrs) if presorted else attrs)
    return der.seq(der.octets(ident), der.tlv(der.SET, body))


def ctl_shaped(entries: list[bytes]) -> bytes:
    """The shape the fold meets in a CTL: a header field, then the SEQUENCE OF entries."""
    return der.seq(der.integer(1), der.tlv(der.SEQUENCE, b"".join(entries)))


def idents(n: int = N, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(20) for _ in range(n)]


def slow_problem(data: bytes, monkeypatch) -> str | None:
    with monkeypatch.context() as m:
        m.setattr(strictder, "_FOLD_BYTES", 1 << 62)
        return der_problem(data)


def both(data: bytes, monkeypatch) -> tuple[str | None, str | None]:
    return der_problem(data), slow_problem(data, monkeypatch)


def test_alike_entries_are_folded_and_pass(monkeypatch):
    entries = [entry(i) for i in idents()]
    data = ctl_shaped(entries)
    # the SEQUENCE OF entries is content data[s:e]; the fold proves it in one go
    _t, s, e = der.read_tlv(data, 0)
    _t, _s, pos = der.read_tlv(data, s)
    _t, es, ee = der.read_tlv(data, pos)
    assert strictder._alike(data, es, ee, 1, frozenset(), set())
    assert both(data, monkeypatch) == (None, None)


@pytest.mark.parametrize("where", [0, 1, N // 2, N - 1])
@pytest.mark.parametrize("bad, cause", [
    # a non-minimal length: the entry is one byte longer
    (lambda ident: b"\x30\x81" + der.tlv(der.SEQUENCE, der.octets(ident) + der.tlv(der.SET, DISABLED + UPDATES))[1:],
     "non-minimal length"),
    # the same attributes, same size, in the wrong order
    (lambda ident: entry(ident, [UPDATES, DISABLED], presorted=False), "SET elements not in DER"),
    # an indefinite length inside the entry (its end-of-contents octets after it)
    (lambda ident: b"\x30\x80" + der.octets(ident) + der.tlv(der.SET, DISABLED + UPDATES) + b"\x00\x00",
     "indefinite length"),
    # an attribute value made a BOOLEAN 01 01 05 of the same size as before: not 00 or FF
    (lambda ident: entry(ident, [der.seq(der.oid("1.3.6.1.4.1.311.10.11.105"),
                                         der.tlv(der.SET, b"\x01\x08" + bytes(8))), UPDATES]),
     "BOOLEAN not encoded"),
    (lambda ident: entry(ident, [der.seq(der.oid("1.3.6.1.4.1.311.10.11.105"),
                                         der.tlv(der.SET, b"\x02\x08" + bytes(8))), UPDATES]),
     "non-minimal INTEGER"),
])
def test_one_bad_entry_among_alike_ones_is_refused(monkeypatch, where, bad, cause):
    ids = idents()
    entries = [entry(i) for i in ids]
    entries[where] = bad(ids[where])
    fast, slow = both(ctl_shaped(entries), monkeypatch)
    assert fast == slow
    assert fast is not None and cause in fast


def test_duplicate_attributes_get_the_slow_walks_verdict(monkeypatch):
    """A SET OF may hold equal elements in DER (X.690 11.6 orders them, nothing more); an
    entry whose two attributes are one attribute twice, same size as its neighbours, is
    judged as the slow walk judges it, and so is a whole list of such entries."""
    ids = idents()
    assert len(SAME_SIZE) == len(DISABLED)
    entries = [entry(i, [DISABLED, SAME_SIZE]) for i in ids]
    entries[7] = entry(ids[7], [DISABLED, DISABLED])
    assert both(ctl_shaped(entries), monkeypatch) == (None, None)
    dupes = [entry(i, [DISABLED, DISABLED]) for i in ids]
    assert both(ctl_shaped(dupes), monkeypatch) == (None, None)


def test_bad_first_entry_is_named_at_its_offset(monkeypatch):
    ids = idents()
    entries = [entry(i, [UPDATES, DISABLED], presorted=False) for i in ids]
    fast, slow = both(ctl_shaped(entries), monkeypatch)
    assert fast == slow and "SET elements not in DER" in fast


def test_variable_bytes_inside_a_set_are_not_folded(monkeypatch):
    """Entries alike but for bytes inside their attribute SET: the SET's order depends on
    those bytes, so the fold must walk them (one of them is out of order)."""
    rng = random.Random(5)
    a = der.seq(der.oid("1.3.6.1.4.1.311.10.11.11"), der.tlv(der.SET, der.octets(b"\x50" * 8)))
    entries = []
    for ident in idents():
        b = der.seq(der.oid("1.3.6.1.4.1.311.10.11.11"), der.tlv(der.SET, der.octets(rng.randbytes(8))))
        entries.append(entry(ident, sorted([a, b])))
    assert both(ctl_shaped(entries), monkeypatch) == (None, None)
    entries[1234] = entry(idents()[1234], sorted([a, a.replace(b"\x50" * 8, b"\x01" * 8)], reverse=True),
                          presorted=False)
    fast, slow = both(ctl_shaped(entries), monkeypatch)
    assert fast == slow and "SET elements not in DER" in fast


def test_checked_primitives_in_the_free_positions_stay_checked(monkeypatch):
    """An INTEGER identifier is content a DER rule reads: every entry's, not the first's."""
    entries = [der.seq(der.integer(1000 + k), der.tlv(der.SET, DISABLED)) for k in range(N)]
    assert both(ctl_shaped(entries), monkeypatch) == (None, None)
    entries[999] = der.seq(b"\x02\x02\x00\x05", der.tlv(der.SET, DISABLED))  # same size, not minimal
    fast, slow = both(ctl_shaped(entries), monkeypatch)
    assert fast == slow and "non-minimal INTEGER" in fast


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, N * 52 - 1), st.integers(0, 255)), min_size=1, max_size=3),
       st.booleans())
def test_any_byte_changed_gets_the_slow_walks_verdict(edits, own_attributes):
    """Random bytes of a foldable list overwritten: the fast path and the slow walk agree."""
    ids = idents(N, seed=3)
    if own_attributes:  # some entries with an attribute of their own, the rest alike
        entries = [entry(i, [DISABLED, SAME_SIZE] if k % 97 == 0 else None) for k, i in enumerate(ids)]
    else:
        entries = [entry(i) for i in ids]
    data = bytearray(ctl_shaped(entries))
    for at, value in edits:
        data[8 + at % (len(data) - 8)] = value
    data = bytes(data)
    saved = strictder._FOLD_BYTES
    try:
        fast = der_problem(data)
        strictder._FOLD_BYTES = 1 << 62
        slow = der_problem(data)
    finally:
        strictder._FOLD_BYTES = saved
    assert fast == slow
