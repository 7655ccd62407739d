"""Checking a list's values: one-line mistakes that name the file, line, table and key, and
the conversions from TOML values to model values (dates, EKUs, policies, names).

>>> from ctlbuild.lists.validators import Checker, to_datetime
>>> to_datetime("2011-08-29").isoformat()
'2011-08-29T00:00:00+00:00'
>>> Checker("demo.toml", 'kind = 3\\n').choice({"kind": 3}, "kind", ("trusted", "disallowed"))
Traceback (most recent call last):
ctlbuild.errors.ListError: demo.toml:1: kind: must be one of trusted, disallowed, not 3

Every reader of a list (``header``, ``entries``) checks through one ``Checker``; its
``fail`` looks the line up in the text only then (``locator.Locator``).
"""

from __future__ import annotations

import base64
import difflib
from datetime import date, datetime, time, timezone
from pathlib import Path

from ..ctl import attributes
from ..errors import ListError
from ..oids import eku_oid, is_oid
from ..timeutil import Filetime
from .locator import Locator


class Checker:
    """The list being read (its path and text) and the checks that fail with its locations."""

    def __init__(self, path, text: str):
        self.path = Path(path)
        self.where = Locator(text)

    def fail(self, message, table=None, key=None, index=0, entry=None):
        line = self.where.key_line(table, key, index) if key else self.where.table_line(table, index)
        if table == "entry" and entry is None:
            entry = f"#{index + 1}"
        label = f"{table}.{key}" if table and key and table != "entry" else key
        raise ListError(message, path=self.path, line=line, key=label, entry=entry)

    def check_keys(self, table: dict, allowed: set, name: str | None, index: int = 0):
        unknown = set(table) - allowed
        if unknown:
            key = sorted(unknown)[0]
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(f"unknown key{hint}", name, key, index)

    def string(self, t, key, table=None, index=0, default=None):
        value = t.get(key, default)
        if value is not None and not isinstance(value, str):
            self.fail(f"must be a string, not {type_name(value)}", table, key, index)
        return value

    def boolean(self, t, key, default, table=None):
        value = t.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"must be true or false, not {type_name(value)}", table, key)
        return value

    def integer(self, t, key, table=None):
        value = t[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail("must be a non-negative integer", table, key)
        return value

    def choice(self, t, key, choices, default=None):
        value = t.get(key, default)
        if value not in choices:
            self.fail(f"must be one of {', '.join(choices)}, not {value!r}", None, key)
        return value

    def string_list(self, t, key, table, index=0):
        value = t.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("must be a list of strings", table, key, index)
        return value

    def when(self, t, key, table=None, index=0) -> datetime:
        try:
            return to_datetime(t[key])
        except ValueError as exc:
            self.fail(str(exc), table, key, index)

    def table(self, t, name: str):
        if t is not None and not isinstance(t, dict):
            self.fail(f"must be a table ([{name}]), not {type_name(t)}", None, name)
        return t


# -- value conversions (shared by entries and [defaults]) ---------------------------------

def to_datetime(value) -> datetime:
    """TOML date/datetime or ISO string → aware UTC datetime; local times are refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()} has no time zone (add Z for UTC)")
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), timezone.utc)
    raise ValueError(f"must be a date or date-time, not {type_name(value)}")


class Conversions:
    """TOML values → entry attribute values, for one list: a 100k-entry list repeats a
    handful of dates and EKU lists, so each distinct one is converted once (and only
    so many are kept, so a list of all-different values costs a lookup each)."""

    LIMIT = 4096

    def __init__(self):
        self._filetimes: dict = {}
        self._oid_tuples: dict = {}

    def convert(self, key: str, value):
        """The model value of attribute ``key``; ValueError or TypeError say what is wrong."""
        if key in _FILETIME_KEYS:
            return self.filetime(value)
        if key in _OID_KEYS:
            return self.ekus(value)
        return _CONVERT[key](value)

    def filetime(self, value) -> Filetime:
        # "" keeps Microsoft's empty FILETIME ("no date"); anything else is a date.
        if value == "":
            return Filetime(None)
        if not isinstance(value, (str, date)):
            return Filetime.from_datetime(to_datetime(value))  # raises, naming the type
        found = self._filetimes.get(value)
        if found is None:
            when = to_datetime(value)
            if when.year < 1601:
                raise ValueError(f"{value} is before 1601, where FILETIME begins")
            found = Filetime.from_datetime(when)
            if len(self._filetimes) < self.LIMIT:
                self._filetimes[value] = found
        return found

    def ekus(self, value) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValueError("must be a list of EKU names or OIDs")
        key = tuple(value)
        found = self._oid_tuples.get(key)
        if found is None:
            found = tuple(eku_oid(v) if isinstance(v, str) else _bad(v) for v in value)
            if len(self._oid_tuples) < self.LIMIT:
                self._oid_tuples[key] = found
        return found


def _policies(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and is_oid(v) for v in value):
        raise ValueError("must be a list of policy OIDs")
    return tuple(value)


def _bad(value):
    raise ValueError(f"{value!r} is not an EKU name or OID")


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type_name(value)}")
    return value


def _updates(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings (e.g. [\"KB2607712\"])")
    return tuple(value)


def _raw_attributes(value) -> tuple[tuple[str, bytes], ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of {oid = \"…\", value_base64 = \"…\"} tables")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"oid", "value_base64"} or not is_oid(str(item.get("oid"))):
            raise ValueError("each raw attribute needs oid and value_base64")
        try:
            out.append((item["oid"], base64.b64decode(item.get("value_base64", ""), validate=True)))
        except ValueError:
            raise ValueError(f"value_base64 of {item['oid']} is not base64") from None
    return tuple(out)


def translations(value, fields=frozenset({"friendly_name", "issuer", "note"})) -> tuple[tuple[str, str, str], ...]:
    """{ "zh-CN" = { friendly_name = "…", issuer = "…" } } → (language, field, text) triples."""
    if not isinstance(value, dict):
        raise ValueError('must be a table of languages, e.g. { "zh-CN" = { friendly_name = "…" } }')
    out = []
    for lang, texts in value.items():
        if not isinstance(texts, dict):
            raise ValueError(f"{lang}: must be a table of {', '.join(sorted(fields))}")
        for name, text in texts.items():
            if name not in fields:
                raise ValueError(f"{lang}.{name}: not translatable (only {', '.join(sorted(fields))})")
            out.append((lang, name, _text(text)))
    return tuple(out)


#: The list keys of the attribute table's entry fields, by how their values are written:
#: dates, OID lists (EKU names allowed), policy OIDs, text. Hashes are given as hex
#: among an entry's sources (entries.SOURCE_KEYS), not as attributes.
_FILETIME_KEYS = frozenset(p.field for p in attributes.ENTRY_ATTRIBUTES if p.codec is attributes.FILETIME)
_OID_KEYS = frozenset(p.field for p in attributes.ENTRY_ATTRIBUTES if p.codec is attributes.OIDS)
_CONVERT = {
    **{p.field: _policies for p in attributes.ENTRY_ATTRIBUTES if p.codec is attributes.POLICIES},
    **{p.field: _text for p in attributes.ENTRY_ATTRIBUTES if p.codec is attributes.TEXT},
    # Display fields: never encoded into the CTL.
    "issuer": _text, "note": _text, "updates": _updates, "raw_attributes": _raw_attributes, "l10n": translations,
}
#: Every key an entry (or [defaults]) may give as an attribute.
ATTRIBUTE_KEYS = frozenset(_CONVERT) | _FILETIME_KEYS | _OID_KEYS


def type_name(value) -> str:
    """How a mistake names a TOML value's type."""
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def str_or_none(value):
    return None if value is None else str(value)

