"""Baselines ``floor.py`` does not cover, run as child processes like the rows they measure.

  python -m benchmarks.baselines sign FILE KEY.pem SIG       (untimed set-up) RSA PKCS#1 v1.5
                                                             signature over SHA-256(FILE)
  python -m benchmarks.baselines hash-verify FILE CERT SIG   the least a verifier does: read the
                                                             file, SHA-256 it, check one signature
  python -m benchmarks.baselines parse-toml FILE...          read each TOML file (rtoml)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


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
    elif job == "parse-toml":
        parse_toml(args)
    else:
        sys.exit(__doc__)
