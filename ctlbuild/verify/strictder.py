"""Strict DER for every element of a file, not only the path to the CTL.

BER leaves room for two encodings of one value; a signature covers one of them and
readers may pick the other. X.690 §10–11 rules are checked here for every TLV: definite
and minimal lengths, minimal tags, no trailing bytes, primitive strings, BOOLEAN 00/FF,
minimal INTEGERs, NULL empty, BIT STRING padding zero, DER times, universal SET
elements in ascending order. The walk is iterative and linear in the file's size.

>>> from ctlbuild.verify.strictder import der_problem
>>> der_problem(bytes.fromhex("3080020101 0000"))
'indefinite length at offset 1'
>>> der_problem(bytes.fromhex("3003020101")) is None
True
"""

from __future__ import annotations

import re

from ..ctl.der import columns_equal

MAX_DEPTH = 64
_CONSTRUCTED_UNIVERSAL = {8, 11, 16, 17, 29}  # EXTERNAL, EMBEDDED PDV, SEQUENCE, SET, CHARACTER STRING
_UTC = re.compile(rb"\d{12}Z\Z")
_GENERALIZED = re.compile(rb"\d{14}(\.\d*[1-9])?Z\Z")


class NotDer(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset


def der_problem(data: bytes, opaque: frozenset[int] = frozenset()) -> str | None:
    """None when ``data`` is one strict-DER element; else what is wrong and where. Elements
    starting at an ``opaque`` offset are checked for their tag and length only: the caller
    has their content checked by a strict parser (certificates, by cryptography)."""
    try:
        end = _walk(data, 0, len(data), 0, opaque, set())
        if end != len(data):
            raise NotDer("trailing bytes after the outer element", end)
    except NotDer as exc:
        return str(exc)
    return None


#: SETs up to this size are remembered once checked: a 1M-entry list built from [defaults]
#: gives every entry the same subjectAttributes SET, which is then checked once, not a
#: million times (its DER is a property of its bytes alone). At most _SEEN_LIMIT are kept.
_SEEN_SIZE = 4096
_SEEN_LIMIT = 65536


def _walk(data: bytes, pos: int, end: int, depth: int, opaque=frozenset(), seen: set | None = None) -> int:
    """Check the one element at ``pos``; return where it ends."""
    if depth > MAX_DEPTH:
        raise NotDer(f"nesting deeper than {MAX_DEPTH}", pos)
    start = pos
    tag = data[pos] if pos < end else -1
    if tag < 0 or tag & 0x1F == 0x1F:
        tag, number, pos = _tag(data, pos, end)
    else:  # the common case inline: one tag byte (this loop sees every TLV of the file)
        number = tag & 0x1F
        pos += 1
    first = data[pos] if pos < end else -1
    if 0 <= first < 0x80:
        length, pos = first, pos + 1
    else:
        length, pos = _length(data, pos, end)
    content_end = pos + length
    if content_end > end:
        raise NotDer("length runs past its container", start)
    if start in opaque:
        return content_end
    if tag & 0x20:
        universal = tag & 0xC0 == 0
        if universal and number not in _CONSTRUCTED_UNIVERSAL:
            raise NotDer(f"constructed encoding of universal type {number} (DER requires primitive)", start)
        previous = None
        is_set = universal and number == 17
        key = None
        if is_set and seen is not None and content_end - start <= _SEEN_SIZE:
            key = (depth, data[start:content_end])  # the depth too: the limit depends on where it stands
            if key in seen:
                return content_end
        if not is_set and content_end - pos >= _FOLD_BYTES and _alike(data, pos, content_end, depth, opaque, seen):
            return content_end
        while pos < content_end:
            child_end = _walk(data, pos, content_end, depth + 1, opaque, seen)
            if is_set:
                child = data[pos:child_end]
                if previous is not None and previous > child:
                    raise NotDer("SET elements not in DER (ascending) order", start)
                previous = child
            pos = child_end
        if key is not None and len(seen) < _SEEN_LIMIT:
            seen.add(key)
    elif tag & 0xC0 == 0 and number in _CHECKED:
        _primitive(number, data[pos:content_end], start)
    return content_end


_CHECKED = {1, 2, 3, 5, 10, 23, 24}

#: A SEQUENCE this long is first tried as a run of alike children (see _alike): a CTL's
#: entries from [defaults] differ only in their identifiers' bytes.
_FOLD_BYTES = 1 << 16
_FOLD_MIN_CHILDREN = 64


def _alike(data: bytes, pos: int, end: int, depth: int, opaque, seen) -> bool:
    """True when every child of the SEQUENCE content data[pos:end] is proved strict DER by
    checking the first one: all have its size, and byte for byte its bytes, except inside
    the content of primitives no rule looks at (an OCTET STRING's bytes, say) and that no
    SET orders. Each such child then takes exactly the first one's path through _walk —
    the same tags, lengths, checked values and SET orders — so it passes as the first
    does. Checked by strided slices in C, one per fixed byte, not by a Python step per
    child: 1M entries in a few tens of milliseconds. False (walk them one by one, which
    names the offending element) when they are not all alike.

    Still linear: the first child is sized from its header before it is walked, and only
    walked when at least _FOLD_MIN_CHILDREN of its size tile the content, so a failed try
    re-walks at most 1/64 of it, and tries nest only as deep as the sizes shrink 64-fold."""
    tag = data[pos]
    if tag & 0x1F == 0x1F or any(pos <= at < end for at in opaque):
        return False
    head, length = pos + 1, None
    try:
        length, head = _length(data, head, end)
    except NotDer:
        return False  # the walk names it
    size = head + length - pos
    if (end - pos) % size or (end - pos) // size < _FOLD_MIN_CHILDREN:
        return False
    first_end = _walk(data, pos, end, depth + 1, opaque, seen)  # raises what the first child breaks
    free = bytearray(size)  # 1 where a child's bytes may differ from the first child's
    for s, e in _free_spans(data, pos, first_end):
        free[s - pos:e - pos] = b"\x01" * (e - s)
    fixed = [k for k in range(size) if not free[k]]
    return columns_equal(data, pos, end, size, fixed)


def _free_spans(data: bytes, pos: int, end: int) -> list[tuple[int, int]]:
    """The content spans of the already-checked element at data[pos:end] that no DER rule
    reads: primitive contents other than those _primitive checks, outside any SET (a SET's
    order compares its elements' whole encodings)."""
    out = []
    stack = [(pos, end)]
    while stack:
        at, stop = stack.pop()
        while at < stop:
            tag = data[at]
            if tag & 0x1F == 0x1F:
                return []  # high tag numbers are rare here: keep every byte fixed
            first = data[at + 1]
            if first < 0x80:
                start, length = at + 2, first
            else:
                n = first & 0x7F
                start, length = at + 2 + n, int.from_bytes(data[at + 2:at + 2 + n], "big")
            content_end = start + length
            if tag & 0x20:
                if not (tag & 0xC0 == 0 and tag & 0x1F == 17):  # a SET's insides stay fixed
                    stack.append((start, content_end))
            elif not (tag & 0xC0 == 0 and tag & 0x1F in _CHECKED) and length:
                out.append((start, content_end))
            at = content_end
    return out


def _tag(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    if pos >= end:
        raise NotDer("truncated tag", pos)
    tag = data[pos]
    number = tag & 0x1F
    pos += 1
    if number == 0x1F:  # high tag number form: base-128, minimal, >= 31
        number = 0
        first = True
        while True:
            if pos >= end:
                raise NotDer("truncated tag", pos)
            byte = data[pos]
            if first and byte == 0x80:
                raise NotDer("non-minimal tag number", pos)
            number = (number << 7) | (byte & 0x7F)
            pos += 1
            first = False
            if not byte & 0x80:
                break
            if number > 1 << 28:
                raise NotDer("tag number too large", pos)
        if number < 31:
            raise NotDer("high-tag-number form for a small tag", pos)
    return tag, number, pos


def _length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos >= end:
        raise NotDer("truncated length", pos)
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first == 0x80:
        raise NotDer("indefinite length", pos)
    n = first & 0x7F
    if n > 4 or pos + 1 + n > end:
        raise NotDer("length field too long", pos)
    body = data[pos + 1:pos + 1 + n]
    value = int.from_bytes(body, "big")
    if body[0] == 0 or value < 0x80:
        raise NotDer("non-minimal length", pos)
    return value, pos + 1 + n


def _primitive(number: int, value: bytes, at: int) -> None:
    if number == 1 and (len(value) != 1 or value[0] not in (0x00, 0xFF)):
        raise NotDer("BOOLEAN not encoded as 00 or FF", at)
    if number in (2, 10):  # INTEGER, ENUMERATED
        if not value:
            raise NotDer("empty INTEGER", at)
        if len(value) > 1 and ((value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80)):
            raise NotDer("non-minimal INTEGER", at)
    elif number == 5 and value:
        raise NotDer("NULL with content", at)
    elif number == 3:
        if not value or value[0] > 7 or (len(value) == 1 and value[0]):
            raise NotDer("BIT STRING with a bad unused-bits count", at)
        if value[0] and value[-1] & ((1 << value[0]) - 1):
            raise NotDer("BIT STRING padding bits not zero", at)
    elif number == 23 and not _UTC.match(value):
        raise NotDer("UTCTime not in DER form YYMMDDHHMMSSZ", at)
    elif number == 24 and not _GENERALIZED.match(value):
        raise NotDer("GeneralizedTime not in DER form", at)
