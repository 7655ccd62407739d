"""Throw-away roots and lists for mirror and deploy tests (keys made here, never stored)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ctlbuild._cli import main
from tests.conftest import NOW, SIGNING_TIME


@dataclass(frozen=True)
class Root:
    path: Path
    der: bytes

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.der).hexdigest().upper()

    @property
    def crt(self) -> str:
        return f"{self.sha1}.crt"


def make_root(folder: Path, name: str) -> Root:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = folder / f"{name.replace(' ', '-')}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Root(path, cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="session")
def roots(tmp_path_factory) -> list[Root]:
    folder = tmp_path_factory.mktemp("roots")
    return [make_root(folder, f"Mirror Test Root {i}") for i in range(4)]


def write_list(folder: Path, name: str, kind: str, this_update: str, certs: list[Root],
               friendly: dict[str, str] | None = None) -> Path:
    lines = [f'name = "{name}"', f'kind = "{kind}"', f"this_update = {this_update}", ""]
    for root in certs:
        lines += ["[[entry]]", f'cert = "{root.path.as_posix()}"']
        label = (friendly or {}).get(root.sha1)
        if label is not None:
            lines.append(f"friendly_name = {json.dumps(label, ensure_ascii=False)}")  # JSON escapes are TOML's
        lines.append("")
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def keys_dir(dev_keys):
    return dev_keys.signer_key.parent


def mirror_build(keys_dir, out, *inputs, signing_time=SIGNING_TIME, extra=()):
    return run("mirror", "build", *inputs, "-o", out, "--keys", keys_dir, "--signing-time", signing_time, *extra)


def mirror_check(folder, anchor, *extra):
    return run("mirror", "check", folder, "--anchor", anchor, "--at", SIGNING_TIME, *extra)
