"""ASN.1 times read back as written, leap days included."""

from datetime import datetime, timezone

from ctlbuild.timeutil import asn1_time, parse_asn1_time


def test_a_leap_day_reads_back_in_both_time_forms():
    for when in (datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc), datetime(2052, 2, 29, tzinfo=timezone.utc)):
        der = asn1_time(when)
        assert parse_asn1_time(der[0], der[2:]) == when
