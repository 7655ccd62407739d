"""Windows FILETIME and ASN.1 time choices, without reading the clock.

>>> from datetime import datetime, timezone
>>> from ctlbuild.timeutil import Filetime
>>> Filetime.from_datetime(datetime(2011, 8, 29, tzinfo=timezone.utc)).ticks
129590496000000000
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

EPOCH_1601 = datetime(1601, 1, 1, tzinfo=timezone.utc)
TICKS_PER_SECOND = 10_000_000
_MAX_TICKS = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - EPOCH_1601) // timedelta(microseconds=1) * 10


def to_ticks(when: datetime) -> int:
    delta = when.astimezone(timezone.utc) - EPOCH_1601
    return (delta.days * 86400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def from_ticks(ticks: int) -> datetime:
    return EPOCH_1601 + timedelta(microseconds=ticks // 10)


@dataclass(frozen=True, slots=True)
class Filetime:
    """A FILETIME attribute value; ``ticks`` None is the empty value Microsoft uses for "no date"."""

    ticks: int | None

    @classmethod
    def from_datetime(cls, when: datetime) -> "Filetime":
        return cls(to_ticks(when))

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Filetime":
        if raw == b"":
            return cls(None)
        if len(raw) != 8:
            raise ValueError(f"FILETIME must be 8 bytes or empty, not {len(raw)}")
        return cls(int.from_bytes(raw, "little"))

    def to_bytes(self) -> bytes:
        return b"" if self.ticks is None else self.ticks.to_bytes(8, "little")

    @property
    def datetime(self) -> datetime | None:
        """None when empty; OverflowError past the year 9999 (see ``representable``)."""
        return None if self.ticks is None else from_ticks(self.ticks)

    @property
    def representable(self) -> bool:
        """Whether a datetime can hold it (any u64 can arrive in a hostile file)."""
        return self.ticks is None or self.ticks < _MAX_TICKS

    def iso(self) -> str:
        """ISO 8601 (a date alone at midnight, as Microsoft's values all are); '' when empty;
        the raw tick count for a value past the year 9999."""
        if not self.representable:
            return f"FILETIME {self.ticks:#x} (beyond the year 9999)"
        when = self.datetime
        if when is None:
            return ""
        if when.hour == when.minute == when.second == when.microsecond == 0:
            return when.date().isoformat()
        return iso(when)


def iso(when: datetime) -> str:
    text = when.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def asn1_time(when: datetime) -> bytes:
    """ChoiceOfTime: UTCTime for 1950 ≤ year < 2050, else GeneralizedTime, to the second."""
    when = when.astimezone(timezone.utc)
    if 1950 <= when.year < 2050:
        return b"\x17\x0d" + when.strftime("%y%m%d%H%M%SZ").encode()
    return b"\x18\x0f" + f"{when.year:04d}".encode() + when.strftime("%m%d%H%M%SZ").encode()


def parse_asn1_time(tag: int, content: bytes) -> datetime:
    text = content.decode("ascii")
    if tag == 0x17:
        if len(text) != 13 or not text.endswith("Z"):
            raise ValueError(f"UTCTime {text!r} is not DER (YYMMDDHHMMSSZ)")
        year = int(text[:2])
        year += 1900 if year >= 50 else 2000
        rest = text[2:]
    elif tag == 0x18:
        if not text.endswith("Z") or len(text) < 15:
            raise ValueError(f"GeneralizedTime {text!r} is not DER")
        year, rest = int(text[:4]), text[4:]
    else:
        raise ValueError(f"tag 0x{tag:02x} is not a time")
    # Read by hand, not by strptime (whose first call imports and compiles _strptime: a few
    # ms of every start-up); datetime() still refuses a 13th month or a 30 February.
    digits = rest[:10]
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"time {text!r} is not digits YYMMDDHHMMSS")
    frac = rest[10:-1]
    micro = int((frac[1:] + "000000")[:6]) if frac.startswith(".") else 0
    return datetime(year, int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:8]),
                    int(digits[8:10]), micro, tzinfo=timezone.utc)


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '2w' → timedelta (validity durations in list files)."""
    units = {"d": 86400, "h": 3600, "w": 7 * 86400}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"duration {text!r} is not like '90d', '12h' or '2w'")
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])
