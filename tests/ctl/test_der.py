import pytest
from asn1crypto.core import Integer, ObjectIdentifier, OctetString
from hypothesis import given
from hypothesis import strategies as st

from ctlbuild.ctl import der


@given(st.integers(min_value=-(2 ** 80), max_value=2 ** 80))
def test_integer_matches_asn1crypto(value):
    assert der.integer(value) == Integer(value).dump()


@given(st.lists(st.integers(min_value=0, max_value=2 ** 40), min_size=1, max_size=8),
       st.integers(0, 2), st.integers(0, 39))
def test_oid_round_trip(rest, first, second):
    dotted = ".".join(str(a) for a in [first, second, *rest])
    encoded = der.oid(dotted)
    assert encoded == ObjectIdentifier(dotted).dump()
    assert der.decode_oid(encoded[2:]) == dotted


@given(st.binary(max_size=70000))
def test_tlv_matches_asn1crypto_and_reads_back(content):
    encoded = der.tlv(der.OCTET_STRING, content)
    assert encoded == OctetString(content).dump()
    assert der.read_tlv(encoded, 0) == (der.OCTET_STRING, len(encoded) - len(content), len(encoded))


def test_read_tlv_refuses_non_der_lengths():
    for bad, why in [(b"\x04\x80\x00\x00", "indefinite"), (b"\x04\x81\x05abcde", "non-minimal"),
                     (b"\x04\x05ab", "past the end"), (b"\x04", "truncated")]:
        try:
            der.read_tlv(bad, 0)
        except der.DerError as exc:
            assert why in str(exc)
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_huge_length_claim_is_refused_without_allocating():
    # A 4 GiB claim in a 10-byte buffer fails at once.
    try:
        der.read_tlv(b"\x30\x84\xff\xff\xff\xff" + b"\x00" * 4, 0)
    except der.DerError as exc:
        assert "runs past the end" in str(exc)
    else:
        raise AssertionError("accepted")


def _reference_check_shape(buf, pos, end, *, max_depth, max_elements, skip_at=-1):
    """check_shape as it was before its one- and two-byte lengths were read inline."""
    from ctlbuild.ctl.der import DerLimitError, read_tlv

    stack, count = [end], 0
    while stack:
        if pos >= stack[-1]:
            stack.pop()
            continue
        tag, start, stop = read_tlv(buf, pos, stack[-1])
        count += 1
        if count > max_elements:
            raise DerLimitError(f"more than {max_elements} DER elements (the limit)", pos)
        if tag & 0x20 and pos != skip_at:
            if len(stack) > max_depth:
                raise DerLimitError(f"DER nested deeper than {max_depth} levels (the limit)", pos)
            stack.append(stop)
            pos = start
        else:
            pos = stop


def _outcome(check, data, **limits):
    from ctlbuild.ctl.der import DerError

    try:
        check(data, 0, len(data), **limits)
        return None
    except DerError as exc:
        return type(exc).__name__, str(exc), exc.offset


@given(st.binary(max_size=400), st.integers(1, 6), st.integers(1, 60))
def test_check_shape_refuses_what_read_tlv_refuses(data, depth, elements):
    from ctlbuild.ctl.der import check_shape, seq, tlv

    for buf in (data, seq(data), seq(tlv(0x31, data), data[:3]), b"\x30\x81" + bytes([len(data) % 256]) + data):
        limits = {"max_depth": depth, "max_elements": elements}
        assert _outcome(check_shape, buf, **limits) == _outcome(_reference_check_shape, buf, **limits)


def _columns_equal_by_hand(data, pos, end, size, columns):
    first = data[pos:pos + size]
    return all(data[at + k] == first[k] for at in range(pos, end, size) for k in columns)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6, 8, 12, 13, 16, 52, 53])
def test_columns_equal_agrees_with_a_byte_by_byte_check(size):
    """Word columns (8/4/2 bytes at once) and byte columns, across block edges: every byte a
    column covers is compared, and only those (a change anywhere else passes)."""
    import random

    from ctlbuild.ctl.der import _BLOCK, columns_equal
    rng = random.Random(size)
    count = _BLOCK + 7  # a second, partial block
    record = bytes(rng.randrange(256) for _ in range(size))
    for trial in range(12):
        columns = sorted(rng.sample(range(size), rng.randint(1, size)))
        data = bytearray(b"\xaa" * 3 + record * count)
        if trial % 3:
            at = 3 + rng.randrange(count) * size + rng.randrange(size)
            data[at] ^= 1 << rng.randrange(8)
        for buf in (bytes(data), memoryview(bytes(data))):
            assert columns_equal(buf, 3, len(data), size, columns) == \
                _columns_equal_by_hand(data, 3, len(data), size, columns), (trial, columns)
