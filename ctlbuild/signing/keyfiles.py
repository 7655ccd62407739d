"""Loading signing keys and certificates from files (PEM, DER, PKCS#12).

>>> from ctlbuild.signing.keyfiles import load_file_signer_material
>>> key, cert, chain = load_file_signer_material("keys/dev-signer.key", "keys/dev-signer.pem")  # doctest: +SKIP

Passphrases and PINs come from callbacks (the CLI reads an environment variable
or prompts); they are never taken from arguments and never printed. A private
key file that its group or others may access is refused unless the caller
passes ``allow_insecure_permissions=True``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import FormatError, OutputError, SignerKeyError
from ..formats.certificates import load_certificates, load_x509, same_public_key
from ..limits import MAX_CERT_FILE, FolderBudget, TooBig, describe, read_capped, shown_path

PassphraseSource = Callable[[str], bytes | None]
#: Called with a description of the token ("token 'hsm'"); returns its user PIN, or None.
PinSource = Callable[[str], str | None]


def _read(path: Path, what: str, within: FolderBudget | None = None) -> bytes:
    try:
        return read_capped(path, MAX_CERT_FILE, within)
    except TooBig as exc:
        raise SignerKeyError(f"{shown_path(path)}: {what} is {exc}") from None
    except OSError as exc:
        raise SignerKeyError(f"{shown_path(path)}: cannot read {what} ({exc.strerror})") from None


def read_private_file(path, what: str, allow_insecure_permissions: bool = False) -> bytes:
    """The bytes of a file holding a secret, refused when its group or others may access it.

    The mode is taken from the open file (fstat), so a file swapped between the
    check and the read cannot slip through; nothing is read from a refused file."""
    try:
        with open(path, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            # Windows has no such mode bits (stat reports 0o666 for every file).
            if mode & 0o077 and not allow_insecure_permissions and os.name == "posix":
                # Certificates are world-readable as they should be: say what the file is
                # rather than ask for a chmod (only its PEM armour is looked at).
                if fh.read(64).lstrip().startswith(b"-----BEGIN CERTIFICATE"):
                    raise SignerKeyError(f"{path}: holds a certificate, not a private key (the key is the "
                                         "other file of the pair)")
                raise SignerKeyError(
                    f"{path}: {what} may be read or changed by others (mode {stat.S_IMODE(mode):04o}); "
                    f"run 'chmod 600 {path}'").because("allow_insecure_permissions")
            data = fh.read(MAX_CERT_FILE + 1)
        if len(data) > MAX_CERT_FILE:
            raise SignerKeyError(f"{path}: {what} is larger than the {describe(MAX_CERT_FILE)} limit")
        return data
    except OSError as exc:
        raise SignerKeyError(f"{path}: cannot read {what} ({exc.strerror})") from None


def load_private_key(path, passphrase: PassphraseSource | None = None, *,
                     allow_insecure_permissions: bool = False):
    """An RSA or EC private key from PEM, DER (PKCS#8 or traditional) or PKCS#12.

    An RSA key from PEM or DER is not checked for consistency (its primes against its
    modulus): sign with it only through ``signer.FileSigner``, which verifies every signature."""
    from cryptography.hazmat.primitives import serialization  # keys only: verify reads certificates

    if path and is_pkcs12(path):
        return load_pkcs12(path, passphrase, allow_insecure_permissions=allow_insecure_permissions)[0]
    data = read_private_file(path, "private key", allow_insecure_permissions)
    for attempt in (None, "ask"):
        password = None if attempt is None else _ask(passphrase, path)
        try:
            # RSA keys skip cryptography's consistency check (~0.2 s, more than a small build):
            # FileSigner verifies every signature it makes with the certificate's public key.
            if b"-----BEGIN" in data:
                key = serialization.load_pem_private_key(data, password, unsafe_skip_rsa_key_validation=True)
            else:
                key = serialization.load_der_private_key(data, password, unsafe_skip_rsa_key_validation=True)
        except TypeError:  # encrypted and no password given (or given for a plain key)
            if attempt is None:
                continue
            raise SignerKeyError(f"{path}: private key is not encrypted but a passphrase was given") from None
        except ValueError as exc:
            if attempt is None and "encrypted" in str(exc).lower():
                continue
            if attempt == "ask":
                raise SignerKeyError(f"{path}: wrong passphrase or damaged private key") from None
            raise SignerKeyError(f"{path}: not a private key ({_short(exc)})") from None
        return _supported(key, path)
    raise SignerKeyError(f"{path}: cannot load private key")


def _ask(passphrase: PassphraseSource | None, path) -> bytes:
    secret = passphrase(str(path)) if passphrase else None
    if not secret:
        raise SignerKeyError(f"{path}: private key is encrypted and no passphrase was given").because("passphrase")
    return secret


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120]


def _supported(key, path):
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise SignerKeyError(f"{path}: EC curve {key.curve.name} is not supported (P-256, P-384, P-521)")
        return key
    raise SignerKeyError(f"{path}: {type(key).__name__} keys are not supported (RSA or ECDSA)")


def load_pkcs12(path, passphrase: PassphraseSource | None = None, *,
                allow_insecure_permissions: bool = False):
    """(key, certificate DER, [chain DER]) from a PKCS#12 file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = read_private_file(path, "PKCS#12 file", allow_insecure_permissions)
    for password in (None, b""):
        try:
            bundle = pkcs12.load_pkcs12(data, password)
            break
        except ValueError:
            continue
    else:
        try:
            bundle = pkcs12.load_pkcs12(data, _ask(passphrase, path))
        except ValueError:
            raise SignerKeyError(f"{path}: wrong passphrase or not a PKCS#12 file") from None
    if bundle.key is None or bundle.cert is None:
        raise SignerKeyError(f"{path}: PKCS#12 file must hold a private key and its certificate")
    der = serialization.Encoding.DER
    return (_supported(bundle.key, path), bundle.cert.certificate.public_bytes(der),
            [c.certificate.public_bytes(der) for c in bundle.additional_certs])


def load_cert_file(path, within: FolderBudget | None = None) -> list[bytes]:
    """The certificates of a PEM or DER file; ``within`` the budget of its folder."""
    data, shown = _read(path, "certificate", within), shown_path(path)
    try:
        ders = load_certificates(data, path=shown)
        for d in ders:
            load_x509(d)
    except ValueError as exc:
        raise FormatError(f"not a certificate ({_short(exc)})", path=shown) from None
    return ders


_PFX_START = bytes.fromhex("020103")  # PFX ::= SEQUENCE { version INTEGER v3, authSafe, ... }


def is_pkcs12(path) -> bool:
    """By name (.p12, .pfx) or by content: the file is judged, not its extension."""
    if str(path).lower().endswith((".p12", ".pfx")):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head[:1] != b"\x30" or len(head) < 5:
        return False
    skip = 2 + (head[1] & 0x7F if head[1] & 0x80 else 0)
    return head[skip:skip + 3] == _PFX_START


def load_file_signer_material(key_path, cert_path=None, chain_paths=(),
                              passphrase: PassphraseSource | None = None, *,
                              allow_insecure_permissions: bool = False):
    """(private key, signer certificate DER, chain DERs); checks the key matches the certificate."""
    if is_pkcs12(key_path):
        key, cert, chain = load_pkcs12(key_path, passphrase, allow_insecure_permissions=allow_insecure_permissions)
        if cert_path is not None and load_cert_file(cert_path)[0] != cert:
            raise SignerKeyError(f"{cert_path}: not the certificate inside {key_path} (a PKCS#12 file "
                                 "carries its own: name no other)")
    else:
        if cert_path is None:
            raise SignerKeyError(f"{key_path}: a signer certificate is needed with this key")
        key = load_private_key(key_path, passphrase, allow_insecure_permissions=allow_insecure_permissions)
        certs = load_cert_file(cert_path)
        cert, chain = certs[0], certs[1:]
    for p in chain_paths:
        chain.extend(load_cert_file(p))
    check_key_matches(key, cert, key_path)
    return key, cert, chain


def check_key_matches(key, cert_der: bytes, key_path) -> None:
    if not same_public_key(load_x509(cert_der).public_key(), key.public_key()):
        raise SignerKeyError(f"{key_path}: private key does not match the signer certificate")


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` afresh: never through a symbolic link (even a dangling one, which
    would plant the file wherever it points) and never over an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        what = "a symbolic link" if os.path.islink(path) else "already there"
        raise OutputError(f"{path}: is {what}; refusing to write a key or certificate through it") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
