"""``ctlbuild export`` in-process: the report, the refusals, and what each format writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.model import Entry, TrustList
from tests.conftest import NOW, SIGNING_TIME
from tests.export.pki import make_root, scenario, write_list
from tests.peers import DIGINOTAR, require_fixtures
from tests.schemas import validate as check_schema

SCHEMA = Path("ctlbuild/reports/schemas/export-report.schema.json")
AT = "2024-06-01T00:00:00Z"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def ok(*args, env=None):
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result


def validate(data: dict) -> None:
    check_schema(data, SCHEMA)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return scenario(tmp_path_factory.mktemp("pki"))


def test_the_report_has_a_line_for_every_entry_and_follows_its_schema(pki, tmp_path):
    report = tmp_path / "report.json"
    ok("export", pki.list_path, "--to", "pem", "-o", tmp_path / "b.pem", "--at", AT, "--report", report)
    data = json.loads(report.read_text())
    validate(data)
    by_label = {e["label"]: e for e in data["entries"]}
    assert len(data["entries"]) == data["totals"]["entries"] == 7
    assert by_label["Disabled Root"]["action"] == "omit" and "disabled since 2020-01-01" in by_label[
        "Disabled Root"]["reason"]
    assert by_label["Client Only Root"]["cause"] == "not_in_ekus"
    nb = by_label["NotBefore Root"]
    assert nb["action"] == "omit"
    assert (nb["outcomes"][0]["aspect"], nb["outcomes"][0]["outcome"]) == ("not_before", "dropped")
    future = by_label["Future Disabled Root"]
    assert future["action"] == "anchor"
    assert any(o["aspect"] == "disabled_date" and o["outcome"] == "approximated" for o in future["outcomes"])
    good = by_label["Good Root"]
    assert any(o["aspect"] == "eku_restriction" and o["outcome"] == "approximated" for o in good["outcomes"])
    assert data["totals"]["omitted_by_cause"] == {"disabled": 1, "disallowed_eku": 1, "not_before": 1,
                                                  "not_in_ekus": 1}


def test_the_summary_on_stderr_counts_what_was_lost(pki, tmp_path):
    result = ok("export", pki.list_path, "--to", "pem", "-o", tmp_path / "b.pem", "--at", AT)
    assert "exported 3 of 7 entries" in result.output
    assert "left out: 1 disabled, 1 disallowed eku, 1 not before, 1 not in ekus" in result.output
    assert "approximated: eku restriction" in result.output


def test_p11kit_keeps_what_a_bundle_loses(pki, tmp_path):
    report = tmp_path / "report.json"
    ok("export", pki.list_path, "--to", "p11-kit", "-o", tmp_path / "x.p11-kit", "--at", AT, "--report", report)
    data = json.loads(report.read_text())
    validate(data)
    nb = next(e for e in data["entries"] if e["label"] == "NotBefore Root")
    assert nb["action"] == "anchor"
    assert nb["outcomes"][0] == {"aspect": "not_before", "outcome": "kept",
                                 "detail": "server_auth: distrust-after 2020-06-01"}
    assert data["totals"]["aspects"]["eku_restriction"] == {"kept": 3, "dropped": 0, "approximated": 0}


def test_the_pem_bundle_names_each_certificate_and_is_deterministic(pki, tmp_path):
    a, b = tmp_path / "a.pem", tmp_path / "b.pem"
    ok("export", pki.list_path, "--to", "pem", "-o", a, "--at", AT)
    ok("export", pki.list_path, "--to", "pem", "-o", b, "--at", AT)
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    good = pki.roots["Good Root"].path.read_bytes()
    from ctlbuild.formats.certificates import load_certificates
    sha256 = hashlib.sha256(load_certificates(good)[0]).hexdigest()
    assert "# Good Root\n# SHA-1:   " in text and f"# SHA-256: {sha256}" in text
    assert "# Trusted by the CTL for: server_auth" in text
    assert "# Disabled Root\n" not in text


def test_json_keeps_every_entry_and_its_trust(pki, tmp_path):
    out = tmp_path / "x.json"
    ok("export", pki.list_path, "--to", "json", "-o", out, "--at", AT, "--purpose", "server_auth",
       "--purpose", "client_auth")
    doc = json.loads(out.read_text())
    assert doc["format"] == "ctlbuild-export" and len(doc["entries"]) == 7
    nb = next(e for e in doc["entries"] if e["label"] == "NotBefore Root")
    assert nb["not_before"] == "2020-06-01" and nb["trust"]["server_auth"]["status"] == "not_before"
    client = next(e for e in doc["entries"] if e["label"] == "Client Only Root")
    assert client["trust"]["server_auth"]["trusted"] is False and client["trust"]["client_auth"]["trusted"]
    disabled = next(e for e in doc["entries"] if e["label"] == "Disabled Root")
    assert disabled["action"] == "record" and disabled["certificate"]


def test_a_ctl_only_entry_is_accounted_for(tmp_path):
    root = make_root(tmp_path, "Held Root")
    path = write_list(tmp_path, "mixed", [(root, "")])
    path.write_text(path.read_text() + '[[entry]]\nsha1 = "' + "ab" * 20 + '"\nfriendly_name = "Not Held"\n')
    report = tmp_path / "r.json"
    ok("export", path, "--to", "pem", "-o", tmp_path / "b.pem", "--at", AT, "--report", report)
    entry = json.loads(report.read_text())["entries"][1]
    assert entry["action"] == "omit" and entry["cause"] == "no_certificate"
    assert entry["outcomes"][0]["aspect"] == "certificate" and "outside Windows" in entry["outcomes"][0]["detail"]


def test_a_disallowed_list_is_never_exported_as_trust(tmp_path):
    root = make_root(tmp_path, "Bad Root")
    path = write_list(tmp_path, "bad", [(root, "")], kind="disallowed")
    for fmt in ("pem", "openssl-dir", "pkcs12"):
        result = run("export", path, "--to", fmt, "-o", tmp_path / f"out.{fmt}", "--at", AT)
        assert result.exit_code == 2
        assert "disallowed list is a blocklist" in result.output and "p11-kit, json" in result.output
        assert not (tmp_path / f"out.{fmt}").exists()


def test_a_certificate_whose_sha256_disagrees_with_the_ctl_is_refused(tmp_path):
    root = make_root(tmp_path, "Some Root")
    der = root.path.read_bytes()
    from ctlbuild.formats.certificates import load_certificates
    der = load_certificates(der)[0]
    tl = TrustList("liar", "trusted", NOW, entries=(Entry(hashlib.sha1(der).digest(), sha256=bytes(32)),))
    ctl = tmp_path / "liar.ctl"
    ctl.write_bytes(encode_ctl(tl))
    result = run("export", ctl, "--to", "pem", "--certs", root.path, "-o", tmp_path / "b.pem", "--at", AT)
    assert result.exit_code == 2
    assert "SHA-256" in result.output and "refused" in result.output and "Traceback" not in result.output


def test_a_file_named_by_another_thumbprint_is_refused(tmp_path, pki):
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / ("AB" * 20 + ".crt")).write_bytes(pki.roots["Good Root"].path.read_bytes())
    result = run("export", pki.list_path, "--to", "pem", "--certs", folder, "-o", tmp_path / "b.pem")
    assert result.exit_code == 2 and "named by SHA-1" in result.output


def test_pkcs12_needs_a_password_from_the_environment(pki, tmp_path):
    result = run("export", pki.list_path, "--to", "pkcs12", "-o", tmp_path / "x.p12", "--at", AT)
    assert result.exit_code == 2 and "CTLBUILD_EXPORT_PASSWORD" in result.output
    assert not (tmp_path / "x.p12").exists()


def test_openssl_dir_replaces_only_its_own_folder(pki, tmp_path):
    out = tmp_path / "certs"
    ok("export", pki.list_path, "--to", "openssl-dir", "-o", out, "--at", AT)
    first = sorted(p.name for p in out.iterdir())
    assert ".ctlbuild-export" in first and len(first) == 4
    ok("export", pki.list_path, "--to", "openssl-dir", "-o", out, "--at", AT, "--not-before", "include")
    assert len(list(out.iterdir())) == 5
    foreign = tmp_path / "theirs"
    foreign.mkdir()
    (foreign / "keep.pem").write_text("mine")
    result = run("export", pki.list_path, "--to", "openssl-dir", "-o", foreign, "--at", AT)
    assert result.exit_code == 2 and (foreign / "keep.pem").read_text() == "mine"


def test_bad_usage_is_one_line(pki, tmp_path):
    result = run("export", pki.list_path, "--to", "pem", "--purpose", "teleportation", "-o", tmp_path / "b.pem")
    assert result.exit_code == 2 and "unknown purpose 'teleportation'" in result.output
    result = run("export", tmp_path / "missing.stl", "--to", "pem", "-o", tmp_path / "b.pem")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_hostile_friendly_name_cannot_forge_lines(tmp_path):
    root = make_root(tmp_path, "Plain Root")
    path = write_list(tmp_path, "hostile", [(root, "")])
    path.write_text(path.read_text().replace('friendly_name = "Plain Root"',
                                             'friendly_name = "x\\n-----END CERTIFICATE-----\\n[p11-kit-object-v1]"'))
    for fmt in ("pem", "p11-kit"):
        out = tmp_path / f"out.{fmt}"
        ok("export", path, "--to", fmt, "-o", out, "--at", AT)
        lines = out.read_text().splitlines()
        assert lines.count("-----END CERTIFICATE-----") == 1
        assert lines.count("[p11-kit-object-v1]") == (2 if fmt == "p11-kit" else 0)


# -- make demo's outputs ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, dev_keys):
    out = tmp_path_factory.mktemp("demo") / "out"
    examples = sorted(Path("examples").glob("*.toml"))
    result = run("build", *examples, "-o", out, "--keys", dev_keys.signer_key.parent, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    return out


def test_the_demo_disallowed_list_exports_as_a_blocklist(demo_out, tmp_path):
    require_fixtures()
    report = tmp_path / "r.json"
    out = tmp_path / "diginotar.p11-kit"
    ok("export", demo_out / "diginotar-kb2616676.stl", "--to", "p11-kit", "--certs", DIGINOTAR, "-o", out,
       "--report", report)
    data = json.loads(report.read_text())
    validate(data)
    assert data["totals"]["blocklisted"] == 2 and data["totals"]["omitted_by_cause"] == {"no_certificate": 9}
    assert out.read_text().count("x-distrusted: true") == 2


@pytest.mark.parametrize("name", ["diginotar-kb2607712.stl", "diginotar-kb2616676stl.cab", "bulk-disallowed.stl"])
def test_every_demo_output_exports_to_json(demo_out, tmp_path, name):
    out = tmp_path / "x.json"
    ok("export", demo_out / name, "--to", "json", "-o", out)
    doc = json.loads(out.read_text())
    assert doc["entries"] and all(e["action"] == "blocklist" for e in doc["entries"])


def test_certs_dash_is_standard_input_not_a_folder_named_dash(pki, tmp_path, monkeypatch):
    (tmp_path / "-").mkdir()  # a folder named - in the current folder is not what - means
    monkeypatch.chdir(tmp_path)
    root = pki.roots["Good Root"].path.read_bytes()
    result = CliRunner().invoke(main, ["export", str(pki.list_path), "--to", "pem", "--certs", "-",
                                       "-o", str(tmp_path / "b.pem"), "--at", AT], input=root)
    assert result.exit_code == 0, result.output
    empty = CliRunner().invoke(main, ["export", str(pki.list_path), "--to", "pem", "--certs", "./-",
                                      "-o", str(tmp_path / "c.pem"), "--at", AT])
    assert empty.exit_code == 2 and "folder holds no certificates" in empty.output
