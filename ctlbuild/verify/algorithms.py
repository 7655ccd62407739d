"""Key and algorithm policy: one table (README, *Security*), judged the same way for the
signature over a CTL and for every certificate signature on the path to an anchor.

>>> from ctlbuild.verify.algorithms import hash_refusal
>>> hash_refusal("md5", allow_sha1=True, allow_md5=False)
'MD5 (refused; --allow-md5 accepts it for auditing pre-2010 files)'
"""

from __future__ import annotations

from asn1crypto import keys

#: Windows refuses RSA public exponents wider than 32 bits (CryptoAPI's RSAPUBKEY.pubexp is a
#: DWORD); a 3072-bit exponent makes each signature check cost as much as a private-key
#: operation, which is how a file full of junk certificates turned verify into minutes.
MAX_RSA_EXPONENT_BITS = 32
#: Larger moduli cost quadratically more to check and no CA uses them (Windows' limit too).
MAX_RSA_BITS = 16384
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256


def hash_refusal(name: str, *, allow_sha1: bool, allow_md5: bool) -> str | None:
    """Why a hash is refused under this policy, or None when it is accepted."""
    if name in ("md2", "md4"):
        return f"{name.upper()} (refused always)"
    if name == "md5" and not allow_md5:
        return "MD5 (refused; --allow-md5 accepts it for auditing pre-2010 files)"
    if name == "sha1" and not allow_sha1:
        return "SHA-1 (refused; Microsoft's files before 2020 need --allow-sha1)"
    return None


def hash_flag(name: str) -> str | None:
    """The flag that accepted a weak hash: its use is then reported as a warning."""
    return {"md5": "--allow-md5", "sha1": "--allow-sha1"}.get(name)


def key_label(spki: keys.PublicKeyInfo) -> str:
    algorithm = spki.algorithm
    if algorithm == "ec":
        curve = spki.curve[1] if spki["algorithm"]["parameters"].name == "named" else "explicit curve"
        return f"EC {curve} ({spki.bit_size} bits)"
    if algorithm in ("rsa", "rsassa_pss"):
        return f"RSA-{spki.bit_size}"
    return algorithm.upper()


def key_refusal(spki: keys.PublicKeyInfo) -> str | None:
    """A key refused whatever the flags: it is malformed, hostile or unverifiable."""
    algorithm = spki.algorithm
    if algorithm == "ec":
        if spki["algorithm"]["parameters"].name != "named":
            # CVE-2020-0601 ("CurveBall") spoofed roots with explicit parameters.
            return "EC key with explicit curve parameters (refused)"
        return None
    if algorithm in ("rsa", "rsassa_pss"):
        return key_refusal_numbers(spki.bit_size, spki["public_key"].parsed["public_exponent"].native)
    if algorithm in ("ed25519", "ed448"):
        return None
    return f"{algorithm} key (not accepted for CTL signatures)"


def key_refusal_numbers(bits: int, exponent: int) -> str | None:
    if bits > MAX_RSA_BITS:
        return f"RSA modulus of {bits} bits (over {MAX_RSA_BITS}; refused)"
    if exponent.bit_length() > MAX_RSA_EXPONENT_BITS:
        return (f"RSA public exponent of {exponent.bit_length()} bits (over {MAX_RSA_EXPONENT_BITS}, "
                "which Windows refuses too)")
    if exponent < 3 or exponent % 2 == 0:
        return f"RSA public exponent {exponent} (not an odd number >= 3)"
    return None


def weak_key(spki: keys.PublicKeyInfo) -> str | None:
    """A key below the floor: refused unless --allow-weak-keys (historical files)."""
    if spki.algorithm in ("rsa", "rsassa_pss") and spki.bit_size < MIN_RSA_BITS:
        return f"RSA-{spki.bit_size} (below {MIN_RSA_BITS} bits)"
    if spki.algorithm == "ec" and spki.bit_size < MIN_EC_BITS:
        return f"{key_label(spki)} (below P-256)"
    return None
