"""Development keys: a throw-away root CA and a CTL-signing certificate it issues.

>>> from ctlbuild.signing.devkeys import create_dev_keys, create_dev_keys_on_token
>>> paths = create_dev_keys(Path("keys"))          # valid 2000-01-01 .. 2050-01-01   # doctest: +SKIP
>>> paths = create_dev_keys(Path("keys"), validity=Validity.starting(datetime(2020, 1, 1, tzinfo=timezone.utc),
...                                                            days=365), force=True)   # doctest: +SKIP
>>> made = create_dev_keys_on_token(Path("keys"), "pkcs11:token=dev;object=dev-signer",
...                                 now=datetime.now(timezone.utc), pin=lambda token: "1234")  # doctest: +SKIP

Every name says DEVELOPMENT: these keys sign test builds, never production lists.
They are valid from 2000-01-01 by default, so that a reproducible build may sign at
any past date a list gives (``SOURCE_DATE_EPOCH=1315872000`` is 2011-09-13): a
signature made outside its signer's validity never verifies.
Private keys are created mode 0600; with a token, the signer's private key is
generated on it and never exists anywhere else.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ..errors import OutputError
from ..oids import Usage
from .keyfiles import write_new_file

ROOT_NAME = "ctlbuild DEVELOPMENT Root CA (not for production)"
SIGNER_NAME = "ctlbuild DEVELOPMENT CTL Signer (not for production)"
#: Early enough for any release date a list may carry (the DigiNotar examples are of 2011).
DEFAULT_NOT_BEFORE = datetime(2000, 1, 1, tzinfo=timezone.utc)
#: 2000-01-01 + 18263 days = 2050-01-01: fifty years.
DEFAULT_DAYS = 18263


@dataclass(frozen=True)
class Validity:
    """The notBefore .. notAfter of the development root and signer (both the same)."""

    not_before: datetime
    not_after: datetime

    @classmethod
    def starting(cls, not_before: datetime = DEFAULT_NOT_BEFORE, days: int = DEFAULT_DAYS) -> "Validity":
        if not_before.tzinfo is None:
            raise ValueError("the validity's start needs a time zone (Z or +hh:mm)")
        if days < 1:
            raise ValueError(f"a validity of {days} days: give at least one day")
        try:
            return cls(not_before, not_before + timedelta(days=days))
        except OverflowError:
            raise ValueError(f"{days} days from {not_before:%Y-%m-%d} is past the year 9999") from None

    @classmethod
    def around(cls, now: datetime, days: int) -> "Validity":
        """From a day before ``now`` (clock skew) for ``days`` days after it."""
        return cls(now - timedelta(days=1), now + timedelta(days=days))


def is_dev_certificate(cert: x509.Certificate) -> bool:
    """Whether ``cert`` is a signer that ``keys init`` made (by its name): its errors can
    then name ``keys init`` as the remedy."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(names) and names[0].value == SIGNER_NAME


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
                              "remove them first to make new ones").because("force")



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


def issue_signer(root_key, root_cert: x509.Certificate, signer_public_key, now: datetime | None = None,
                 days: int = 730, name: str = SIGNER_NAME, *, validity: Validity | None = None
                 ) -> x509.Certificate:
    """A CTL-signing certificate: EKU CTL signing (10.3.1) and root list signer (10.3.9),
    so it may sign both disallowed and trusted lists. Valid for ``validity``, else for
    ``days`` around ``now``."""
    ekus = [ObjectIdentifier(Usage.CTL_SIGNING), ObjectIdentifier(Usage.ROOT_LIST_SIGNER)]
    validity = validity or Validity.around(now, days)
    return (x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(root_cert.subject)
            .public_key(signer_public_key).serial_number(x509.random_serial_number())
            .not_valid_before(validity.not_before).not_valid_after(validity.not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))


def make_root(now: datetime | None = None, algorithm: str = "rsa", days: int = 3650, name: str = ROOT_NAME,
              *, validity: Validity | None = None):
    key = _new_key(algorithm)
    subject = _name(name)
    validity = validity or Validity.around(now, days)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(validity.not_before).not_valid_after(validity.not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _validity(now: datetime | None, validity: Validity | None) -> tuple[Validity, Validity]:
    """(root, signer) validity: ``validity`` for both; else, for callers that pass ``now``
    (the tests' frozen clock), the old windows around it; else the defaults."""
    if validity is not None:
        return validity, validity
    if now is not None:
        return Validity.around(now, 3650), Validity.around(now, 730)
    default = Validity.starting()
    return default, default


def create_dev_keys(folder: Path, now: datetime | None = None, algorithm: str = "rsa", *,
                    validity: Validity | None = None, force: bool = False) -> DevKeyPaths:
    """Write a development root and signer into ``folder``, valid for ``validity``
    (default: 2000-01-01 for fifty years); refuses to overwrite any of them unless ``force``."""
    paths, root_key, root_cert, signer_validity = _new_root(folder, now, algorithm, validity, force)
    signer_key = _new_key(algorithm)
    signer_cert = issue_signer(root_key, root_cert, signer_key.public_key(), validity=signer_validity)
    _write_set({paths.root_key: (_pem_key(root_key), 0o600), paths.signer_key: (_pem_key(signer_key), 0o600),
                paths.root_cert: (_pem_cert(root_cert), 0o644), paths.signer_cert: (_pem_cert(signer_cert), 0o644)},
               replace=force)
    return paths


def create_dev_keys_on_token(folder: Path, uri: str, now: datetime | None = None, algorithm: str = "rsa", *,
                             pin=None, allow_insecure_permissions: bool = False,
                             validity: Validity | None = None, force: bool = False) -> TokenDevKeys:
    """A development root CA in ``folder`` and a signer key generated ON the token ``uri``
    names (its object= is the new key's label), with the certificate the root issues for
    it written to ``folder`` and stored on the token. Refuses to overwrite either (``force``
    replaces the files; a key already on the token is still refused)."""
    from .pkcs11 import create_token_key

    # dev-signer.key is refused too: a key file beside a certificate for the token's key would not match it.
    paths, root_key, root_cert, signer_validity = _new_root(folder, now, algorithm, validity, force)
    signer_cert, signer_uri = create_token_key(
        uri, algorithm, lambda public_key: issue_signer(root_key, root_cert, public_key, validity=signer_validity),
        pin=pin, allow_insecure_permissions=allow_insecure_permissions)
    _write_set({paths.root_key: (_pem_key(root_key), 0o600), paths.root_cert: (_pem_cert(root_cert), 0o644),
                paths.signer_cert: (_pem_cert(signer_cert), 0o644)}, replace=force, stale=(paths.signer_key,))
    return TokenDevKeys(paths.root_cert, paths.root_key, paths.signer_cert, signer_uri)


def _new_root(folder: Path, now: datetime | None, algorithm: str, validity: Validity | None, force: bool):
    """(paths, root key, root certificate, the signer's validity): the part of making keys both
    kinds share, after refusing keys already there unless ``force``."""
    paths = DevKeyPaths.in_dir(folder)
    if not force:
        paths.refuse_present(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    root_validity, signer_validity = _validity(now, validity)
    root_key, root_cert = make_root(algorithm=algorithm, validity=root_validity)
    return paths, root_key, root_cert, signer_validity


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_set(files: dict[Path, tuple[bytes, int]], *, replace: bool, stale: tuple[Path, ...] = ()) -> None:
    """Write the new keys and certificates, each created afresh (never through a link). With
    ``replace`` (``--force``), each is first written beside its place and renamed over it
    only once all are written: a failure (a full disk, a name planted meanwhile) leaves the
    old set whole, and a rename replaces a link itself, never its target. ``stale`` files
    (a key file the token now holds instead) are then unlinked."""
    if not replace:
        for path, (data, mode) in files.items():
            write_new_file(path, data, mode)
        return
    for path in (*files, *stale):
        if path.is_dir() and not path.is_symlink():
            raise OutputError(f"{path}: is a folder, not a development key; remove it yourself")
    staged: dict[Path, Path] = {}
    try:
        for path, (data, mode) in files.items():
            temp = path.with_name(f".{path.name}.new-{os.getpid()}")
            write_new_file(temp, data, mode)
            staged[path] = temp  # only once written: a name found there is not ours to remove
    except BaseException:
        for temp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        raise
    for path, temp in staged.items():
        os.replace(temp, path)
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
