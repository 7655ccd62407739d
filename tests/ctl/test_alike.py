"""Runs of alike entries (model.AlikeEntries): the encoder's byte template, the decoder's
strided run and show's copied dicts give exactly what the general, entry-by-entry paths
give, for varied lists (random attributes, identifier sizes, entries with attributes of their
own or none at all); and a run that is not alike is left to the general paths."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlbuild.ctl import decode as decode_module
from ctlbuild.ctl.decode import decode_ctl
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.model import AlikeEntries, Entry, TrustList
from ctlbuild.oids import HashAlg
from ctlbuild.reports.show import iter_entry_data
from ctlbuild.timeutil import Filetime

WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)
SIZES = {HashAlg.SHA1: 20, HashAlg.SHA256: 32, HashAlg.DISALLOWED_HASH: 16}
OIDS = st.sampled_from(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.3", "1.3.6.1.4.1.311.10.3.9", "2.23.140.1.1"])
EKUS = st.none() | st.lists(OIDS, max_size=3, unique=True).map(tuple)
TIMES = st.none() | st.just(Filetime(None)) | st.integers(0, 2**63 - 1).map(Filetime)


@st.composite
def templates(draw) -> Entry:
    """Entries with any mix of attributes: shared ones, their own (names, hashes), raw ones."""
    return Entry(
        identifier=b"",
        friendly_name=draw(st.none() | st.text(max_size=12)),
        ekus=draw(EKUS), disallowed_ekus=draw(EKUS), not_before_ekus=draw(EKUS),
        disabled_since=draw(TIMES), not_before=draw(TIMES),
        ev_policies=draw(EKUS), chain_policies=draw(EKUS),
        sha256=draw(st.none() | st.binary(min_size=32, max_size=32)),
        key_id=draw(st.none() | st.binary(min_size=1, max_size=20)),
        raw_attributes=tuple(draw(st.lists(st.tuples(st.just("1.3.6.1.4.1.311.10.11.200"),
                                                     st.binary(max_size=300)), max_size=2))),
        updates=tuple(draw(st.lists(st.text(alphabet="KB0123456789", min_size=3, max_size=9), max_size=2))),
        note=draw(st.none() | st.text(max_size=8)),
        sha1=draw(st.none() | st.binary(min_size=20, max_size=20)),
    )


def _run(draw_ids, template: Entry, sha1_is_identifier: bool) -> AlikeEntries:
    return AlikeEntries(draw_ids, template, sha1_is_identifier=sha1_is_identifier)


def _list(entries, algorithm) -> TrustList:
    return TrustList("t", "disallowed", WHEN, entries, subject_algorithm=algorithm)


@settings(max_examples=60, deadline=None)
@given(templates(), st.sampled_from(sorted(SIZES)), st.integers(1, 150), st.booleans(), st.randoms())
def test_the_fast_paths_equal_the_general_ones(template, algorithm, count, sha1_is_identifier, rng):
    ids = list({rng.randbytes(SIZES[algorithm]) for _ in range(count)})
    run = _run(ids, template, sha1_is_identifier and algorithm == HashAlg.SHA1)
    plain = tuple(run)  # the same entries, one Entry each: the general paths
    assert run == plain and plain == run and len(run) == len(plain)
    der = encode_ctl(_list(run, algorithm))
    assert der == encode_ctl(_list(plain, algorithm))  # byte template == encode_entry per entry

    back = decode_ctl(der)
    slow = _general_decode(der)
    assert back.entries == slow.entries == [_as_decoded(e) for e in plain]
    if len(ids) >= decode_module._ALIKE_MIN:
        assert isinstance(back.entries, AlikeEntries)  # the fast path was taken
    for tl in (back, _list(run, algorithm)):
        fast = list(iter_entry_data(tl, "spaced"))
        general = [_entry_json(e, tl.subject_algorithm) for e in list(tl.entries)]
        assert json.dumps(fast) == json.dumps(general)


def _general_decode(der: bytes) -> TrustList:
    saved = decode_module._ALIKE_MIN
    decode_module._ALIKE_MIN = 1 << 62
    try:
        return decode_ctl(der)
    finally:
        decode_module._ALIKE_MIN = saved


def _as_decoded(e: Entry) -> Entry:
    """What the CTL keeps of an entry: no display fields."""
    back = decode_ctl(encode_ctl(_list((e,), HashAlg.SHA1)))
    return back.entries[0]


def _entry_json(e: Entry, algorithm: str) -> dict:
    from ctlbuild.reports.show import entry_data
    return entry_data(e, algorithm, "spaced")


def _alike_list(n=200) -> tuple[bytes, list[bytes]]:
    since = Filetime.from_datetime(WHEN)
    ids = [i.to_bytes(20, "big") for i in range(1, n + 1)]
    return encode_ctl(_list(AlikeEntries(ids, Entry(b"", disabled_since=since, ekus=("1.3.6.1.5.5.7.3.1",))),
                            HashAlg.SHA1)), ids


@pytest.mark.parametrize("where", [0, 1, 100, 199])
def test_one_entry_unlike_the_rest_is_decoded_entry_by_entry(where):
    der, ids = _alike_list()
    at = der.index(ids[where])
    other = Filetime.from_datetime(datetime(2021, 1, 1, tzinfo=timezone.utc)).ticks.to_bytes(8, "little")
    since = Filetime.from_datetime(WHEN).ticks.to_bytes(8, "little")
    end = der.index(since, at)
    changed = der[:end] + other + der[end + 8:]  # this entry's date only: same size, other bytes
    back = decode_ctl(changed)
    assert not isinstance(back.entries, AlikeEntries)
    assert back.entries == _general_decode(changed).entries
    assert [e.disabled_since.ticks for e in back.entries].count(int.from_bytes(other, "little")) == 1


def test_a_bad_entry_among_alike_ones_is_refused_as_before():
    from ctlbuild.errors import FormatError

    der, ids = _alike_list()
    at = der.index(ids[150]) - 4  # the entry's SEQUENCE header
    assert der[at] == 0x30
    for bad in (b"\x31", b"\x04"):
        broken = der[:at] + bad + der[at + 1:]
        with pytest.raises(FormatError) as fast:
            decode_ctl(broken)
        with pytest.raises(FormatError) as slow:
            _general_decode(broken)
        assert str(fast.value) == str(slow.value)
