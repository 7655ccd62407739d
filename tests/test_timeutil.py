"""ASN.1 times read back as written, leap days included."""

from datetime import datetime, timezone

from ctlbuild.timeutil import asn1_time, parse_asn1_time


def test_a_leap_day_reads_back_in_both_time_forms():
    for when in (datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc), datetime(2052, 2, 29, tzinfo=timezone.utc)):
        der = asn1_time(when)
        assert parse_asn1_time(der[0], der[2:]) == when


def test_asn1_times_are_read_as_strptime_read_them():
    """parse_asn1_time reads the digits itself (no _strptime at start-up): the same datetimes
    and the same refusals as strptime with %Y%m%d%H%M%S."""
    from datetime import datetime as dt
    from datetime import timezone as tz

    import pytest

    from ctlbuild.timeutil import parse_asn1_time

    for text in ("240229120000Z", "000101000000Z", "491231235959Z", "500101000000Z", "991231235959Z"):
        year = int(text[:2]) + (1900 if int(text[:2]) >= 50 else 2000)
        want = dt.strptime(f"{year}{text[2:12]}", "%Y%m%d%H%M%S").replace(tzinfo=tz.utc)
        assert parse_asn1_time(0x17, text.encode()) == want
    assert parse_asn1_time(0x18, b"20991231235959.25Z") == dt(2099, 12, 31, 23, 59, 59, 250000, tzinfo=tz.utc)
    for bad in ("230229120000Z", "241301000000Z", "240132000000Z", "240101240000Z", "240101006000Z",
                "240101000060Z", "2401010000 0Z", "24010100000aZ", "24010100000\u0661Z"):
        with pytest.raises(ValueError):
            parse_asn1_time(0x17, bad.encode())
