"""Where things are in a list's text: the TOML parse, and line numbers for mistakes.

>>> from ctlbuild.lists.locator import Locator, parse_toml
>>> text = 'name = "demo"\\n[[entry]]\\nsha1 = "00"\\n'
>>> parse_toml(text, "demo.toml")["name"], Locator(text).key_line("entry", "sha1")
('demo', 3)

The values come from rtoml (about 6x faster than tomllib on 100k-entry files, linear, and
bounded in nesting); the text is looked at again only when a mistake is reported, to name
its line.
"""

from __future__ import annotations

import re

from ..errors import ListError

_RTOML_WHERE = re.compile(r"\s*at line (\d+) column \d+\s*$")


def parse_toml(text: str, path) -> dict:
    """rtoml's reading, its own error located by line. rtoml is linear and bounds
    nesting; the standard library's tomllib is neither on hostile input (quadratic on
    dotted keys, recursion on nested arrays), so it is not asked for a second opinion."""
    import rtoml
    try:
        return rtoml.loads(text)
    except Exception as exc:  # rtoml raises TomlParsingError (a ValueError), a few others
        message = " ".join(str(exc).split())[:300] or type(exc).__name__
    match = _RTOML_WHERE.search(message)
    line = int(match.group(1)) if match else None
    message = _RTOML_WHERE.sub("", message)
    raise ListError(f"TOML syntax: {message}", path=path, line=line) from None



class Locator:
    """Line numbers for keys and [[entry]] tables, looked up only when reporting a mistake."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")

    def __init__(self, text: str):
        self._text = text
        self._lines = None
        self._headers = None

    @property
    def lines(self) -> list[str]:
        # Split only when a mistake is reported: a valid 100k-entry list never needs it.
        if self._lines is None:
            self._lines = self._text.splitlines()
        return self._lines

    def headers(self):
        if self._headers is None:
            self._headers = [(i + 1, m.group(1), line.lstrip().startswith("[["))
                             for i, line in enumerate(self.lines) if (m := self._HEADER.match(line))]
        return self._headers

    def table_line(self, table: str | None, index: int = 0) -> int | None:
        if table is None:
            return 1
        found = [ln for ln, name, _arr in self.headers() if name == table]
        return found[index] if index < len(found) else None

    def key_line(self, table: str | None, key: str, index: int = 0) -> int | None:
        start = self.table_line(table, index) if table else 0
        if start is None:
            return None
        following = [ln for ln, *_ in self.headers() if ln > (start or 0)]
        end = following[0] if following else len(self.lines) + 1
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start or 1, end):
            if pattern.match(self.lines[n - 1]):
                return n
        return start if table else None
