"""show: --json of Microsoft's real CTLs agrees with an independent tool's TSV, entry by entry;
store properties in words."""

import csv
import json

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.reports.show import describe_property
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import fixture

RELEASES = ["authroot-2018-05-18", "authroot-2018-06-19"]


def tsv_rows(release):
    with open(fixture(f"{release}.tsv"), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def show_json(path, style="upper"):
    result = CliRunner().invoke(main, ["show", str(path), "--json", "--thumbprint-style", style])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("release", RELEASES)
def test_show_json_agrees_with_tsv(release):
    shown = show_json(fixture(f"{release}.stl"))
    ours = {e["sha1"]: e for e in shown["entries"]}
    rows = tsv_rows(release)
    assert len(rows) == len(ours) == shown["header"]["entry_count"]
    for row in rows:
        e = ours[row["SHA-1(Certificate)"]]
        name = row["Friendly Name"]
        assert e["sha256"] == row["SHA-256(Certificate)"], name
        assert e["subject_name_md5"] == row["MD5(Subject Name)"], name
        assert e["key_id"] == row["Key Identifier"], name
        assert e["friendly_name"] == name
        assert ", ".join(e["ev_policies"] or []) == row["EV Policy OID(s)"], name
        purposes = ", ".join(x["display"] or x["oid"] for x in e["ekus"] or [])
        assert purposes == row["Trust Purposes"], name


def test_show_text_reads_microsoft_files():
    for name in ["authroot-2018-06-19.stl", "disallowedcert-2012-05-30.stl"]:
        result = CliRunner().invoke(main, ["show", str(fixture(name))])
        assert result.exit_code == 0, result.output
        assert "Microsoft Certificate Trust List Publisher" in result.stdout
    assert "DisallowedCert_AutoUpdate_1" in result.stdout
    assert "disallowed_hash (1.3.6.1.4.1.311.10.11.15)" in result.stdout


def test_describe_property():
    assert describe_property(3, bytes(range(20)))["value"] == bytes(range(20)).hex()
    name = describe_property(11, "Zürich\0".encode("utf-16-le"))
    assert (name["name"], name["value"], name["decoded"]) == ("friendly_name", "Zürich", True)
    ekus = describe_property(9, bytes.fromhex("300a06082b06010505070301"))
    assert ekus["value"] == [{"oid": "1.3.6.1.5.5.7.3.1", "name": "server_auth"}]
    when = describe_property(104, (132_000_000_000_000_000).to_bytes(8, "little"))
    assert when["name"] == "disabled_since" and when["value"].startswith("20")
    assert describe_property(126, b"")["value"] == "no date"
    odd = describe_property(11, b"\x41")  # no NUL terminator: kept as hex
    assert (odd["decoded"], odd["value"]) == (False, "41")
    unknown = describe_property(4242, b"\xab")
    assert (unknown["name"], unknown["value"], unknown["decoded"]) == ("prop_4242", "ab", False)


def test_json_document_is_orjson_of_the_whole_in_batches():
    import orjson

    from ctlbuild.reports.show import JSON_BATCH, json_document
    head = {"file": "f.stl", "header": {"name": "ä", "usages": [{"oid": "1.2", "name": None}]}}
    for n in (0, 1, JSON_BATCH, JSON_BATCH + 1, 2 * JSON_BATCH + 7):
        entries = [{"identifier": f"{i:040x}", "ekus": [{"oid": "1.3"}], "note": "中"} for i in range(n)]
        got = b"".join(json_document(head, iter(entries)))
        assert got == orjson.dumps({**head, "entries": entries}, option=orjson.OPT_INDENT_2) + b"\n", n


def test_show_header_only_counts_the_entries(tmp_path, dev_keys):
    result = CliRunner().invoke(main, ["build", "examples/diginotar-kb2616676.toml", "--keys",
                                       str(dev_keys.root_cert.parent), "-o", str(tmp_path),
                                       "--signing-time", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    stl = str(tmp_path / "diginotar-kb2616676.stl")
    full = show_json(stl)
    head = CliRunner().invoke(main, ["show", stl, "--json", "--header-only"])
    assert head.exit_code == 0, head.output
    data = json.loads(head.stdout)
    assert "entries" not in data and data["header"] == full["header"]
    assert data["header"]["entry_count"] == len(full["entries"]) > 0
    text = CliRunner().invoke(main, ["show", stl, "--header-only"]).stdout
    assert f"Entries:           {len(full['entries'])}" in text and "Thumbprint" not in text
