"""Thumbprints as people write them, and as advisories print them.

>>> from ctlbuild.thumbprint import parse_hex, format_hex
>>> parse_hex("c0 60 ed 44", 4)
b'\\xc0`\\xedD'
>>> format_hex(bytes.fromhex("c060ed44"), "colon")
'C0:60:ED:44'
"""

from __future__ import annotations

STYLES = ("spaced", "upper", "colon", "lower")

_SEPARATORS = str.maketrans("", "", " :\t-")


def parse_hex(text: str, size: int | None = None, what: str = "thumbprint") -> bytes:
    """Spaced pairs, colons or plain hex, any case. ValueError names what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a string of hex digits")
    compact = text.translate(_SEPARATORS)
    try:
        raw = bytes.fromhex(compact)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not hexadecimal") from None
    if size is not None and len(raw) != size:
        raise ValueError(f"{what} {text!r} has {len(raw)} bytes, expected {size}")
    return raw


def format_hex(raw: bytes, style: str = "spaced") -> str:
    """spaced: 'c0 60 ed 44 …' (the advisory's style); upper: 'C060ED44…'; colon: 'C0:60:…'."""
    if style == "spaced":
        return raw.hex(" ")
    if style == "upper":
        return raw.hex().upper()
    if style == "colon":
        return raw.hex(":").upper()
    if style == "lower":
        return raw.hex()
    raise ValueError(f"unknown thumbprint style {style!r} (one of {', '.join(STYLES)})")
