"""Private key files others may read are refused (unless asked for); secrets never reach the output."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from ctlbuild._cli import main
from ctlbuild.errors import SignerKeyError
from ctlbuild.signing.keyfiles import load_pkcs12, load_private_key
from ctlbuild.signing.open import open_signer
from tests.conftest import SIGNING_TIME

LIST = "examples/diginotar-kb2616676.toml"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture
def loose_key(tmp_path, dev_keys):
    """A copy of the dev signer key that group and others can read."""
    path = tmp_path / "signer.key"
    shutil.copyfile(dev_keys.signer_key, path)
    path.chmod(0o644)
    return path


def test_dev_keys_load(dev_keys):
    assert load_private_key(dev_keys.signer_key).key_size == 3072


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
def test_key_others_may_access_is_refused(loose_key, mode):
    loose_key.chmod(mode)
    with pytest.raises(SignerKeyError) as caught:
        load_private_key(loose_key)
    message = str(caught.value)
    assert str(loose_key) in message and f"mode {mode:04o}" in message
    assert f"chmod 600 {loose_key}" in message and caught.value.remedy == "allow_insecure_permissions"
    assert "--" not in message  # the library names no command-line flag; the CLI words the remedy
    assert load_private_key(loose_key, allow_insecure_permissions=True).key_size == 3072


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_keys_load(loose_key, mode):
    loose_key.chmod(mode)
    assert load_private_key(loose_key).key_size == 3072


def test_refused_before_asking_for_a_passphrase(tmp_path, dev_keys):
    key = load_private_key(dev_keys.signer_key)
    path = tmp_path / "enc.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       BestAvailableEncryption(b"s3cret")))
    path.chmod(0o644)
    asked = []
    with pytest.raises(SignerKeyError, match="chmod 600"):
        load_private_key(path, lambda p: asked.append(p) or b"s3cret")
    assert asked == []


@pytest.fixture
def loose_p12(tmp_path, dev_keys):
    from cryptography import x509
    key = load_private_key(dev_keys.signer_key)
    cert = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    path = tmp_path / "signer.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"s", key, cert, None, BestAvailableEncryption(b"pw")))
    path.chmod(0o644)
    return path


def test_pkcs12_others_may_read_is_refused(loose_p12):
    with pytest.raises(SignerKeyError, match="PKCS#12 file may be read or changed by others"):
        load_pkcs12(loose_p12, lambda _p: b"pw")
    with pytest.raises(SignerKeyError, match="mode 0644"):
        load_private_key(loose_p12, lambda _p: b"pw")
    with pytest.raises(SignerKeyError, match="chmod 600"):
        open_signer(str(loose_p12), passphrase=lambda _p: b"pw")
    assert open_signer(str(loose_p12), passphrase=lambda _p: b"pw", allow_insecure_permissions=True).certificate
    loose_p12.chmod(0o600)
    assert open_signer(str(loose_p12), passphrase=lambda _p: b"pw").certificate


def test_build_refuses_a_loose_key_in_one_line(tmp_path, loose_key, dev_keys):
    result = run("build", LIST, "-o", tmp_path / "out", "--key", loose_key, "--cert", dev_keys.signer_cert,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "chmod 600" in lines[0] and "mode 0644" in lines[0]
    assert "--insecure-key-permissions" in lines[0]
    assert not (tmp_path / "out").exists()
    key_text = loose_key.read_text()
    for output in (result.stdout, result.stderr):
        assert "PRIVATE KEY" not in output and key_text.splitlines()[1] not in output
    result = run("build", LIST, "-o", tmp_path / "out", "--key", loose_key, "--cert", dev_keys.signer_cert,
                 "--signing-time", SIGNING_TIME, "--insecure-key-permissions")
    assert result.exit_code == 0, result.output


def test_build_refuses_loose_development_keys(tmp_path, dev_keys):
    keys = tmp_path / "keys"
    shutil.copytree(dev_keys.signer_key.parent, keys)
    (keys / "dev-signer.key").chmod(0o640)
    result = run("build", LIST, "-o", tmp_path / "out", "--keys", keys, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 2 and "dev-signer.key" in result.stderr and "mode 0640" in result.stderr


def test_a_wrong_passphrase_is_never_printed(tmp_path, dev_keys):
    key = load_private_key(dev_keys.signer_key)
    path = tmp_path / "enc.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       BestAvailableEncryption(b"right-one")))
    path.chmod(0o600)
    secret = "hunter2-not-it"
    result = run("build", LIST, "-o", tmp_path / "out", "--key", path, "--cert", dev_keys.signer_cert,
                 "--signing-time", SIGNING_TIME, env={"CTLBUILD_KEY_PASSPHRASE": secret})
    assert result.exit_code == 2 and "wrong passphrase" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_keys_init_writes_owner_only_keys(tmp_path):
    result = run("keys", "init", "--dir", tmp_path / "k", "--algorithm", "ec")
    assert result.exit_code == 0, result.output
    for name in ("dev-root-ca.key", "dev-signer.key"):
        assert (tmp_path / "k" / name).stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" not in result.output
