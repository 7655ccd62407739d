"""The certificates a SignedData carries, parsed and indexed once per file.

A hostile file can carry thousands of certificates sharing the signer's issuer name or
its issuer and serial. Lookups go by index; at most ``MAX_CANDIDATES`` certificates are
tried per name (those whose key identifier matches first); keys no CA uses (huge RSA
exponents, explicit curves) are left out before any signature is checked; and each
"did A issue B" answer is computed once per file, however many SignerInfos ask.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from ..ctl.der import read_tlv
from ..formats.certificates import load_x509, serials_as_they_are
from .algorithms import key_refusal, key_refusal_numbers

MAX_CANDIDATES = 64
MAX_DEPTH = 8
_HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(eq=False)
class PoolCert:
    """One certificate: cryptography (Rust, fast) to index it and for its key, asn1crypto
    (parsed only for the few a path may use) for path validation."""
    der: bytes
    crypto: x509.Certificate
    fingerprint: bytes = field(init=False)

    def __post_init__(self):
        self.fingerprint = hashlib.sha256(self.der).digest()

    @cached_property
    def asn1(self) -> ax509.Certificate:
        return ax509.Certificate.load(self.der)

    @cached_property
    def public_key(self):
        return self.crypto.public_key()

    @cached_property
    def _names(self) -> tuple[bytes, bytes]:
        return tbs_names(self.der)

    @property
    def issuer(self) -> bytes:
        """The issuer Name's DER exactly as the certificate has it (no re-encoding)."""
        return self._names[0]

    @property
    def subject(self) -> bytes:
        return self._names[1]


def tbs_names(der: bytes) -> tuple[bytes, bytes]:
    """(issuer, subject) DER, read off the TBSCertificate by position: cryptography's Name
    objects cost ~100 µs each, and a hostile file has thousands."""
    _t, cert, _e = read_tlv(der, 0)
    _t, pos, tbs_end = read_tlv(der, cert)
    fields = []
    while pos < tbs_end and len(fields) < 6:
        tag, _s, end = read_tlv(der, pos, tbs_end)
        fields.append(der[pos:end])
        pos = end
    if fields and fields[0][:1] == b"\xa0":  # [0] version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject
    return fields[2], fields[4]


def load(der: bytes) -> PoolCert:
    return PoolCert(der, load_x509(der))  # quietly for negative serials in old roots


def _refusal(entry: PoolCert) -> str | None:
    """The key rules of ``algorithms.key_refusal``, read through cryptography: the exponent
    is looked at before any signature is checked with it."""
    try:
        key = entry.public_key
    except (ValueError, UnsupportedAlgorithm):
        # cryptography refuses explicit curves and odd encodings: ask asn1crypto why.
        return key_refusal(entry.asn1["tbs_certificate"]["subject_public_key_info"]) or "key does not load"
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return key_refusal_numbers(key.key_size, numbers.e)
    if isinstance(key, ec.EllipticCurvePublicKey):
        # OpenSSL maps explicit parameters of a known curve to its name: ask the encoding.
        return key_refusal(entry.asn1["tbs_certificate"]["subject_public_key_info"])
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return None
    return f"{type(key).__name__} (not accepted for CTL signatures)"


class CertPool:
    """Certificates indexed by (issuer, serial), subject and key identifier."""

    def __init__(self, certs, extra=()):
        self.by_sid: dict[tuple, list[PoolCert]] = {}
        self.by_subject: dict[bytes, list[PoolCert]] = {}
        #: Certificates left out, and why (they do not parse, or their key is refused).
        self.ignored: list[str] = []
        self.capped: set[str] = set()
        self.reported: set[str] = set()  # capped notes already in the report (once per file)
        #: Certificates cryptography's strict DER parser refuses (the verifier says where).
        self.unparsed: list[bytes] = []
        self._issued: dict[tuple, bool] = {}
        self.results: dict = {}  # chain results, cached by the path module
        seen = set()
        # Old roots' negative serials warn at each read: one narrow guard for the lot (set up per
        # certificate it was most of the cost), not a blanket filter that would hide real problems.
        with serials_as_they_are():
            for cert in [*certs, *extra]:
                self._add(cert, seen)

    def _add(self, cert, seen) -> None:
        der = cert.dump() if isinstance(cert, ax509.Certificate) else cert
        try:
            entry = PoolCert(der, x509.load_der_x509_certificate(der))  # load() without its guard: __init__ holds one for the lot
            if entry.fingerprint in seen:
                return
            sid = (entry.issuer, entry.crypto.serial_number)
            entry.subject
            refusal = _refusal(entry)
            entry.crypto.extensions  # cryptography parses extensions on first use: do it now
        except Exception as exc:  # noqa: BLE001 - ValueError, DuplicateExtension, ...: all mean "broken"
            self.ignored.append(f"a certificate does not parse ({_one_line(exc)})")
            self.unparsed.append(der)
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
            found = [c for group in self.by_subject.values() for c in group if _ski(c) == ski]
        return self._cap(found, lambda: "signer identifier")

    def issuers(self, child: PoolCert) -> list[PoolCert]:
        """The certificates that verifiably issued ``child`` (its signature checks with their key)."""
        named = self.by_subject.get(child.issuer, [])
        aki = _aki(child)
        if aki is not None and len(named) > 1:  # likely issuers first, so decoys cannot push them past the cap
            named = sorted(named, key=lambda c: _ski(c) != aki)
        return [c for c in self._cap(named, lambda: "issuer name " + cert_name_of_issuer(child))
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

    def _cap(self, found: list[PoolCert], what) -> list[PoolCert]:
        if len(found) > MAX_CANDIDATES:
            self.capped.add(f"{len(found)} certificates share the {what()}; only the first "
                            f"{MAX_CANDIDATES} were tried")
            return found[:MAX_CANDIDATES]
        return found


def _ski(cert: PoolCert) -> bytes | None:
    try:
        return cert.crypto.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _aki(cert: PoolCert) -> bytes | None:
    try:
        return cert.crypto.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return None


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


def cert_name_of_issuer(entry: PoolCert) -> str:
    from ..formats.certificates import common_name
    try:
        return common_name(entry.crypto.issuer)
    except Exception:  # noqa: BLE001 - a hostile name that does not decode is still a name
        return "(undecodable name)"


def cert_name(entry: PoolCert) -> str:
    from ..formats.certificates import common_name
    try:
        return common_name(entry.crypto.subject)
    except Exception:  # noqa: BLE001 - a hostile name that does not decode is still a name
        return "(undecodable name)"


def _one_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
