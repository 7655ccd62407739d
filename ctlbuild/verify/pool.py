"""The certificates a SignedData carries, parsed and indexed once per file.

A hostile file can carry thousands of certificates sharing the signer's issuer name or
its issuer and serial. Lookups go by index; at most ``MAX_CANDIDATES`` certificates are
tried per name (those whose key identifier matches first); keys no CA uses (huge RSA
exponents, explicit curves) are left out before any signature is checked; and each
"did A issue B" answer is computed once per file, however many SignerInfos ask.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from functools import cached_property

from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from .algorithms import key_refusal

MAX_CANDIDATES = 64
MAX_DEPTH = 8
_HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(eq=False)
class PoolCert:
    """One certificate: asn1crypto for path validation, cryptography for its key."""
    asn1: ax509.Certificate
    der: bytes
    fingerprint: bytes = field(init=False)

    def __post_init__(self):
        self.fingerprint = hashlib.sha256(self.der).digest()

    @cached_property
    def crypto(self) -> x509.Certificate:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. negative serials in old roots
            return x509.load_der_x509_certificate(self.der)

    @cached_property
    def public_key(self):
        return self.crypto.public_key()

    @property
    def subject(self) -> bytes:
        return self.asn1["tbs_certificate"]["subject"].dump()

    @property
    def issuer(self) -> bytes:
        return self.asn1["tbs_certificate"]["issuer"].dump()


def load(der: bytes) -> PoolCert:
    return PoolCert(ax509.Certificate.load(der), der)


class CertPool:
    """Certificates indexed by (issuer, serial), subject and key identifier."""

    def __init__(self, certs, extra=()):
        self.by_sid: dict[tuple, list[PoolCert]] = {}
        self.by_subject: dict[bytes, list[PoolCert]] = {}
        #: Certificates left out, and why (they do not parse, or their key is refused).
        self.ignored: list[str] = []
        self.capped: set[str] = set()
        self._issued: dict[tuple, bool] = {}
        self.results: dict = {}  # chain results, cached by the path module
        seen = set()
        for cert in [*certs, *extra]:
            self._add(cert, seen)

    def _add(self, cert, seen) -> None:
        try:
            entry = PoolCert(cert, cert.dump()) if isinstance(cert, ax509.Certificate) else load(cert)
            if entry.fingerprint in seen:
                return
            tbs = entry.asn1["tbs_certificate"]
            sid = (tbs["issuer"].dump(), tbs["serial_number"].native)
            refusal = key_refusal(tbs["subject_public_key_info"])
            entry.crypto.extensions  # cryptography parses extensions on first use: do it now
        except Exception as exc:  # noqa: BLE001 - ValueError, DuplicateExtension, ...: all mean "broken"
            self.ignored.append(f"a certificate does not parse ({_one_line(exc)})")
            return
        if refusal:
            self.ignored.append(f"{cert_name(entry)}: {refusal}")
            return
        seen.add(entry.fingerprint)
        self.by_sid.setdefault(sid, []).append(entry)
        self.by_subject.setdefault(entry.subject, []).append(entry)

    def signer_candidates(self, sid) -> list[PoolCert]:
        """Certificates a SignerIdentifier may name; the caller keeps the one whose key verifies."""
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            found = self.by_sid.get((ias["issuer"].dump(), ias["serial_number"].native), [])
        else:
            ski = sid.chosen.native
            found = [c for group in self.by_subject.values() for c in group if c.asn1.key_identifier == ski]
        return self._cap(found, "signer identifier")

    def issuers(self, child: PoolCert) -> list[PoolCert]:
        """The certificates that verifiably issued ``child`` (its signature checks with their key)."""
        named = self.by_subject.get(child.issuer, [])
        aki = child.asn1.authority_key_identifier
        if aki is not None:  # likely issuers first, so that decoys cannot push them past the cap
            named = sorted(named, key=lambda c: c.asn1.key_identifier != aki)
        return [c for c in self._cap(named, "issuer name " + name_of(child.asn1["tbs_certificate"]["issuer"]))
                if c is not child and self.issued_by(child, c)]

    def reachable(self, leaf: PoolCert) -> list[PoolCert]:
        """Every pool certificate on some chain of verified issuers above ``leaf``: all that a
        path builder needs to see, so that decoys cost it nothing."""
        found: dict[bytes, PoolCert] = {}
        layer = [leaf]
        for _ in range(MAX_DEPTH):
            nxt = []
            for cert in layer:
                for issuer in self.issuers(cert):
                    if issuer.fingerprint not in found and issuer is not leaf:
                        found[issuer.fingerprint] = issuer
                        nxt.append(issuer)
            if not nxt:
                break
            layer = nxt
        return list(found.values())

    def issued_by(self, child: PoolCert, parent: PoolCert) -> bool:
        key = (child.fingerprint, parent.fingerprint)
        if key not in self._issued:
            self._issued[key] = signature_by(child, parent)
        return self._issued[key]

    def _cap(self, found: list[PoolCert], what: str) -> list[PoolCert]:
        if len(found) > MAX_CANDIDATES:
            self.capped.add(f"{len(found)} certificates share the {what}; only the first "
                            f"{MAX_CANDIDATES} were tried")
            return found[:MAX_CANDIDATES]
        return found


def signature_by(child: PoolCert, parent: PoolCert) -> bool:
    """Does ``parent``'s key verify ``child``'s signature? Weak hashes are checked here too:
    the path validator judges them by policy and names them."""
    algorithm = child.asn1["signature_algorithm"]
    tbs = child.asn1["tbs_certificate"].dump()
    signature = child.asn1["signature_value"].native
    try:
        key = parent.public_key
        sig_algo = algorithm.signature_algo
        if sig_algo in ("ed25519", "ed448"):
            if not isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
                return False
            key.verify(signature, tbs)
            return True
        if sig_algo == "rsassa_pss":
            params = algorithm["parameters"]
            hash_ = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            mgf_hash = _HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
            pad = padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=params["salt_length"].native)
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(signature, tbs, pad, hash_)
            return True
        hash_ = _HASHES[algorithm.hash_algo]()
        if sig_algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, tbs, padding.PKCS1v15(), hash_)
            return True
        if sig_algo == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs, ec.ECDSA(hash_))
            return True
    except (InvalidSignature, ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        return False
    return False


def name_of(name: ax509.Name) -> str:
    """The name as a person knows it (escaping is the printer's job, not ours)."""
    try:
        cn = name.native.get("common_name")
        cn = cn[-1] if isinstance(cn, list) else cn
        return str(cn) if cn else name.human_friendly
    except Exception:  # noqa: BLE001 - a hostile name that does not decode is still a name
        return "(undecodable name)"


def cert_name(entry: PoolCert) -> str:
    return name_of(entry.asn1["tbs_certificate"]["subject"])


def _one_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
