"""Development keys: a throw-away root CA and a CTL-signing certificate it issues.

>>> from ctlbuild.signing.devkeys import create_dev_keys, create_dev_keys_on_token
>>> paths = create_dev_keys(Path("keys"), now=datetime.now(timezone.utc))   # doctest: +SKIP
>>> made = create_dev_keys_on_token(Path("keys"), "pkcs11:token=dev;object=dev-signer",
...                                 now=datetime.now(timezone.utc), pin=lambda token: "1234")  # doctest: +SKIP

Every name says DEVELOPMENT: these keys sign test builds, never production lists.
Private keys are created mode 0600; with a token, the signer's private key is
generated on it and never exists anywhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ..errors import OutputError
from ..oids import Usage
from .keyfiles import write_new_file, write_private_key

ROOT_NAME = "ctlbuild DEVELOPMENT Root CA (not for production)"
SIGNER_NAME = "ctlbuild DEVELOPMENT CTL Signer (not for production)"


@dataclass(frozen=True)
class DevKeyPaths:
    root_cert: Path
    root_key: Path
    signer_cert: Path
    signer_key: Path

    @classmethod
    def in_dir(cls, folder: Path) -> "DevKeyPaths":
        folder = Path(folder)
        return cls(folder / "dev-root-ca.pem", folder / "dev-root-ca.key",
                   folder / "dev-signer.pem", folder / "dev-signer.key")

    def all(self) -> tuple[Path, ...]:
        return (self.root_cert, self.root_key, self.signer_cert, self.signer_key)

    def exist(self) -> bool:
        return all(p.exists() for p in self.all())

    def refuse_present(self, folder) -> None:
        # lexists: a dangling link counts, or the file would be written wherever it points.
        present = [p.name + (" (a symbolic link)" if p.is_symlink() else "") for p in self.all()
                   if os.path.lexists(p)]
        if present:
            raise OutputError(f"{folder}: development keys already present ({', '.join(present)}); "
                              "remove them first to make new ones")


@dataclass(frozen=True)
class TokenDevKeys:
    """Development keys whose signer lives on a PKCS#11 token: ``uri`` names it for --key."""

    root_cert: Path
    root_key: Path
    signer_cert: Path
    uri: str

    def all(self) -> tuple[Path, ...]:
        return (self.root_cert, self.root_key, self.signer_cert)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ctlbuild development"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _new_key(algorithm: str):
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key algorithm {algorithm!r} (rsa or ec)")


def issue_signer(root_key, root_cert: x509.Certificate, signer_public_key, now: datetime,
                 days: int = 730, name: str = SIGNER_NAME) -> x509.Certificate:
    """A CTL-signing certificate: EKU CTL signing (10.3.1) and root list signer (10.3.9),
    so it may sign both disallowed and trusted lists."""
    ekus = [ObjectIdentifier(Usage.CTL_SIGNING), ObjectIdentifier(Usage.ROOT_LIST_SIGNER)]
    return (x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(root_cert.subject)
            .public_key(signer_public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))


def make_root(now: datetime, algorithm: str = "rsa", days: int = 3650, name: str = ROOT_NAME):
    key = _new_key(algorithm)
    subject = _name(name)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def create_dev_keys(folder: Path, now: datetime, algorithm: str = "rsa") -> DevKeyPaths:
    """Write a development root and signer into ``folder``; refuses to overwrite any of them."""
    paths = DevKeyPaths.in_dir(folder)
    paths.refuse_present(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    root_key, root_cert = make_root(now, algorithm)
    signer_key = _new_key(algorithm)
    signer_cert = issue_signer(root_key, root_cert, signer_key.public_key(), now)
    write_private_key(paths.root_key, root_key)
    write_private_key(paths.signer_key, signer_key)
    write_new_file(paths.root_cert, root_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    write_new_file(paths.signer_cert, signer_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths




def create_dev_keys_on_token(folder: Path, uri: str, now: datetime, algorithm: str = "rsa", *,
                             pin=None, allow_insecure_permissions: bool = False) -> TokenDevKeys:
    """A development root CA in ``folder`` and a signer key generated ON the token ``uri``
    names (its object= is the new key's label), with the certificate the root issues for
    it written to ``folder`` and stored on the token. Refuses to overwrite either."""
    from .pkcs11 import create_token_key

    paths = DevKeyPaths.in_dir(folder)
    # dev-signer.key too: a key file beside a certificate for the token's key would not match it.
    paths.refuse_present(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    root_key, root_cert = make_root(now, algorithm)
    signer_cert, signer_uri = create_token_key(
        uri, algorithm, lambda public_key: issue_signer(root_key, root_cert, public_key, now),
        pin=pin, allow_insecure_permissions=allow_insecure_permissions)
    write_private_key(paths.root_key, root_key)
    write_new_file(paths.root_cert, root_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    write_new_file(paths.signer_cert, signer_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return TokenDevKeys(paths.root_cert, paths.root_key, paths.signer_cert, signer_uri)
