"""Text for a terminal: every name a file supplies is shown, never obeyed.

>>> from ctlbuild.reports.terminal import printable
>>> printable("Evil CA\\n... VERIFIED\\x1b[8m")
'Evil CA\\\\x0a... VERIFIED\\\\x1b[8m'

The one escaping rule for whatever ctlbuild prints from a file (show, diff, verify, the
CLI's error lines): a hostile CTL's names must not forge lines of output or hide others.
"""

from __future__ import annotations

# C0, DEL and C1 (0x9B is a one-byte CSI to some terminals), and the Unicode line separators
# and bidi overrides that reorder or break what a terminal shows.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), *range(0x7F, 0xA0)]} | {
    c: f"\\u{c:04x}" for c in [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def printable(text: str) -> str:
    """Control characters escaped: a name in a hostile CTL must not forge lines of output."""
    return text.translate(_CONTROL)


def plural(n: int, one: str, many: str | None = None) -> str:
    """ "1 entry", "2 entries": a count with its noun, for every English line we print."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
