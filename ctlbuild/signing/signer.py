"""The Signer interface: what signing needs from a key, wherever the key lives.

>>> from ctlbuild.signing.signer import FileSigner
>>> from cryptography.hazmat.primitives.asymmetric import ec
>>> signer = FileSigner(ec.generate_private_key(ec.SECP256R1()), certificate=b"")
>>> signer.scheme, signer.deterministic
('ecdsa', True)

The envelope a signature goes into is assembled by ``ctlbuild.formats.stl.sign_ctl``;
only the key operation goes through the Signer, which is what a PKCS#11 token
(``ctlbuild.signing.pkcs11``) implements too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..errors import SigningError
from ..oids import SIGNING_DIGESTS

SCHEMES = ("pkcs1v15", "pss", "ecdsa")


def hash_algorithm(digest: str) -> hashes.HashAlgorithm:
    """cryptography's hash object for a digest name of ``oids.DIGEST_OIDS`` (sha256, …)."""
    return getattr(hashes, digest.upper())()


class Signer(ABC):
    """What signing needs from a key, wherever the key lives (file, PKCS#11 token)."""

    #: DER of the signer certificate, and of the certificates to embed above it.
    certificate: bytes
    chain: list[bytes]

    @property
    @abstractmethod
    def scheme(self) -> str:
        """One of SCHEMES."""

    @property
    def deterministic(self) -> bool:
        """Same input, same signature? (PSS salts are random.)"""
        return self.scheme != "pss"

    @abstractmethod
    def sign(self, data: bytes, digest: str) -> bytes:
        """Sign ``data`` (hashing it with ``digest``) and return the raw signature."""

    def close(self) -> None:
        """Release what the key holds open (a token session); file keys hold nothing."""

    def __enter__(self) -> "Signer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FileSigner(Signer):
    """A private key held in memory (loaded from a file by ``ctlbuild.signing.keyfiles``).

    Every signature is verified with the signer certificate's public key before it is
    returned. keyfiles loads RSA keys without cryptography's key-consistency check (it costs
    more than a small build: ~0.2 s), so a damaged key would otherwise go unnoticed; this
    check catches it at the one moment it matters, and also a faulty CRT computation, whose
    signature would give the key away to anyone who has it. A signer with no certificate
    (a bare key, as in tests) is held to its own public key."""

    def __init__(self, private_key, certificate: bytes, chain: list[bytes] | None = None,
                 scheme: str | None = None):
        self._key = private_key
        self.certificate = certificate
        self.chain = list(chain or [])
        if scheme is None:
            scheme = "ecdsa" if isinstance(private_key, ec.EllipticCurvePrivateKey) else "pkcs1v15"
        if isinstance(private_key, ec.EllipticCurvePrivateKey) != (scheme == "ecdsa"):
            raise SigningError(f"signature scheme {scheme} does not fit an {_key_kind(private_key)} key")
        self._scheme = scheme

    @property
    def scheme(self) -> str:
        return self._scheme

    def sign(self, data: bytes, digest: str) -> bytes:
        if digest not in SIGNING_DIGESTS:
            raise SigningError(f"unknown digest {digest!r} (one of {', '.join(SIGNING_DIGESTS)})")
        try:
            signature = self._sign(data, digest)
        except ValueError as exc:  # a key that loaded unchecked (see keyfiles) but cannot sign
            raise SigningError(f"the signing key cannot sign: {exc}; it is damaged, or not the key "
                               "its certificate names") from None
        check_signature(self._verifying_key, signature, data, self._scheme, digest)
        return signature

    def _sign(self, data: bytes, digest: str) -> bytes:
        algorithm = hash_algorithm(digest)
        if self._scheme == "ecdsa":
            # RFC 6979 nonces: the same CTL signed twice gives the same bytes.
            return self._key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
        if self._scheme == "pss":
            return self._key.sign(data, _pss(algorithm), algorithm)
        return self._key.sign(data, padding.PKCS1v15(), algorithm)

    @cached_property
    def _verifying_key(self):
        if not self.certificate:
            return self._key.public_key()
        from ..formats.certificates import load_x509  # not at import: the signer is a leaf module

        return load_x509(self.certificate).public_key()


def check_signature(public_key, signature: bytes, data: bytes, scheme: str, digest: str) -> None:
    """SigningError unless ``signature`` over ``data`` verifies with ``public_key``."""
    from cryptography.exceptions import InvalidSignature

    algorithm = hash_algorithm(digest)
    try:
        if scheme == "ecdsa":
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif scheme == "pss":
            public_key.verify(signature, data, _pss(algorithm), algorithm)
        else:
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except (InvalidSignature, TypeError, ValueError):
        raise SigningError("the signature just made does not verify with the signer certificate's public key "
                           "(a damaged private key, or not the certificate's); nothing was written") from None


def _pss(algorithm: hashes.HashAlgorithm) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)


def _key_kind(key) -> str:
    return "RSA" if isinstance(key, rsa.RSAPrivateKey) else "EC"
