"""Baselines ``floor.py`` does not cover, run as child processes like the rows they measure.

  python -m benchmarks.baselines sign FILE KEY.pem SIG       (untimed set-up) RSA PKCS#1 v1.5
                                                             signature over SHA-256(FILE)
  python -m benchmarks.baselines hash-verify FILE CERT SIG   the least a verifier does: read the
                                                             file, SHA-256 it, check one signature
  python -m benchmarks.baselines parse-toml FILE...          read each TOML file (rtoml)
  python -m benchmarks.baselines verify-imports              import what ``verify`` cannot do
                                                             without (VERIFY_IMPORTS), nothing else
  python -m benchmarks.baselines verify-imports FILE CERT SIG
                                                             the same, then hash-verify: the floor
                                                             under ``verify`` with its libraries
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

#: What ``ctlbuild verify`` cannot do without: the CLI (click), the envelope's parser
#: (asn1crypto's CMS), certificates and signatures (cryptography.x509), and RFC 5280 path
#: validation (pyhanko-certvalidator, which imports asyncio, logging, ssl and socket itself).
VERIFY_IMPORTS = ("click", "asn1crypto.cms", "cryptography.x509", "pyhanko_certvalidator")


def _digest(path: str) -> bytes:
    return hashlib.sha256(Path(path).read_bytes()).digest()


def sign(path: str, key_path: str, sig_path: str) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
    Path(sig_path).write_bytes(key.sign(_digest(path), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())))


def hash_verify(path: str, cert_path: str, sig_path: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    cert.public_key().verify(Path(sig_path).read_bytes(), _digest(path), padding.PKCS1v15(),
                             utils.Prehashed(hashes.SHA256()))


def verify_imports(args: list[str]) -> None:
    """With ctlbuild's exit (``ctlbuild._gc.freeze_at_exit``): without it the collector's
    last walks over these libraries' objects cost ~0.1 s more than ``verify`` pays."""
    import importlib

    from ctlbuild._gc import freeze_at_exit

    freeze_at_exit()
    for name in VERIFY_IMPORTS:
        importlib.import_module(name)
    if args:
        hash_verify(*args)


def parse_toml(paths: list[str]) -> None:
    import rtoml

    for p in paths:
        rtoml.loads(Path(p).read_text(encoding="utf-8"))


if __name__ == "__main__":
    job, args = sys.argv[1], sys.argv[2:]
    if job == "sign":
        sign(*args)
    elif job == "hash-verify":
        hash_verify(*args)
    elif job == "verify-imports":
        verify_imports(args)
    elif job == "parse-toml":
        parse_toml(args)
    else:
        sys.exit(__doc__)
