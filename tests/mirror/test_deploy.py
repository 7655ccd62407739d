"""deploy: the kit's files, and — PowerShell cannot run here (Debian has no package for it) —
the scripts' content checked structurally: the rollback removes exactly what the import added."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ctlbuild.formats.sst import read_sst
from tests.mirror.conftest import run, write_list

URL = r"file://\\server1\CTL"
HOSTILE = "Evil'\n  Remove-Item C:\\ -Recurse -Force # \u2019"


@pytest.fixture
def trusted_kit(tmp_path, roots):
    listing = write_list(tmp_path, "corp-roots", "trusted", "2024-01-01T00:00:00Z", roots[:3],
                         friendly={roots[0].sha1: HOSTILE})
    out = tmp_path / "kit"
    result = run("deploy", listing, "-o", out, "--mirror-url", URL)
    assert result.exit_code == 0, result.output
    return out


def script(kit: Path, name: str) -> str:
    data = (kit / name).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    return data[3:].decode("utf-8").replace("\r\n", "\n")


def thumbprint_array(text: str) -> list[str]:
    block = re.search(r"^\$Thumbprints = @\(\n(.*?)^\)$", text, re.S | re.M).group(1)
    return [re.match(r"\s+'([0-9A-F]{40})'  # ", line).group(1) for line in block.splitlines()]


def code_lines(text: str) -> list[str]:
    """The script without its comments (a whole-line comment, or one after code: '  # …')."""
    lines = (re.sub(r"\s+# .*$", "", line) for line in text.splitlines() if not line.lstrip().startswith("#"))
    return [line for line in lines if line.strip()]


def assignment(text: str, name: str) -> str:
    return re.search(rf"^\${name} = (.+)$", text, re.M).group(1)


def test_kit_files(trusted_kit):
    assert sorted(p.name for p in trusted_kit.iterdir() if not p.name.startswith(".")) == [
        "README.txt", "corp-roots-import.ps1", "corp-roots-mirror-rollback.reg", "corp-roots-mirror.reg",
        "corp-roots-rollback.ps1", "corp-roots.sst"]


def test_import_and_rollback_name_the_same_certificates_as_the_store(trusted_kit, roots):
    sst = (trusted_kit / "corp-roots.sst").read_bytes()
    in_store = [hashlib.sha1(c.der).hexdigest().upper() for c in read_sst(sst).certificates]
    assert in_store == [r.sha1 for r in roots[:3]]
    imp, back = script(trusted_kit, "corp-roots-import.ps1"), script(trusted_kit, "corp-roots-rollback.ps1")
    assert thumbprint_array(imp) == thumbprint_array(back) == in_store
    assert assignment(imp, "Store") == assignment(back, "Store") == r"'Cert:\LocalMachine\Root'"
    assert assignment(imp, "ExpectedSha256") == f"'{hashlib.sha256(sst).hexdigest().upper()}'"
    record = re.search(r"'(corp-roots-[0-9a-f]{16}\.added\.txt)'", imp).group(1)
    assert f"'{record}'" in back


def test_the_import_records_what_it_adds_before_it_adds_it(trusted_kit):
    imp = script(trusted_kit, "corp-roots-import.ps1")
    added = imp.index("$added = @($Thumbprints | Where-Object { -not (Test-Path -LiteralPath (Join-Path $Store $_)) })")
    recorded = imp.index("[System.IO.File]::WriteAllLines($Record, [string[]] $added)")
    imported = imp.index("Import-Certificate -FilePath $SstPath -CertStoreLocation $Store")
    assert added < recorded < imported
    assert imp.index("Get-FileHash") < imported  # a replaced .sst is refused before anything changes
    code = code_lines(imp)
    assert sum("Import-Certificate" in line for line in code) == 1
    assert not any("Remove-Item" in line for line in code)


def test_the_rollback_removes_exactly_the_recorded_thumbprints_of_the_kit(trusted_kit):
    back = script(trusted_kit, "corp-roots-rollback.ps1")
    removals = [line.strip() for line in code_lines(back) if "Remove-Item" in line]
    assert removals == ["Remove-Item -LiteralPath $path", "Remove-Item -LiteralPath $Record"]
    assert "$remove = @($Thumbprints | Where-Object { $recorded -contains $_ })" in back
    assert "foreach ($thumbprint in $remove) {" in back and "$path = Join-Path $Store $thumbprint" in back
    assert "$recorded = @(Get-Content -LiteralPath $Record" in back
    # Without a record, nothing unless -Force (which means: every certificate of the kit).
    assert re.search(r"\} elseif \(\$Force\) \{\n\s+\$recorded = \$Thumbprints\n\} else \{\n\s+throw ", back)


def test_a_hostile_friendly_name_stays_in_its_comment(trusted_kit):
    for name in ("corp-roots-import.ps1", "corp-roots-rollback.ps1"):
        text = script(trusted_kit, name)
        lines = [line for line in text.splitlines() if "Remove-Item C:" in line]
        assert len(lines) == 1 and re.match(r"\s+'[0-9A-F]{40}'  # Evil'   Remove-Item C:", lines[0])
    readme = (trusted_kit / "README.txt").read_text()
    assert "\n  Remove-Item" not in readme


def test_reg_files(trusted_kit):
    def reg(name):
        data = (trusted_kit / name).read_bytes()
        assert data.startswith(b"\xff\xfe")
        return data[2:].decode("utf-16-le")

    apply, back = reg("corp-roots-mirror.reg"), reg("corp-roots-mirror-rollback.reg")
    assert apply.startswith("Windows Registry Editor Version 5.00\r\n")
    key = r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate]"
    assert key in apply and key in back
    assert '"RootDirUrl"="file://\\\\\\\\server1\\\\CTL"\r\n' in apply
    assert '"SyncFromDirUrl"="file://\\\\\\\\server1\\\\CTL"\r\n' in apply
    for value in ("RootDirUrl", "SyncFromDirUrl", "EncodedCtl", "LastSyncTime"):
        assert f'"{value}"=-\r\n' in back
    assert '"EncodedCtl"=-' in apply and "RootDirUrl\"=-" not in apply


@pytest.mark.parametrize("url", ["https://a.example/x\n\"Evil\"=\"1\"", 'https://a"b', "ftp://x/", "C:\\ctl"])
def test_a_bad_mirror_url_is_refused(tmp_path, roots, url):
    listing = write_list(tmp_path, "r", "trusted", "2024-01-01T00:00:00Z", roots[:1])
    result = run("deploy", listing, "-o", tmp_path / "kit", "--mirror-url", url)
    assert result.exit_code == 2 and "mirror URL" in result.output
    assert not (tmp_path / "kit").exists()


def test_disallowed_kit(tmp_path, roots):
    listing = write_list(tmp_path, "distrust", "disallowed", "2024-01-01T00:00:00Z", roots[2:])
    out = tmp_path / "kit"
    result = run("deploy", listing, "-o", out)
    assert result.exit_code == 0, result.output
    assert not list(out.glob("*.reg"))
    store = read_sst((out / "distrust.sst").read_bytes())
    assert [c.properties for c in store.certificates] == [(), ()]  # the certificates alone
    imp = script(out, "distrust-import.ps1")
    assert assignment(imp, "Store") == r"'Cert:\LocalMachine\Disallowed'"
    assert "certutil -addstore disallowed distrust.sst" in imp


def test_same_list_same_kit(tmp_path, roots):
    listing = write_list(tmp_path, "r", "trusted", "2024-01-01T00:00:00Z", roots[:2])
    for out in ("a", "b"):
        assert run("deploy", listing, "-o", tmp_path / out, "--mirror-url", "https://pki.example/ctl").exit_code == 0
    files = lambda d: {p.name: p.read_bytes() for p in (tmp_path / d).iterdir() if not p.name.startswith(".")}
    assert files("a") == files("b")


def test_a_list_without_certificates_is_refused(tmp_path):
    result = run("deploy", "examples/diginotar-kb2616676.toml", "-o", tmp_path / "kit")
    assert result.exit_code == 2 and "no entry has a certificate" in result.output


def test_certs_folder_completes_a_thumbprint_list(tmp_path, roots):
    listing = tmp_path / "t.toml"
    listing.write_text(f'name = "t"\nkind = "disallowed"\nthis_update = 2024-01-01\n'
                       f'[[entry]]\nsha1 = "{roots[0].sha1}"\n[[entry]]\nsha1 = "{"00" * 20}"\n')
    result = run("deploy", listing, "-o", tmp_path / "kit", "--certs", roots[0].path.parent)
    assert result.exit_code == 0 and "1 entries have no certificate" in result.output
    assert thumbprint_array(script(tmp_path / "kit", "t-import.ps1")) == [roots[0].sha1]
