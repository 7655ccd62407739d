"""Where things are in a list's text: the TOML parse, and line numbers for mistakes.

>>> from ctlbuild.lists.locator import Locator, parse_toml
>>> text = 'name = "demo"\\n[[entry]]\\nsha1 = "00"\\n'
>>> parse_toml(text, "demo.toml")["name"], Locator(text).key_line("entry", "sha1")
('demo', 3)

The values come from rtoml (about 6x faster than tomllib on 100k-entry files); the
text is looked at again only when a mistake is reported, to name its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ListError


def parse_toml(text: str, path: Path) -> dict:
    try:
        import rtoml
        return rtoml.loads(text)
    except ImportError:  # pragma: no cover - rtoml is a dependency; tomllib is the fallback
        pass
    except Exception:
        pass  # re-read with tomllib below for its "(at line N, column M)" message
    import tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
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
