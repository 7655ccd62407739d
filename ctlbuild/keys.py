"""Loading signing keys and certificates from files (PEM, DER, PKCS#12).

>>> from ctlbuild.keys import load_file_signer_material
>>> key, cert, chain = load_file_signer_material("keys/dev-signer.key", "keys/dev-signer.pem")  # doctest: +SKIP

Passphrases come from a callback (the CLI reads an environment variable or
prompts); they are never taken from arguments and never printed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .certinfo import load_certificates
from .errors import FormatError, SignerKeyError

PassphraseSource = Callable[[str], bytes | None]


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SignerKeyError(f"{path}: cannot read {what} ({exc.strerror})") from None


def load_private_key(path, passphrase: PassphraseSource | None = None):
    """An RSA or EC private key from PEM, DER (PKCS#8 or traditional) or PKCS#12."""
    data = _read(path, "private key")
    if path and str(path).lower().endswith((".p12", ".pfx")):
        return load_pkcs12(path, passphrase)[0]
    for attempt in (None, "ask"):
        password = None if attempt is None else _ask(passphrase, path)
        try:
            if b"-----BEGIN" in data:
                key = serialization.load_pem_private_key(data, password)
            else:
                key = serialization.load_der_private_key(data, password)
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
        raise SignerKeyError(f"{path}: private key is encrypted and no passphrase was given "
                             "(set CTLBUILD_KEY_PASSPHRASE or run in a terminal to be asked)")
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


def load_pkcs12(path, passphrase: PassphraseSource | None = None):
    """(key, certificate DER, [chain DER]) from a PKCS#12 file."""
    data = _read(path, "PKCS#12 file")
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


def load_cert_file(path) -> list[bytes]:
    data = _read(path, "certificate")
    try:
        ders = load_certificates(data, path=path)
        for d in ders:
            x509.load_der_x509_certificate(d)
    except ValueError as exc:
        raise FormatError(f"not a certificate ({_short(exc)})", path=path) from None
    return ders


def load_file_signer_material(key_path, cert_path=None, chain_paths=(),
                              passphrase: PassphraseSource | None = None):
    """(private key, signer certificate DER, chain DERs); checks the key matches the certificate."""
    if str(key_path).lower().endswith((".p12", ".pfx")):
        key, cert, chain = load_pkcs12(key_path, passphrase)
    else:
        if cert_path is None:
            raise SignerKeyError(f"{key_path}: a signer certificate is needed with this key")
        key = load_private_key(key_path, passphrase)
        certs = load_cert_file(cert_path)
        cert, chain = certs[0], certs[1:]
    for p in chain_paths:
        chain.extend(load_cert_file(p))
    check_key_matches(key, cert, key_path)
    return key, cert, chain


def check_key_matches(key, cert_der: bytes, key_path) -> None:
    cert_key = x509.load_der_x509_certificate(cert_der).public_key()
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert_key.public_bytes(*fmt) != key.public_key().public_bytes(*fmt):
        raise SignerKeyError(f"{key_path}: private key does not match the signer certificate")


def write_private_key(path: Path, key) -> None:
    """PKCS#8 PEM, created mode 0600 (never readable by others, even for a moment)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def open_signer(key: str, cert=None, chain=(), *, scheme: str | None = None,
                passphrase: PassphraseSource | None = None):
    """A Signer for a key location. File keys today; ``pkcs11:`` URIs go to a token."""
    from cryptography import x509 as cx

    from .oids import CTL_SIGNER_EKUS
    from .signing import FileSigner

    if key.startswith("pkcs11:"):
        raise SignerKeyError(f"{key}: PKCS#11 signing is not available in this version")
    private_key, cert_der, chain_ders = load_file_signer_material(key, cert, chain, passphrase)
    parsed = cx.load_der_x509_certificate(cert_der)
    try:
        ekus = {o.dotted_string for o in parsed.extensions.get_extension_for_class(cx.ExtendedKeyUsage).value}
    except cx.ExtensionNotFound:
        ekus = set()
    if not ekus & CTL_SIGNER_EKUS:
        raise SignerKeyError(f"{cert or key}: signer certificate has no CTL-signing EKU "
                             "(1.3.6.1.4.1.311.10.3.1 or .10.3.9); Windows would reject the list")
    return FileSigner(private_key, cert_der, chain_ders, scheme)
