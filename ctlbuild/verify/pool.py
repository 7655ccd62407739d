"""The certificates a SignedData carries, indexed once per file and judged when first needed.

A hostile file can carry thousands of certificates sharing the signer's issuer name or
its issuer and serial. Lookups go by index; at most ``MAX_CANDIDATES`` certificates are
tried per name (those whose key identifier matches first); keys no CA uses (huge RSA
exponents, explicit curves) are left out before any signature is checked; and each
"did A issue B" answer is computed once per file, however many SignerInfos ask.

Every certificate is loaded by cryptography (Rust, strict DER: what lets the strict-DER
walk treat certificates as opaque) and indexed by byte slices of its TBSCertificate
(issuer, serial, subject). Its key and extensions are judged only when a lookup meets it
(the signer's candidates, the issuers along a path): a file stuffed with 10,000 certificates
no path names costs their loading, not their judging (issue 11). A group of candidates is
judged whole before the cap, as before, so refused junk cannot push a real issuer out.
"""
from __future__ import annotations

import hashlib
from functools import cached_property

from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from .._gc import paused
from ..ctl.der import check_shape
from ..formats.certificates import UNDECODABLE_NAME, serials_as_they_are
from ..formats.stl import CERTIFICATES_DEPTH
from ..limits import MAX_DER_DEPTH, MAX_ENVELOPE_ELEMENTS
from .algorithms import key_refusal, key_refusal_numbers

MAX_CANDIDATES = 64
MAX_DEPTH = 8
#: A certificate of SignedData.certificates stands one level below that [0] (ContentInfo,
#: [0], SignedData, [0]): its own nesting is held to what the whole-file walk allowed there.
_CERT_DEPTH = CERTIFICATES_DEPTH + 1
_HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class PoolCert:
    """One certificate: cryptography (Rust, fast) for its key, asn1crypto (parsed only for
    the few a path may use) for path validation; ``issuer`` and ``subject`` are the Name DER
    exactly as the certificate has it (no re-encoding), ``serial`` the serialNumber."""

    def __init__(self, der: bytes, crypto: x509.Certificate, issuer: bytes, serial: int, subject: bytes,
                 position: int = 0):
        self.der = der
        self.crypto = crypto
        self.issuer = issuer
        self.serial = serial
        self.subject = subject
        #: Where it stands among the pool's certificates (the order notes are given in).
        self.position = position
        self.fingerprint = hashlib.sha256(der).digest()
        #: None until judged (key and extensions), then whether a path may use it.
        self.usable: bool | None = None

    @cached_property
    def asn1(self) -> ax509.Certificate:
        return ax509.Certificate.load(self.der)

    @cached_property
    def public_key(self):
        return self.crypto.public_key()


def tbs_fields(der: bytes) -> tuple[bytes, int, bytes]:
    """(issuer DER, serial, subject DER), read off the TBSCertificate by position:
    cryptography's Name objects cost ~100 µs each, and a hostile file has thousands. Only
    for a certificate cryptography has loaded (strict DER): the headers are not checked again."""
    pos = _header(der, _header(der, 0)[0])[0]  # the content of the Certificate's tbsCertificate
    if der[pos] == 0xA0:  # [0] version
        pos = _header(der, pos)[1]
    serial_start, serial_end = _header(der, pos)
    issuer_at = _header(der, serial_end)[1]  # past the signature AlgorithmIdentifier
    issuer_end = _header(der, issuer_at)[1]
    subject_at = _header(der, issuer_end)[1]  # past validity
    return (der[issuer_at:issuer_end], int.from_bytes(der[serial_start:serial_end], "big", signed=True),
            der[subject_at:_header(der, subject_at)[1]])


def _header(der: bytes, pos: int) -> tuple[int, int]:
    """(content start, content end) of the element at ``pos``, its one tag byte and DER length."""
    first = der[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    start = pos + 2 + (first & 0x7F)
    return start, start + int.from_bytes(der[pos + 2:start], "big")


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
    """Certificates indexed by (issuer, serial) and subject; judged when a lookup meets them."""

    def __init__(self, certs, extra=()):
        self.by_sid: dict[tuple, list[PoolCert]] = {}
        self.by_subject: dict[bytes, list[PoolCert]] = {}
        self._ignored: dict[int, str] = {}  # by position: notes keep the certificates' order
        self._unparsed: dict[int, bytes] = {}
        self._first: dict[bytes, PoolCert] = {}  # by fingerprint: a copy is not judged twice
        self.capped: set[str] = set()
        self.reported: set[str] = set()  # capped notes already in the report (once per file)
        self._issued: dict[tuple, bool] = {}
        self.results: dict = {}  # chain results, cached by the path module
        # Old roots' negative serials warn at each read: one narrow guard for the lot (set up per
        # certificate it was most of the cost), not a blanket filter that would hide real problems.
        with serials_as_they_are(), paused():  # 10,000 certificates are 10,000 acyclic objects
            for position, cert in enumerate([*certs, *extra]):
                self._add(position, cert)

    @property
    def ignored(self) -> list[str]:
        """Certificates left out so far, and why: those that do not load, and those judged
        (met by a lookup) whose key is refused or whose extensions do not parse."""
        return [self._ignored[k] for k in sorted(self._ignored)]

    @property
    def unparsed(self) -> list[bytes]:
        """Certificates cryptography's strict DER parser refuses (the verifier says where)."""
        return [self._unparsed[k] for k in sorted(self._unparsed)]

    def _add(self, position: int, cert) -> None:
        der = cert.dump() if isinstance(cert, ax509.Certificate) else cert
        try:
            # cryptography's strict parse of every certificate is what lets strictder treat
            # them as opaque; the key and extensions wait until a lookup meets the certificate.
            crypto = x509.load_der_x509_certificate(der)
            issuer, serial, subject = tbs_fields(der)
        except Exception as exc:  # noqa: BLE001 - ValueError, IndexError, ...: all mean "broken"
            self._leave_out(position, f"a certificate does not parse ({_one_line(exc)})", der)
            return
        entry = PoolCert(der, crypto, issuer, serial, subject, position)
        self._first.setdefault(entry.fingerprint, entry)
        self.by_sid.setdefault((issuer, serial), []).append(entry)
        self.by_subject.setdefault(subject, []).append(entry)

    def _leave_out(self, position: int, why: str, der: bytes | None = None) -> None:
        self._ignored[position] = why
        if der is not None:
            self._unparsed[position] = der

    def _usable(self, group: list[PoolCert]) -> list[PoolCert]:
        """The group's certificates a path may use, each judged once (in the order given)."""
        if any(entry.usable is None for entry in group):
            # One warnings guard for the group (set up per certificate, it cost most), and the
            # cyclic collector paused: judging 1,000 junk keys allocates ~100,000 acyclic
            # asn1crypto objects, whose collections doubled the cost (issue 11's exponent row).
            with serials_as_they_are(), paused():
                for entry in group:
                    self._judged(entry)
        return [entry for entry in group if entry.usable]

    def _judged(self, entry: PoolCert) -> bool:
        if entry.usable is None:
            first = self._first[entry.fingerprint]
            if first is not entry and self._judged(first):
                entry.usable = False  # a second copy: the first stands for it, unnoted
            else:  # a copy of a left-out certificate is noted again, as when all were judged up front
                entry.usable = self._judge(entry)
            if not entry.usable:  # no path uses it: let its parses go (1,000 junk keys are 10 MiB)
                entry.__dict__.pop("asn1", None)
                entry.__dict__.pop("public_key", None)
        return entry.usable

    def _judge(self, entry: PoolCert) -> bool:
        try:
            # asn1crypto parses recursively: bound the certificate before a path lets it in
            # (the envelope's walk leaves the certificates to this and to cryptography).
            check_shape(entry.der, 0, len(entry.der), max_depth=MAX_DER_DEPTH,
                        max_elements=MAX_ENVELOPE_ELEMENTS, depth=_CERT_DEPTH)
            refusal = _refusal(entry)
            entry.crypto.extensions  # cryptography parses extensions on first use: do it now
        except Exception as exc:  # noqa: BLE001 - ValueError, DuplicateExtension, ...: all mean "broken"
            self._leave_out(entry.position, f"a certificate does not parse ({_one_line(exc)})", entry.der)
            return False
        if refusal:
            self._leave_out(entry.position, f"{cert_name(entry)}: {refusal}")
            return False
        return True

    def signer_candidates(self, sid) -> list[PoolCert]:
        """Certificates a SignerIdentifier may name; the caller keeps the one whose key verifies."""
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            found = self._usable(self.by_sid.get((ias["issuer"].dump(), ias["serial_number"].native), []))
        else:
            ski = sid.chosen.native
            found = [c for group in self.by_subject.values() for c in self._usable(group) if _ski(c) == ski]
        return self._cap(found, lambda: "signer identifier")

    def issuers(self, child: PoolCert) -> list[PoolCert]:
        """The certificates that verifiably issued ``child`` (its signature checks with their key)."""
        named = self._usable(self.by_subject.get(child.issuer, []))
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
        return UNDECODABLE_NAME


def cert_name_of_issuer(entry: PoolCert) -> str:
    from ..formats.certificates import common_name
    try:
        return common_name(entry.crypto.issuer)
    except Exception:  # noqa: BLE001 - a hostile name that does not decode is still a name
        return UNDECODABLE_NAME


def cert_name(entry: PoolCert) -> str:
    from ..formats.certificates import common_name
    try:
        return common_name(entry.crypto.subject)
    except Exception:  # noqa: BLE001 - a hostile name that does not decode is still a name
        return UNDECODABLE_NAME


def _one_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
