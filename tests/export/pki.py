"""Throw-away test PKIs made with cryptography: roots, and leaves under them, written as PEM,
and a trusted list naming the roots with the trust attributes a test wants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Issued:
    name: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    path: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ctlbuild tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(folder: Path, stem: str, cert: x509.Certificate) -> Path:
    path = folder / f"{stem}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def make_root(folder: Path, cn: str) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=3650)).not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cn, cert, key, _write(folder, cn.replace(" ", "-"), cert))


def make_leaf(folder: Path, root: Issued, host: str, issued: datetime | None = None) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    start = issued or NOW - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(root.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(NOW + timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
            .sign(root.key, hashes.SHA256()))
    return _write(folder, host, cert)


def write_list(folder: Path, name: str, entries: list[tuple[Issued, str]], kind: str = "trusted") -> Path:
    """A list of ``kind`` naming each root (``cert = …``) with the TOML lines given for it."""
    lines = [f'name = "{name}"', f'kind = "{kind}"', "this_update = 2024-01-01T00:00:00Z", ""]
    for root, extra in entries:
        lines += ["[[entry]]", f'cert = "{root.path.name}"', f'friendly_name = "{root.name}"', extra, ""]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class Scenario:
    """Roots the CTL treats differently for server_auth, each with a leaf issued yesterday."""

    folder: Path
    list_path: Path
    leaves: dict[str, Path]
    roots: dict[str, Issued]


#: root name → its trust attributes in the list, and whether server_auth should accept its leaf.
ROOTS = {
    "Good Root": ('ekus = ["server_auth", "client_auth"]', True),
    "Microsoft-style Root": ("", True),  # no EKU attribute: every purpose
    "Disabled Root": ("disabled_since = 2020-01-01", False),
    "Client Only Root": ('ekus = ["client_auth"]', False),
    "Disallowed TLS Root": ('ekus = ["server_auth", "email_protection"]\ndisallowed_ekus = ["server_auth"]\n'
                            "disabled_since = 2020-01-01", False),
    "NotBefore Root": ('ekus = ["server_auth"]\nnot_before = 2020-06-01\nnot_before_ekus = ["server_auth"]', False),
    "Future Disabled Root": ('ekus = ["server_auth"]\ndisabled_since = 2999-01-01', True),
}


def scenario(folder: Path) -> Scenario:
    roots = {name: make_root(folder, name) for name in ROOTS}
    leaves = {name: make_leaf(folder, root, name.lower().replace(" ", "-") + ".example")
              for name, root in roots.items()}
    path = write_list(folder, "tls-roots", [(roots[n], extra) for n, (extra, _) in ROOTS.items()])
    return Scenario(folder, path, leaves, roots)
