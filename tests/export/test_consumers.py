"""The exported stores, read by their real consumers: OpenSSL (-CAfile, -CApath), p11-kit's
``trust`` tool (through a trust-module configuration of the test's own, never the machine's
store) and Java's keytool."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.export.pki import NOW, ROOTS, make_root, scenario, write_list
from tests.peers import require_tool

pytestmark = pytest.mark.interop
AT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(*args, env=None):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return scenario(tmp_path_factory.mktemp("pki"))


def openssl_verify(openssl: str, store: list[str], leaf: Path) -> bool:
    done = subprocess.run([openssl, "verify", *store, "-purpose", "sslserver", str(leaf)],
                          capture_output=True, text=True)
    return done.returncode == 0


@pytest.mark.parametrize("fmt", ["pem", "openssl-dir"])
def test_openssl_accepts_exactly_what_the_ctl_trusts_for_tls(pki, tmp_path, fmt):
    openssl = require_tool("openssl")
    out = tmp_path / ("bundle.pem" if fmt == "pem" else "certs")
    run("export", pki.list_path, "--to", fmt, "-o", out, "--at", AT)
    store = ["-CAfile", str(out)] if fmt == "pem" else ["-CApath", str(out)]
    verdicts = {name: openssl_verify(openssl, store, leaf) for name, leaf in pki.leaves.items()}
    assert verdicts == {name: accepted for name, (_, accepted) in ROOTS.items()}


def test_include_mode_keeps_a_not_before_root_for_formats_that_cannot_say_so(pki, tmp_path):
    openssl = require_tool("openssl")
    out = tmp_path / "bundle.pem"
    run("export", pki.list_path, "--to", "pem", "-o", out, "--at", AT, "--not-before", "include")
    assert openssl_verify(openssl, ["-CAfile", str(out)], pki.leaves["NotBefore Root"])


def test_openssl_dir_names_are_openssls_subject_hashes(pki, tmp_path):
    openssl = require_tool("openssl")
    out = tmp_path / "certs"
    run("export", pki.list_path, "--to", "openssl-dir", "-o", out, "--at", AT)
    for file in sorted(out.glob("*.[0-9]")):
        expected = subprocess.run([openssl, "x509", "-hash", "-noout", "-in", str(file)], capture_output=True,
                                  text=True, check=True).stdout.strip()
        assert file.name.split(".")[0] == expected


# -- p11-kit --------------------------------------------------------------------------------------

class TrustTool:
    """p11-kit's ``trust`` reading only the files in ``store``: a user configuration that loads
    the trust module alone (``user-config: only``) with ``paths`` set to that folder. p11-kit
    ignores user configuration for root, so as root the tool runs as nobody."""

    def __init__(self, trust: str):
        self.trust = trust
        self.home = Path(tempfile.mkdtemp(prefix="ctlbuild-p11kit-"))
        self.store = self.home / "store"
        self.store.mkdir()
        config = self.home / ".config" / "pkcs11"
        (config / "modules").mkdir(parents=True)
        (config / "pkcs11.conf").write_text("user-config: only\n")
        (config / "modules" / "ctlbuild-test.module").write_text(
            f"module: p11-kit-trust.so\ntrust-policy: yes\nx-init-reserved: paths={self.store}\n")
        for path in [self.home, *self.home.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def add(self, path: Path) -> None:
        target = self.store / path.name
        shutil.copyfile(path, target)
        target.chmod(0o644)

    def __call__(self, *args: str) -> str:
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        drop = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
        done = subprocess.run([self.trust, *args], capture_output=True, text=True, env=env, **drop)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def trust_tool():
    tool = TrustTool(require_tool("trust", "p11-kit"))
    yield tool
    tool.close()


def labels(listing: str) -> set[str]:
    return {line.split(":", 1)[1].strip() for line in listing.splitlines() if line.strip().startswith("label:")}


def test_p11kit_lists_anchors_per_purpose(pki, tmp_path, trust_tool):
    out = tmp_path / "ctl.p11-kit"
    run("export", pki.list_path, "--to", "p11-kit", "-o", out, "--at", AT,
        "--purpose", "server_auth", "--purpose", "client_auth", "--purpose", "email_protection")
    trust_tool.add(out)
    server = labels(trust_tool("list", "--filter=ca-anchors", "--purpose=server-auth"))
    client = labels(trust_tool("list", "--filter=ca-anchors", "--purpose=client-auth"))
    email = labels(trust_tool("list", "--filter=ca-anchors", "--purpose=email"))
    # The NotBefore root stays an anchor for TLS, with NSS's distrust-after date instead.
    assert server == {"Good Root", "Microsoft-style Root", "NotBefore Root", "Future Disabled Root"}
    assert client == {"Good Root", "Microsoft-style Root", "Client Only Root"}
    assert email == {"Microsoft-style Root", "Disallowed TLS Root"}
    dump = trust_tool("dump", "--filter=ca-anchors")
    assert 'nss-server-distrust-after: "200601000000Z"' in dump


def test_p11kit_lists_a_disallowed_list_as_distrusted(tmp_path, trust_tool):
    roots = [make_root(tmp_path, name) for name in ("Bad Root One", "Bad Root Two")]
    path = write_list(tmp_path, "blocked", [(r, "") for r in roots], kind="disallowed")
    out = tmp_path / "blocked.p11-kit"
    run("export", path, "--to", "p11-kit", "-o", out, "--at", AT)
    trust_tool.add(out)
    assert labels(trust_tool("list", "--filter=blocklist")) == {"Bad Root One", "Bad Root Two"}
    assert labels(trust_tool("list", "--filter=ca-anchors")) == set()


# -- Java ------------------------------------------------------------------------------------------

def test_keytool_lists_every_exported_root_as_trusted_cert_entry(pki, tmp_path):
    keytool = require_tool("keytool", "default-jre-headless")
    out = tmp_path / "roots.p12"
    run("export", pki.list_path, "--to", "pkcs12", "-o", out, "--at", AT,
        env={"CTLBUILD_EXPORT_PASSWORD": "s3cret-pass"})
    done = subprocess.run([keytool, "-list", "-keystore", str(out), "-storetype", "PKCS12",
                           "-storepass", "s3cret-pass"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    entries = [line for line in done.stdout.splitlines() if "trustedCertEntry" in line]
    trusted = {name for name, (_, ok) in ROOTS.items() if ok}
    assert len(entries) == len(trusted)
    for name in trusted:
        assert any(line.startswith(name.lower() + " [") for line in entries), (name, entries)
