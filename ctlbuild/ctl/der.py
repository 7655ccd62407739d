"""Minimal strict-DER primitives for the hot paths (100k–1M entry lists).

asn1crypto is the declaration of record (``ctlbuild.ctl.asn1``); building a CTL from
its native values and dumping it costs ~600 µs per entry (a mutated value is
re-serialised at every level above it), so the encoder and decoder of trust lists
use these byte-level helpers instead, and tests hold both to the same bytes.

>>> from ctlbuild.ctl.der import tlv, read_tlv
>>> tlv(0x04, b"ab")
b'\\x04\\x02ab'
>>> read_tlv(b"\\x04\\x02ab", 0)
(4, 2, 4)
"""

from __future__ import annotations

from functools import lru_cache

SEQUENCE, SET, OCTET_STRING, INTEGER, OID, NULL = 0x30, 0x31, 0x04, 0x02, 0x06, 0x05
BOOLEAN, BIT_STRING, UTC_TIME, GENERALIZED_TIME = 0x01, 0x03, 0x17, 0x18
BMP_STRING, IA5_STRING = 0x1E, 0x16


class DerError(ValueError):
    """Malformed DER; ``offset`` is where in the buffer."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def header(tag: int, n: int) -> bytes:
    """The tag and length of an element whose content is ``n`` bytes long."""
    if n < 0x80:
        return bytes((tag, n))
    return bytes((tag,)) + length(n)


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    return header(tag, n) + content


def seq(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(parts) -> bytes:
    """DER SET OF: elements sorted by their encodings (X.690 11.6)."""
    return tlv(SET, b"".join(sorted(parts)))


def octets(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def integer(value: int) -> bytes:
    magnitude = ~value if value < 0 else value  # two's complement: -128 fits one octet
    n = (magnitude.bit_length() + 8) // 8  # room for the sign bit
    return tlv(INTEGER, value.to_bytes(max(n, 1), "big", signed=True))


@lru_cache(maxsize=4096)
def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray((40 * arcs[0] + arcs[1],)) if arcs[0] < 2 else bytearray()
    rest = arcs[2:]
    if arcs[0] == 2:
        rest = [80 + arcs[1]] + rest
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


@lru_cache(maxsize=4096)
def decode_oid(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content octets (``bytes``: the cache keys on it).

    Cached: a CTL names the same dozen OIDs (attribute types, EKUs, policies) thousands
    of times; the cache is bounded, so a file of all-different OIDs costs a look-up each."""
    if not content or content[-1] & 0x80:
        raise ValueError("OBJECT IDENTIFIER is empty or ends inside an arc")
    arcs, value = [], 0
    for b in content:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def algorithm_id(dotted: str, params: bytes | None = b"\x05\x00") -> bytes:
    """AlgorithmIdentifier; Microsoft always writes explicit NULL parameters."""
    return seq(oid(dotted), params or b"")


def read_tlv(buf, pos: int, end: int | None = None) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``pos``; strict DER lengths."""
    if end is None:
        end = len(buf)
    if pos + 2 > end:
        raise DerError("truncated element header", pos)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used in these structures", pos)
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        n = first
    elif first == 0x80:
        raise DerError("indefinite length is not DER", pos)
    else:
        count = first & 0x7F
        if count > 4 or start + count > end:
            raise DerError("length field too long or truncated", pos)
        n = int.from_bytes(buf[start:start + count], "big")
        if n < 0x80 or buf[start] == 0:
            raise DerError("non-minimal length is not DER", pos)
        start += count
    if start + n > end:
        raise DerError(f"element length {n} runs past the end of its container", pos)
    return tag, start, start + n


def declared_size(buf, pos: int = 0) -> int:
    """How many bytes the element at ``pos`` declares it spans, tag and length included
    (what a truncated file falls short of); only as much of the header as is there is read.
    0 when the length form is one ``read_tlv`` refuses anyway (indefinite, over 4 bytes):
    such a file is malformed, not cut short."""
    if pos + 2 > len(buf):
        return 2
    first = buf[pos + 1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if first == 0x80 or count > 4:
        return 0
    if pos + 2 + count > len(buf):
        return 2 + count
    return 2 + count + int.from_bytes(buf[pos + 2:pos + 2 + count], "big")


def check_whole(buf, path=None) -> None:
    """The one check every reader of a DER file (signed CTL, bare CTL) makes first: a file
    that ends before its outermost element does is ``TruncatedError``, in the same words
    whoever reads it (a cut-short .stl no longer even looks signed)."""
    if buf[:1] == b"\x30" and declared_size(buf) > len(buf):
        from ..errors import TruncatedError  # only on the error path: der stays import-light

        raise TruncatedError(path=path, offset=0, needs=declared_size(buf), size=len(buf))


def expect(buf, pos: int, tag: int, end: int | None = None, what: str = "element") -> tuple[int, int]:
    t, s, e = read_tlv(buf, pos, end)
    if t != tag:
        raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{t:02x}", pos)
    return s, e


def children(buf, start: int, end: int):
    """Yield (tag, content start, content end, element start) for each child."""
    pos = start
    while pos < end:
        tag, s, e = read_tlv(buf, pos, end)
        yield tag, s, e, pos
        pos = e


def content_octets(element):
    """The element at the start of ``element`` without its tag and length. For a CTL this is
    the span the outer messageDigest covers (FORMATS.md §1). A memoryview stays a view."""
    _tag, start, end = read_tlv(element, 0)
    return element[start:end]


def oids_in(buf, start: int, end: int):
    """The dotted OIDs of a SEQUENCE OF OBJECT IDENTIFIER whose content is buf[start:end]."""
    for tag, s, e, pos in children(buf, start, end):
        if tag != OID:
            raise DerError("expected an OBJECT IDENTIFIER", pos)
        yield decode_oid(bytes(buf[s:e]))


#: Records compared per block by columns_equal: a block (~200 KB of CTL entries) stays in
#: the CPU's cache while each fixed column of it is sliced, so memory is read once.
_BLOCK = 4096
#: memoryview formats by item size: columns_equal reads fixed bytes a word at a time.
_WORDS = {8: "Q", 4: "I", 2: "H"}


def columns_equal(data: bytes, pos: int, end: int, size: int, columns: list[int]) -> bool:
    """Whether byte k of every ``size``-byte record in data[pos:end] equals byte k of the first
    record, for each k in ``columns``: a run of alike records (a CTL's entries that differ
    only in their identifiers) checked by strided slices in C, not a Python step per record.
    Where whole aligned words of a record are fixed (the record's size a multiple of the
    word), a word column is compared at once: 8 word columns of 1M 52-byte entries instead
    of 32 byte columns, 60 -> 40 ms.

    >>> columns_equal(b"a1b a2b a3b ", 0, 12, 4, [0, 2, 3]), columns_equal(b"a1b a2b a3c ", 0, 12, 4, [2])
    (True, False)
    >>> columns_equal(b"ab12ab34ab56", 0, 12, 4, [0, 1]), columns_equal(b"ab12ab34aB56", 0, 12, 4, [0, 1])
    (True, False)
    """
    if (end - pos) % size:
        return False  # a part record is not a run of alike records: no proof of it
    width, words, singles = _column_plan(size, columns)
    count = (end - pos) // size
    wide = memoryview(data)[pos:pos + count * size].cast(_WORDS[width]) if words else None
    per = size // width
    wanted: dict = {}

    def want(column: bytes, n: int, fmt: str | None):
        got = wanted.get((column, n))
        if got is None:
            got = wanted[column, n] = memoryview(column * n).cast(fmt) if fmt else column * n
        return got

    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        for j in words:  # memoryviews of one format compare item by item, in C, without a copy
            if wide[first * per + j:(first + n) * per:per] != want(wide[j:j + 1].tobytes(), n, wide.format):
                return False
        block = pos + first * size
        for k in singles:
            if data[block + k:block + n * size:size] != want(bytes(data[pos + k:pos + k + 1]), n, None):
                return False
    return True


def _column_plan(size: int, columns: list[int]) -> tuple[int, list[int], list[int]]:
    """(word size, the record's word columns all of whose bytes are in ``columns``, the other
    byte columns): the word size that leaves the fewest columns to slice."""
    best = (1, [], list(columns))
    fixed = set(columns)
    for width in _WORDS:
        if size % width:
            continue
        words = [j for j in range(size // width) if fixed.issuperset(range(j * width, (j + 1) * width))]
        in_words = {j * width + i for j in words for i in range(width)}
        singles = [k for k in columns if k not in in_words]
        if len(words) + len(singles) < len(best[1]) + len(best[2]):
            best = (width, words, singles)
    return best


class DerLimitError(DerError):
    """Well-formed so far, but nested deeper or holding more elements than a reader allows."""


def check_shape(buf, pos: int, end: int, *, max_depth: int, max_elements: int, skip_at: int = -1,
                skip: tuple[int, ...] = (), depth: int = 0) -> None:
    """Walk every element between ``pos`` and ``end`` without recursion, refusing
    nesting past ``max_depth`` or more than ``max_elements`` elements (DerLimitError),
    before a recursive parser (asn1crypto) is let loose on the bytes. The constructed
    elements starting at ``skip_at`` or an offset in ``skip`` are counted but not entered (a
    CTL's entries are decoded by ctlbuild's own flat decoder, not here). ``depth``: how
    deep the walked bytes stand in their file, so that a part walked on its own is held
    to the depth the whole file's walk would hold it to."""
    skipped = {skip_at, *skip}
    max_depth -= depth
    stack = [end]
    count = 0
    while stack:
        limit = stack[-1]
        if pos >= limit:
            stack.pop()
            continue
        # The one- and two-byte lengths inline (this loop sees every element of a file with
        # 10,000 embedded certificates); read_tlv for every other form and every error.
        tag = buf[pos]
        first = buf[pos + 1] if pos + 1 < limit else 0x80
        if tag & 0x1F != 0x1F and first < 0x80:
            start = pos + 2
            stop = start + first
        elif tag & 0x1F != 0x1F and first == 0x81 and pos + 2 < limit and buf[pos + 2] >= 0x80:
            start = pos + 3
            stop = start + buf[pos + 2]
        else:
            tag, start, stop = read_tlv(buf, pos, limit)
        if stop > limit:
            read_tlv(buf, pos, limit)  # raises the error that names the overrun
        count += 1
        if count > max_elements:
            raise DerLimitError(f"more than {max_elements} DER elements (the limit)", pos)
        if tag & 0x20 and pos not in skipped:
            if len(stack) > max_depth:
                raise DerLimitError(f"DER nested deeper than {max_depth + depth} levels (the limit)", pos)
            stack.append(stop)
            pos = start
        else:
            pos = stop
