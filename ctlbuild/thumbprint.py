"""Thumbprints as people write them, and as advisories print them.

>>> from ctlbuild.thumbprint import parse_hex, format_hex
>>> parse_hex("c0 60 ed 44", 4)
b'\\xc0`\\xedD'
>>> format_hex(bytes.fromhex("c060ed44"), "colon")
'C0:60:ED:44'
>>> parse_hex("\u200ec0 60 ed 44", 4).hex()     # as copied from Windows' certificate dialog
'c060ed44'
"""

from __future__ import annotations

STYLES = ("spaced", "upper", "colon", "lower")

#: Separators people type, and the invisible marks Windows' certificate dialog puts into a
#: thumbprint copied from it (U+200E LEFT-TO-RIGHT MARK, and its kin).
_SEPARATORS = str.maketrans("", "", " :\t-\u200e\u200f\u202a\u202c\ufeff")
#: What a hash of each size usually is, for a hint when one is pasted where another belongs.
_SIZES = {16: "an MD5 (disallowed_hash)", 20: "a SHA-1 (sha1)", 32: "a SHA-256 (sha256)"}


def parse_hex(text: str, size: int | None = None, what: str = "thumbprint") -> bytes:
    """Spaced pairs, colons or plain hex, any case. ValueError names what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a string of hex digits")
    compact = text.translate(_SEPARATORS)
    bad = next((c for c in compact if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise ValueError(f"{what} {text!r} is not hexadecimal ({bad!r} is not a hex digit)")
    if len(compact) % 2:
        raise ValueError(f"{what} {text!r} has {len(compact)} hex digits: one is missing or extra")
    raw = bytes.fromhex(compact)
    if size is not None and len(raw) != size:
        hint = f"; {len(raw)} bytes is {_SIZES[len(raw)]}" if len(raw) in _SIZES and len(raw) != size else ""
        raise ValueError(f"{what} {text!r} has {len(raw)} bytes, expected {size}{hint}")
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
