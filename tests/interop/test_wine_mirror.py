"""The mirror and the deploy kit against real consumers: cabextract reads every cabinet, Wine's
crypt32 loads the CTLs (CertCreateCTLContext), the roots (CertCreateCertificateContext) and the
kit's store (CertOpenStore), and Wine's regedit imports the .reg files that reg query reads back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import peers
from tests.fixtures_ms import fixture
from tests.interop import wine
from tests.mirror.conftest import make_root, mirror_build, run, write_list
from tests.peers import DIGINOTAR, MICROSOFT

pytestmark = pytest.mark.interop

KEY = r"HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate"


@pytest.fixture(scope="module")
def keys_dir(dev_keys):
    return dev_keys.signer_key.parent


@pytest.fixture(scope="module")
def test_roots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wine-roots")
    return [make_root(folder, f"Wine Mirror Root {i}") for i in range(3)]


@pytest.fixture(scope="module")
def our_mirror(tmp_path_factory, keys_dir, test_roots) -> Path:
    base = tmp_path_factory.mktemp("wine-mirror")
    listing = write_list(base, "roots", "trusted", "2024-01-01T00:00:00Z", test_roots)
    out = base / "mirror"
    result = mirror_build(keys_dir, out, listing, "examples/diginotar-kb2616676.toml")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def microsoft_mirror(tmp_path_factory, keys_dir) -> Path:
    out = tmp_path_factory.mktemp("wine-ms") / "mirror"
    result = mirror_build(keys_dir, out, fixture("authrootstl-2018-06-19.cab"),
                          fixture("disallowedcertstl-2012-05-30.cab"),
                          extra=("--certs", MICROSOFT / "certs", "--certs", DIGINOTAR))
    assert result.exit_code == 0, result.output
    return out


def extract(cab: Path, dest: Path) -> list[Path]:
    tool = peers.require_tool("cabextract")
    proc = subprocess.run([tool, "-q", "-d", str(dest), str(cab)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "All done, no errors." in subprocess.run([tool, "-t", str(cab)], capture_output=True, text=True,
                                                     timeout=60).stdout
    return sorted(dest.iterdir())


@pytest.mark.parametrize("which", ["ours", "microsoft"])
def test_cabextract_reads_every_cab(which, our_mirror, microsoft_mirror, tmp_path):
    folder = our_mirror if which == "ours" else microsoft_mirror
    cabs = sorted(folder.glob("*.cab"))
    assert [c.name for c in cabs] == ["authrootstl.cab", "disallowedcertstl.cab"]
    for cab in cabs:
        members = extract(cab, tmp_path / cab.stem)
        assert [m.name for m in members] == [cab.stem[:-3] + ".stl"]


def test_crypt32_loads_our_ctls_and_roots(wine_client, our_mirror, test_roots, tmp_path):
    for cab, entries in (("authrootstl.cab", len(test_roots)), ("disallowedcertstl.cab", 11)):
        (stl,) = extract(our_mirror / cab, tmp_path / cab)
        res = wine.run_ctl(wine_client, stl)
        assert res["entries"] == entries and res["verify"] is True
    res = wine.run_ctl(wine_client, tmp_path / "authrootstl.cab" / "authroot.stl")
    assert sorted(res["subjects"]) == sorted(r.sha1.lower() for r in test_roots)
    loaded = wine.run_crt_dir(wine_client, our_mirror)
    assert loaded == {r.crt: r.sha1.lower() for r in test_roots}


def test_crypt32_loads_microsofts_ctl_and_every_root(wine_client, microsoft_mirror, tmp_path):
    (stl,) = extract(microsoft_mirror / "authrootstl.cab", tmp_path / "a")
    res = wine.run_ctl(wine_client, stl)
    assert res["entries"] == 370
    loaded = wine.run_crt_dir(wine_client, microsoft_mirror)
    assert len(loaded) == 370
    assert all(sha1 is not None and name == f"{sha1.upper()}.crt" for name, sha1 in loaded.items())


def test_crypt32_opens_the_mirrors_disallowed_store(wine_client, microsoft_mirror):
    res = wine.run_sst_load(wine_client, microsoft_mirror / "disallowedcert.sst")
    assert sorted(c["sha1"].upper() for c in res["certs"]) == sorted(p.stem for p in DIGINOTAR.glob("*.crt"))


def test_crypt32_opens_the_deploy_kits_store(wine_client, test_roots, tmp_path):
    listing = write_list(tmp_path, "distrust", "disallowed", "2024-01-01T00:00:00Z", test_roots)
    out = tmp_path / "kit"
    result = run("deploy", listing, "-o", out)
    assert result.exit_code == 0, result.output
    res = wine.run_sst_load(wine_client, out / "distrust.sst")
    assert sorted(c["sha1"] for c in res["certs"]) == sorted(r.sha1.lower() for r in test_roots)
    assert (res["crl_count"], res["ctl_count"]) == (0, 0)


def test_regedit_imports_the_mirror_url_and_its_rollback(wine_runner, test_roots, tmp_path):
    url = r"file://\\server1\CTL"
    listing = write_list(tmp_path, "roots", "trusted", "2024-01-01T00:00:00Z", test_roots[:1])
    out = tmp_path / "kit"
    assert run("deploy", listing, "-o", out, "--mirror-url", url).exit_code == 0
    wine.regedit_import(out / "roots-mirror.reg", wine_runner)
    assert wine.reg_query(KEY, "RootDirUrl", wine_runner) == url
    assert wine.reg_query(KEY, "SyncFromDirUrl", wine_runner) == url
    wine.regedit_import(out / "roots-mirror-rollback.reg", wine_runner)
    assert wine.reg_query(KEY, "RootDirUrl", wine_runner) is None
    assert wine.reg_query(KEY, "SyncFromDirUrl", wine_runner) is None

