"""Verifying a signed CTL: every signature it carries, each check its own finding.

>>> from ctlbuild.verify.verifier import verify_ctl
>>> report = verify_ctl(stl_bytes, anchors=[root_der], now=now)   # doctest: +SKIP
>>> report.ok, [f.check for f in report.findings]                  # doctest: +SKIP

Signatures covered (FORMATS.md §1): the outer SignerInfo(s), whose
messageDigest is over the CTL's content octets; Microsoft's nested SHA-256
signatures (2011–2019), over the whole CTL TLV; PKCS#9 countersignatures
(timestamps, 2006–2010), over the outer signature value.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..ctl.decode import decode_header
from ..errors import FormatError
from ..formats.certificates import common_name, eku_oids
from ..formats.stl import SignedCtl, parse_signed_ctl
from ..oids import CTL_SIGNER_EKUS, Attr, ContentType, HashAlg, SigAlg
from ..timeutil import iso

PASS, FAIL, WARN = "pass", "fail", "warn"
_HASHLIB = {HashAlg.MD5: "md5", HashAlg.SHA1: "sha1", HashAlg.SHA256: "sha256",
            HashAlg.SHA384: "sha384", HashAlg.SHA512: "sha512"}
_CRYPTO_HASH = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256,
                "sha384": hashes.SHA384, "sha512": hashes.SHA512}
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
MAX_CHAIN = 8


@dataclass
class Finding:
    check: str
    status: str
    message: str
    signature: str | None = None

    def as_dict(self) -> dict:
        return {"check": self.check, "status": self.status, "message": self.message,
                "signature": self.signature}


@dataclass
class Report:
    path: str | None
    findings: list[Finding] = field(default_factory=list)
    entry_count: int | None = None
    signing_time: datetime | None = None

    @property
    def ok(self) -> bool:
        return all(f.status != FAIL for f in self.findings)

    def add(self, check, status, message, signature=None) -> None:
        self.findings.append(Finding(check, status, message, signature))

    def as_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "entries": self.entry_count,
                "signing_time": iso(self.signing_time) if self.signing_time else None,
                "findings": [f.as_dict() for f in self.findings]}


@dataclass
class Policy:
    anchors: list[bytes]
    now: datetime
    at: datetime | None = None
    allow_expired: bool = False
    #: SHA-1 digests and certificate signatures: refused unless asked for (Microsoft's own
    #: files used them until 2019-10). MD5 is refused always.
    allow_sha1: bool = False

    @cached_property
    def anchor_certs(self) -> list:
        """The anchors parsed once, however many signatures a file carries."""
        return [x509.load_der_x509_certificate(a) for a in self.anchors]


def verify_ctl(data: bytes, anchors: list[bytes], now: datetime, *, at: datetime | None = None,
               expected_ctl: bytes | None = None, allow_expired: bool = False, allow_sha1: bool = False,
               path=None) -> Report:
    """Check ``data`` (a .stl) against trust ``anchors`` (DER roots). ``expected_ctl`` is the
    CTL DER a list builds, for the "matches its list" check. Never raises for a bad file:
    a file that does not parse is a failed ``structure`` finding."""
    report = Report(str(path) if path else None)
    policy = Policy(anchors, now, at, allow_expired, allow_sha1)
    try:
        signed = parse_signed_ctl(data, path=path)
        header, count = decode_header(signed.ctl_der, path=path, base=signed.ctl_offset)
    except FormatError as exc:
        report.add("structure", FAIL, exc.diagnostics())
        return report
    report.entry_count = count
    report.add("structure", PASS, f"signed CTL with {count} entries, {len(signed.signer_infos)} signature(s)")
    if not signed.signer_infos:
        report.add("signature", FAIL, "the file carries no signature")
    for n, signer_info in enumerate(signed.signer_infos, 1):
        try:
            _verify_signer(report, policy, signed, signer_info, f"signature {n}", header)
        except Exception as exc:  # noqa: BLE001 - fail closed, naming the exception
            # A hostile file can break the lazily parsed parts (a certificate's key, an
            # algorithm's parameters) in ways no single check anticipates: fail closed.
            report.add("structure", FAIL, f"malformed signature data: {type(exc).__name__}: "
                       f"{_one_line(exc)}", f"signature {n}")
    _check_next_update(report, policy, header)
    if expected_ctl is not None:
        _check_list(report, signed.ctl_der, expected_ctl)
    return report


class _Certs:
    """The certificates a SignedData carries, indexed so that lookups stay cheap
    however many junk certificates a hostile file holds."""

    def __init__(self, certs):
        self.by_sid: dict = {}
        self.by_subject: dict = {}
        self.by_ski: dict = {}
        #: Why embedded certificates were left out (they do not parse, even lazily).
        self.broken: list[str] = []
        for c in certs:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # e.g. negative serials in old roots
                    cert = x509.load_der_x509_certificate(c.dump())
                    cert.extensions  # cryptography parses extensions on first use: do it now
                    key = (cert.issuer.public_bytes(), cert.serial_number)
            except Exception as exc:  # noqa: BLE001 - ValueError, DuplicateExtension, ...: all mean "broken"
                self.broken.append(_one_line(exc))
                continue
            self.by_sid[key] = cert
            self.by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
            ski = _ski(cert)
            if ski:
                self.by_ski[ski] = cert

    def find(self, sid: cms.SignerIdentifier):
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            return self.by_sid.get((ias["issuer"].dump(), ias["serial_number"].native))
        return self.by_ski.get(sid.chosen.native)


def _ski(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None


def _verify_signer(report, policy, signed: SignedCtl, signer_info, label, header, *, covered=None,
                   certs=None, content_type=ContentType.CTL, purpose="ctl"):
    """One SignerInfo: digest, contentType, signature, signer EKU and chain, then what it carries."""
    certs = certs or _Certs(signed.certificates)
    covered = signed.content_octets if covered is None else covered
    digest = _HASHLIB.get(signer_info["digest_algorithm"]["algorithm"].dotted)
    if digest is None:
        report.add("digest", FAIL, f"unknown digest algorithm {signer_info['digest_algorithm']['algorithm'].dotted}", label)
        return
    _check_algorithm(report, policy, digest, "digest", label)
    attrs = signer_info["signed_attrs"]
    if not attrs.native:
        # Without signed attributes nothing binds the content type; Microsoft never omits them.
        report.add("signed-attributes", FAIL, "no signed attributes: content type unprotected, not accepted", label)
        return
    values = _attribute_values(attrs)
    _check_content_type(report, values, content_type, label)
    _check_digest(report, values, hashlib.new(digest, covered).digest(), label)
    cert = certs.find(signer_info["sid"])
    if cert is None:
        broken = f" ({len(certs.broken)} embedded certificates do not parse: {certs.broken[0]})" \
            if certs.broken else ""
        report.add("signer", FAIL, f"signer certificate not among the embedded certificates{broken}", label)
        return
    _check_signature(report, cert, signer_info, digest, attrs.dump(force=False), label)
    when = _signing_time(report, policy, values, header, label)
    _check_signed_within_validity(report, values, cert, label)
    _check_eku(report, cert, purpose, label)
    # A timestamp authority need not chain to the CTL's anchors: its chain is reported, not required.
    _check_chain(report, policy, cert, certs, when, label, WARN if purpose == "timestamp" else FAIL)
    _verify_unsigned(report, policy, signed, signer_info, label, header, certs)


def _check_algorithm(report, policy, hash_name: str, what: str, label) -> None:
    """MD5: always refused. SHA-1: refused unless --allow-sha1, and then said so."""
    if hash_name == "md5":
        report.add("algorithm", FAIL, f"MD5 {what}: broken, never accepted", label)
    elif hash_name == "sha1" and policy.allow_sha1:
        report.add("algorithm", WARN, f"SHA-1 {what}: accepted only because of --allow-sha1", label)
    elif hash_name == "sha1":
        report.add("algorithm", FAIL, f"SHA-1 {what}: refused (Microsoft's files before 2020 need "
                   "--allow-sha1)", label)


def _attribute_values(attrs) -> dict:
    values: dict = {}
    for attr in attrs:
        values.setdefault(attr["type"].dotted, []).extend(attr["values"])
    return values


def _check_content_type(report, values, expected, label):
    found = values.get(Attr.CONTENT_TYPE, [])
    if len(found) != 1:
        report.add("content-type", FAIL, f"{len(found)} contentType attributes (exactly one required)", label)
    elif found[0].dotted != expected:
        report.add("content-type", FAIL, f"contentType attribute is {found[0].dotted}, not {expected}", label)
    else:
        report.add("content-type", PASS, f"contentType attribute is {expected}", label)


def _check_digest(report, values, computed: bytes, label):
    found = values.get(Attr.MESSAGE_DIGEST, [])
    if len(found) != 1:
        report.add("digest", FAIL, f"{len(found)} messageDigest attributes (exactly one required)", label)
    elif found[0].native != computed:
        report.add("digest", FAIL, "content digest differs from the signed messageDigest: "
                   "the content was changed after signing", label)
    else:
        report.add("digest", PASS, "content digest equals the signed messageDigest", label)


def _check_signature(report, cert, signer_info, digest, signed_bytes, label):
    # The signature covers the attributes with a SET tag, not the [0] IMPLICIT one.
    data = b"\x31" + signed_bytes[1:]
    try:
        _verify_raw(_public_key(cert), signer_info["signature_algorithm"], digest,
                    signer_info["signature"].native, data)
    except InvalidSignature:
        report.add("signature", FAIL, "signature over the signed attributes does not verify", label)
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        report.add("signature", FAIL, f"signature cannot be checked: {_one_line(exc)}", label)
    else:
        report.add("signature", PASS, f"signature valid ({_subject(cert)})", label)


def _one_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


class ExplicitCurveError(ValueError):
    pass


def _public_key(cert):
    """The certificate's key. An EC key given with explicit curve parameters is refused:
    that is how CVE-2020-0601 ("CurveBall") spoofed roots, and no real CA needs it."""
    if _has_explicit_curve(cert):
        raise ExplicitCurveError(f"{_subject(cert)} has an EC key with explicit curve parameters (refused)")
    return cert.public_key()


def _has_explicit_curve(cert) -> bool:
    from asn1crypto import x509 as ax509
    algorithm = ax509.Certificate.load(cert.public_bytes(Encoding.DER))["tbs_certificate"][
        "subject_public_key_info"]["algorithm"]
    return algorithm["algorithm"].native == "ec" and algorithm["parameters"].name != "named"


def _verify_raw(public_key, algorithm, digest, signature, data):
    oid = algorithm["algorithm"].dotted
    hash_ = _CRYPTO_HASH[digest]()
    if isinstance(public_key, rsa.RSAPublicKey):
        if oid == SigAlg.RSA_PSS:
            # The PSS hashes must be the digest algorithm the policy already judged: otherwise
            # MD5 or SHA-1 could hide in the parameters behind a SHA-256 digestAlgorithm.
            params = algorithm["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            mgf = params["mask_gen_algorithm"]
            mgf_hash = mgf["parameters"]["algorithm"].native if mgf["algorithm"].native == "mgf1" else None
            if pss_hash != digest or mgf_hash != digest:
                raise ValueError(f"RSA-PSS parameters use {pss_hash} (MGF1 {mgf_hash}) but the digest "
                                 f"algorithm is {digest}: refused")
            pad = padding.PSS(mgf=padding.MGF1(hash_), salt_length=params["salt_length"].native)
            return public_key.verify(signature, data, pad, hash_)
        if oid in (SigAlg.RSA, SigAlg.SHA1_RSA, SigAlg.SHA256_RSA, SigAlg.SHA384_RSA, SigAlg.SHA512_RSA,
                   SigAlg.MD5_RSA):
            return public_key.verify(signature, data, padding.PKCS1v15(), hash_)
    if isinstance(public_key, ec.EllipticCurvePublicKey) and oid.startswith("1.2.840.10045.4"):
        return public_key.verify(signature, data, ec.ECDSA(hash_))
    raise ValueError(f"signature algorithm {oid} does not fit a {type(public_key).__name__}")


def _signing_time(report, policy, values, header, label) -> datetime:
    if policy.at is not None:
        when, source = policy.at, "--at"
    elif values.get(Attr.SIGNING_TIME):
        when, source = values[Attr.SIGNING_TIME][0].native, "signingTime attribute"
    else:
        when, source = header.this_update, "thisUpdate (no signingTime attribute)"
    report.signing_time = report.signing_time or when
    report.add("signing-time", PASS, f"validated at {iso(when)} from {source}", label)
    if header.next_update is not None and when > header.next_update:
        report.add("signing-time", FAIL, f"signed at {iso(when)}, after the list's nextUpdate "
                   f"{iso(header.next_update)}", label)
    return when


def _check_signed_within_validity(report, values, cert, label) -> None:
    """A signingTime outside the signer's validity is a lie or a stolen key; --at does not excuse it."""
    if not values.get(Attr.SIGNING_TIME):
        return
    when = values[Attr.SIGNING_TIME][0].native
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        report.add("signing-time", FAIL, f"signingTime {iso(when)} is outside the signer certificate's "
                   f"validity ({_validity(cert)})", label)


def _check_eku(report, cert, purpose, label):
    ekus = eku_oids(cert)
    wanted = {TIME_STAMPING} if purpose == "timestamp" else CTL_SIGNER_EKUS
    if ekus & wanted:
        report.add("signer-eku", PASS, f"signer carries EKU {', '.join(sorted(ekus & wanted))}", label)
    else:
        what = "time stamping" if purpose == "timestamp" else "CTL-signing"
        report.add("signer-eku", FAIL, f"signer certificate carries no {what} EKU "
                   f"(has: {', '.join(sorted(ekus)) or 'none'})", label)


def _check_chain(report, policy, cert, certs: _Certs, when: datetime, label, severity=FAIL):
    path, problem = _build_chain(cert, certs, policy.anchor_certs)
    names = " → ".join(_subject(c) for c in path)
    if problem:
        report.add("chain", severity, f"{problem} (chain: {names})", label)
        return
    stale = [c for c in path if not (c.not_valid_before_utc <= when <= c.not_valid_after_utc)]
    if stale:
        report.add("chain", severity, f"{_subject(stale[0])} not valid at {iso(when)} "
                   f"({_validity(stale[0])}) (chain: {names})", label)
        return
    report.add("chain", PASS, f"chain to the anchor valid at {iso(when)}: {names}", label)
    for c in path[:-1]:  # the anchor's self-signature is not relied on
        name = _cert_hash_name(c)
        if name in ("md5", "sha1"):
            _check_algorithm(report, policy, name, f"signature on {_subject(c)}", label)
    expired = [c for c in path if c.not_valid_after_utc < policy.now]
    if expired:
        report.add("expiry", WARN, "expired now, valid when signed: " +
                   "; ".join(f"{_subject(c)} (until {iso(c.not_valid_after_utc)})" for c in expired), label)
    else:
        report.add("expiry", PASS, "signer and chain are valid now", label)


def _cert_hash_name(cert) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "md5" if cert.signature_algorithm_oid.dotted_string == SigAlg.MD5_RSA else None
    return algorithm.name if algorithm else None


def _build_chain(cert, certs: _Certs, anchors) -> tuple[list, str | None]:
    path = [cert]
    current = cert
    for _ in range(MAX_CHAIN):
        for anchor in anchors:
            if current == anchor or _issued_by(current, anchor):
                if current != anchor:
                    path.append(anchor)
                return path, None
        issuer = next((c for c in certs.by_subject.get(current.issuer.public_bytes(), [])
                       if c not in path and _issued_by(current, c)), None)
        if issuer is None:
            return path, f"no path to the anchor: nothing verifiably issued {_subject(current)}"
        if not _is_ca(issuer):
            return path + [issuer], f"{_subject(issuer)} is not a CA (basicConstraints cA missing)"
        path.append(issuer)
        current = issuer
    return path, f"chain longer than {MAX_CHAIN}"


def _issued_by(child, parent) -> bool:
    # By hand rather than verify_directly_issued_by, which refuses SHA-1: Microsoft's
    # CTL chains were SHA-1 until 2019 (algorithm strength is judged elsewhere).
    if child.issuer != parent.subject:
        return False
    try:
        key = _public_key(parent)
        params = child.signature_algorithm_parameters
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, params, child.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, params)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _subject(cert) -> str:
    return common_name(cert.subject)


def _validity(cert) -> str:
    return f"{iso(cert.not_valid_before_utc)} .. {iso(cert.not_valid_after_utc)}"


def _verify_unsigned(report, policy, signed, signer_info, label, header, certs):
    unsigned = signer_info["unsigned_attrs"]
    if not unsigned.native:
        return
    for attr in unsigned:
        oid = attr["type"].dotted
        for n, value in enumerate(attr["values"], 1):
            if oid == Attr.NESTED_SIGNATURE:
                _verify_nested(report, policy, signed, value, f"{label}, nested {n}", header)
            elif oid == Attr.COUNTER_SIGNATURE:
                covered = signer_info["signature"].native
                _verify_signer(report, policy, signed, value, f"{label}, countersignature {n}", header,
                               covered=covered, certs=certs, content_type=ContentType.DATA,
                               purpose="timestamp")


def _verify_nested(report, policy, signed: SignedCtl, content_info, label, header):
    """Microsoft's nested signature: a detached SignedData over the whole CTL TLV."""
    try:
        inner = content_info["content"]
        inner_certs = _Certs(inner["certificates"] if inner["certificates"].native else [])
        signer_infos = list(inner["signer_infos"])
        content_type = inner["encap_content_info"]["content_type"].dotted
    except (ValueError, TypeError, KeyError) as exc:
        report.add("structure", FAIL, f"nested signature does not parse: {exc}", label)
        return
    for n, signer_info in enumerate(signer_infos, 1):
        _verify_signer(report, policy, signed, signer_info, label if n == 1 else f"{label}.{n}", header,
                       covered=signed.ctl_der, certs=inner_certs, content_type=content_type)


def _check_next_update(report, policy, header):
    if header.next_update is None:
        report.add("next-update", PASS, "the list sets no nextUpdate")
    elif header.next_update < policy.now:
        status = WARN if policy.allow_expired else FAIL
        report.add("next-update", status, f"nextUpdate {iso(header.next_update)} has passed"
                   + (" (allowed by --allow-expired)" if policy.allow_expired else ""))
    else:
        report.add("next-update", PASS, f"nextUpdate {iso(header.next_update)} not yet reached")


def _check_list(report, actual: bytes, expected: bytes):
    if actual == expected:
        report.add("list", PASS, "entries and header equal what the list builds")
        return
    from ..ctl.decode import decode_ctl
    got, want = decode_ctl(actual), decode_ctl(expected)
    got_ids = {e.identifier: e for e in got.entries}
    want_ids = {e.identifier: e for e in want.entries}
    missing = [e.label for i, e in want_ids.items() if i not in got_ids]
    extra = [e.label for i, e in got_ids.items() if i not in want_ids]
    changed = [e.label for i, e in want_ids.items() if i in got_ids and got_ids[i] != e]
    parts = [f"{len(missing)} missing", f"{len(extra)} extra", f"{len(changed)} changed"]
    sample = (missing + extra + changed)[:3]
    detail = f" (e.g. {', '.join(sample)})" if sample else " (header differs)"
    report.add("list", FAIL, "file differs from what the list builds: " + ", ".join(parts) + detail)

