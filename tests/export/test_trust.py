"""Microsoft's trust rules, one entry and one purpose at a time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ctlbuild.export.trust import (
    BLOCKLISTED,
    DISABLED,
    DISALLOWED_EKU,
    NOT_BEFORE,
    NOT_IN_EKUS,
    TRUSTED,
    purpose_trust,
)
from ctlbuild.model import Entry
from ctlbuild.oids import EKU
from ctlbuild.timeutil import Filetime

SERVER, CLIENT, ANY = EKU["server_auth"], EKU["client_auth"], EKU["any"]
AT = datetime(2024, 1, 1, tzinfo=timezone.utc)


def day(text: str) -> Filetime:
    return Filetime.from_datetime(datetime.fromisoformat(text).replace(tzinfo=timezone.utc))


def trust(purpose=SERVER, kind="trusted", **attrs):
    return purpose_trust(Entry(bytes(20), **attrs), kind, purpose, AT)


@pytest.mark.parametrize("ekus, status", [
    (None, TRUSTED),            # no EKU property: every purpose (Microsoft's own roots)
    ((SERVER,), TRUSTED),
    ((CLIENT,), NOT_IN_EKUS),
    ((), NOT_IN_EKUS),          # present but empty: no purpose
    ((ANY,), TRUSTED),
])
def test_ekus(ekus, status):
    assert trust(ekus=ekus).status == status


def test_disabled_since_disables_the_whole_root_from_its_date():
    assert trust(disabled_since=day("2023-06-01")).status == DISABLED
    assert trust(disabled_since=day("2023-06-01")).date.year == 2023
    later = trust(disabled_since=day("2025-06-01"))
    assert later.status == TRUSTED and later.disabled_from.year == 2025


def test_an_empty_date_is_read_as_since_forever():
    assert trust(disabled_since=Filetime(None)) == trust(disabled_since=Filetime(None))
    assert trust(disabled_since=Filetime(None)).status == DISABLED
    assert trust(not_before=Filetime(None)).status == DISABLED


def test_disallowed_ekus_disable_only_those_purposes():
    attrs = dict(ekus=(SERVER, CLIENT), disallowed_ekus=(SERVER,), disabled_since=day("2023-06-01"))
    assert trust(SERVER, **attrs).status == DISALLOWED_EKU
    assert trust(CLIENT, **attrs).status == TRUSTED
    assert trust(SERVER, ekus=(SERVER,), disallowed_ekus=(SERVER,)).status == DISALLOWED_EKU  # no date: always


def test_not_before_applies_to_its_ekus_only():
    attrs = dict(not_before=day("2023-06-01"), not_before_ekus=(SERVER,))
    server = trust(SERVER, **attrs)
    assert server.status == NOT_BEFORE and server.trusted and server.not_before.year == 2023
    assert trust(CLIENT, **attrs).status == TRUSTED
    assert trust(CLIENT, not_before=day("2023-06-01")).status == NOT_BEFORE  # no 127: every purpose


def test_a_future_not_before_is_trusted_now_but_carried():
    t = trust(not_before=day("2030-01-01"))
    assert t.status == TRUSTED and t.not_before.year == 2030 and t.not_before_pending


def test_a_disallowed_list_blocklists_everything():
    assert trust(kind="disallowed").status == BLOCKLISTED
    assert not trust(kind="disallowed").trusted
