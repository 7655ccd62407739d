"""Timelines across releases agree with ``diff`` of each consecutive pair."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ctlbuild.errors import UsageError
from ctlbuild.history.releases import order_releases, read_releases, release_from_source
from ctlbuild.history.timeline import build_history
from ctlbuild.lists.sources import Source
from ctlbuild.model import Entry, TrustList
from ctlbuild.reports.diff import diff_files
from ctlbuild.reports.historyview import history_data, render_history
from tests.fixtures_ms import fixture
from tests.history.conftest import run

DAY = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _history(paths):
    return build_history(order_releases(read_releases(paths)))


def test_releases_given_in_any_order_are_put_in_order_and_a_duplicate_is_reported(three_releases):
    ordered = order_releases(read_releases(three_releases + [fixture("authrootstl-2018-06-19.cab")]))
    names = [r.name for r in ordered.releases]
    assert names == ["authroot-2018-05-18.stl", "authroot-2018-06-19.stl", "authroot.stl"]
    [problem] = ordered.problems
    assert problem.kind == "duplicate"
    assert {problem.release.name, problem.other.name} == {"authrootstl-2018-06-19.cab", "authroot-2018-06-19.stl"}


def test_every_root_that_changed_agrees_with_diff_of_each_pair(three_releases):
    h = _history(three_releases)
    assert len(h.releases) == 3
    for index in (1, 2):
        d = diff_files(h.releases[index - 1].source.path, h.releases[index].source.path)
        events = {ident: [e for e in t.events if e.release == index] for ident, t in h.roots.items()}
        happened = {ident: evs[0] for ident, evs in events.items() if evs}
        assert {i for i, e in happened.items() if e.kind in ("added", "returned")} == {e.identifier for e in d.added}
        assert {i for i, e in happened.items() if e.kind == "removed"} == {e.identifier for e in d.removed}
        changed = {c.new.identifier: c.changes for c in d.changed}
        assert {i: e.changes for i, e in happened.items() if e.kind == "changed"} == changed
        assert h.summaries[index].entry_count == d.new_count
    assert len(h.roots) > 555  # every root ever listed, including the 23 dropped since 2018


def test_a_timeline_has_first_seen_changes_removal_and_last_seen(three_releases):
    h = _history(three_releases)
    dropped = [t for t in h.roots.values() if not t.present]
    assert dropped and all(t.events[-1].kind == "removed" and t.last_seen == t.events[-1].release - 1
                           for t in dropped)
    # The root added in June 2018 is first seen then.
    added_june = diff_files(fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")).added
    [root] = added_june
    assert h.roots[root.identifier].first_seen == 1
    # A root still listed and unchanged throughout is not eventful.
    quiet = [t for t in h.roots.values() if not t.eventful]
    assert quiet and all(t.first_seen == 0 and t.present and len(t.events) == 1 for t in quiet)


def test_text_markdown_html_and_json_say_the_same_history(three_releases):
    h = _history(three_releases)
    text = render_history(h, "text")
    assert "Releases" in text and "first seen" in text and "removed from the list" in text
    assert "NotBefore date set: 2026-09-15" in text
    zh = render_history(h, "text", lang="zh-CN")
    assert "首次出现" in zh
    md = render_history(h, "md")
    assert md.startswith("# History of authroot: 3 releases")
    html = render_history(h, "html", lang="zh-CN")
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    data = json.loads(json.dumps(history_data(h)))
    assert [r["index"] for r in data["releases"]] == [0, 1, 2]
    assert data["root_count"] == len(data["roots"]) == len(h.roots)


def _release(name, day, sequence, entries=(Entry(identifier=bytes(20)),)):
    tl = TrustList(name=name, kind="trusted", this_update=day, sequence=sequence, entries=entries)
    return release_from_source(Source(Path(f"{name}.toml"), "list", tl))


def test_a_sequence_going_backwards_and_a_reused_sequence_are_reported():
    a = _release("a", DAY, 10)
    b = _release("b", DAY.replace(month=2), 5)  # later, lower sequence number
    c = _release("c", DAY.replace(month=3), 5, (Entry(identifier=b"\x01" * 20),))  # same number, other content
    ordered = order_releases([c, a, b])
    assert [r.name for r in ordered.releases] == ["a.toml", "b.toml", "c.toml"]
    assert [(p.kind, p.release.name, p.other.name) for p in ordered.problems] == [
        ("backwards", "b.toml", "a.toml"), ("same_sequence", "c.toml", "b.toml")]


def test_a_root_that_comes_back_says_what_differs_from_when_it_was_last_seen():
    root = Entry(identifier=b"\x02" * 20, friendly_name="Old name")
    a = _release("a", DAY, 1, (root, Entry(identifier=bytes(20))))
    b = _release("b", DAY.replace(month=2), 2, (Entry(identifier=bytes(20)),))
    c = _release("c", DAY.replace(month=3), 3, (replace(root, friendly_name="New name"), Entry(identifier=bytes(20))))
    h = build_history(order_releases([a, b, c]))
    events = h.roots[root.identifier].events
    assert [e.kind for e in events] == ["added", "removed", "returned"]
    assert [(x.attribute, x.old, x.new) for x in events[-1].changes] == [("friendly_name", "Old name", "New name")]
    assert h.roots[root.identifier].present and h.roots[root.identifier].last_seen == 2


def test_releases_of_two_different_lists_are_refused():
    trusted = _release("a", DAY, 1)
    tl = TrustList(name="d", kind="disallowed", this_update=DAY, entries=(Entry(identifier=bytes(20)),))
    disallowed = release_from_source(Source(Path("d.toml"), "list", tl))
    with pytest.raises(UsageError, match="another list"):
        build_history(order_releases([trusted, disallowed]))


def test_cli_history_formats_root_filter_and_errors(three_releases, tmp_path):
    result = run("history", *three_releases)
    assert result.exit_code == 0 and "Roots that changed" in result.output
    sha1 = "b1 72 b1 a5 6d 95 f9 1f e5 02 87 e1 4d 37 ea 6a 44 63 76 8a"  # dropped after June 2018
    result = run("history", *three_releases, "--root", sha1.replace(" ", ":"), "--format", "json")
    data = json.loads(result.output)
    assert [r["sha1"] for r in data["roots"]] == [sha1]
    assert [e["kind"] for e in data["roots"][0]["events"]] == ["added", "removed"]
    out = tmp_path / "h.html"
    assert run("history", *three_releases, "--format", "html", "-o", out).exit_code == 0
    assert "<table class=\"timeline\">" in out.read_text(encoding="utf-8")
    missing = run("history", *three_releases, "--root", "00" * 20)
    assert missing.exit_code == 2 and "no release lists this root" in missing.output
    assert run("history").exit_code == 2
    (tmp_path / "empty").mkdir()
    empty = run("history", tmp_path / "empty")
    assert empty.exit_code == 2 and "folder holds no releases" in empty.output


def test_json_outputs_follow_their_schemas(three_releases):
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    from ctlbuild.reports.diffview import SCHEMA_PATH as DIFF_SCHEMA

    folder = DIFF_SCHEMA.parent
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.schema.json")}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    at = "2026-11-01"
    outputs = {
        "history.schema.json": run("history", *three_releases, "--format", "json").output,
        "trust.schema.json": run("trust", "2e03931cd19c3ff5985fb87aadc153eb5dbdf1e3",
                                 *[x for p in three_releases for x in ("--in", p)], "--at", at, "--json").output,
        "status.schema.json": run("status", *three_releases, "--previous", three_releases[1], "--at", at,
                                  "--format", "json").output,
    }
    for name, text in outputs.items():
        jsonschema.Draft202012Validator.check_schema(schemas[name])
        jsonschema.Draft202012Validator(schemas[name], registry=registry).validate(json.loads(text))
