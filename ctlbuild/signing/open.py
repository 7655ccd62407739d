"""A key location — a key file or a ``pkcs11:`` URI (RFC 7512) — opened as a Signer.

>>> from ctlbuild.signing.open import is_pkcs11_uri, open_signer
>>> is_pkcs11_uri("PKCS11:token=hsm;object=ctl-signer"), is_pkcs11_uri("keys/dev-signer.key")
(True, False)
>>> signer = open_signer("pkcs11:token=hsm;object=ctl-signer", pin=lambda token: "1234")  # doctest: +SKIP

Both kinds of signer get the same checks here: the certificate must carry a
CTL-signing EKU (Windows rejects lists signed without one), and the key must be the
certificate's (each loader checks that against its own key).
"""

from __future__ import annotations

from ..errors import SignerKeyError
from ..formats.certificates import eku_oids, load_x509
from ..oids import CTL_SIGNER_EKUS
from .keyfiles import PassphraseSource, PinSource, load_file_signer_material
from .signer import FileSigner, Signer


def is_pkcs11_uri(key) -> bool:
    """Does this key location name a PKCS#11 object (RFC 7512) rather than a file?"""
    return isinstance(key, str) and key[:7].lower() == "pkcs11:"


def open_signer(key: str, cert=None, chain=(), *, scheme: str | None = None,
                passphrase: PassphraseSource | None = None, pin: PinSource | None = None,
                allow_insecure_permissions: bool = False) -> Signer:
    """A Signer for a key location: a key file, or a ``pkcs11:`` URI naming a key on a token.

    A token signer holds a session open: close it (``signer.close()``) when done."""
    if is_pkcs11_uri(key):
        from .pkcs11 import (
            open_pkcs11_signer,  # python-pkcs11 costs 0.1 s to import: only for tokens
        )

        signer = open_pkcs11_signer(key, cert, chain, scheme=scheme, pin=pin,
                                    allow_insecure_permissions=allow_insecure_permissions)
        try:
            check_ctl_signer_certificate(signer.certificate, cert or key)
        except BaseException:
            signer.close()
            raise
        return signer
    private_key, cert_der, chain_ders = load_file_signer_material(
        key, cert, chain, passphrase, allow_insecure_permissions=allow_insecure_permissions)
    check_ctl_signer_certificate(cert_der, cert or key)
    return FileSigner(private_key, cert_der, chain_ders, scheme)


def check_ctl_signer_certificate(cert_der: bytes, where) -> None:
    """Refuse a signer certificate without a CTL-signing EKU: Windows would reject its lists."""
    if not eku_oids(load_x509(cert_der)) & CTL_SIGNER_EKUS:
        raise SignerKeyError(f"{where}: signer certificate has no CTL-signing EKU "
                             "(1.3.6.1.4.1.311.10.3.1 or .10.3.9); Windows would reject the list")
