"""Verifying a signed CTL: every signature it carries, each check its own finding.

>>> from ctlbuild.verify.verifier import verify_ctl
>>> report = verify_ctl(stl_bytes, anchors=[root_der], now=now)   # doctest: +SKIP
>>> report.ok, [f.check for f in report.findings]                  # doctest: +SKIP

Signatures covered (FORMATS.md §1): the outer SignerInfo(s), whose
messageDigest is over the CTL's content octets; Microsoft's nested SHA-256
signatures (2011–2019), over the whole CTL TLV; PKCS#9 countersignatures
(timestamps, 2006–2010), over the outer signature value.

The parts: ``strictder`` (every element DER), ``pool`` (certificates parsed and indexed
once), ``paths`` (RFC 5280 by pyhanko-certvalidator plus Windows' EKU rules),
``algorithms`` (the key and hash table), ``findings`` (report and policy).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import core
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from ..ctl.decode import decode_header
from ..ctl.der import DerError, children, read_tlv
from ..errors import FormatError
from ..formats.stl import SignedCtl, check_certificates, parse_signed_ctl
from ..oids import DIGEST_OIDS, Attr, ContentType, SigAlg, Usage
from ..reports.terminal import plural
from ..signing.signer import hash_algorithm
from ..timeutil import iso
from . import paths
from .algorithms import hash_flag, hash_refusal, key_label, key_refusal, weak_key
from .facts import CertFacts, algorithm_id
from .findings import FAIL, PASS, WARN, ChainResult, EntryRef, FileFacts, Finding, Policy, Report, SignatureResult
from .pool import CertPool, PoolCert, cert_name
from .strictder import der_problem

__all__ = ["verify_ctl", "Report", "Finding", "Policy", "PASS", "FAIL", "WARN"]

#: The digests a signature may name, by OID (the one table: oids.DIGEST_OIDS).
_HASHLIB = {oid: name for name, oid in DIGEST_OIDS.items()}
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
PIN_RULES_CTL = "1.3.6.1.4.1.311.10.3.32"
#: Signed attributes that must occur once with one value (RFC 5652 §11; a second
#: signingTime is how a file could show one reader one time and another reader another).
_SINGLE = {Attr.CONTENT_TYPE: "contentType", Attr.MESSAGE_DIGEST: "messageDigest",
           Attr.SIGNING_TIME: "signingTime"}


def signer_ekus(usages) -> frozenset[str]:
    """The EKUs a signer of a list with these usages may sign under (README, *Security*):
    a trusted-root list needs a root list signer; pin rules need a pin-rules signer, who
    signs nothing else; other lists take CTL signing or a root/revoked list signer."""
    if PIN_RULES_CTL in usages:
        return frozenset({Usage.PIN_RULES_SIGNER})
    if Usage.ROOT_LIST_SIGNER in usages:
        return frozenset({Usage.ROOT_LIST_SIGNER})
    return frozenset({Usage.CTL_SIGNING, Usage.ROOT_LIST_SIGNER, Usage.REVOKED_LIST_SIGNER})


@dataclass
class _Context:
    report: Report
    policy: Policy
    signed: SignedCtl
    header: object
    rules: paths.Rules
    ekus: frozenset[str]
    #: CertFacts by DER, so a certificate on many paths is described once.
    infos: dict = field(default_factory=dict)
    chains: dict = field(default_factory=dict)


def verify_ctl(data: bytes, anchors: list[bytes], now: datetime, *, at: datetime | None = None,
               expected_ctl: bytes | None = None, allow_expired: bool = False, allow_sha1: bool = False,
               allow_md5: bool = False, allow_weak_keys: bool = False, untrusted: list[bytes] = (),
               path=None, file_hash: bool = True) -> Report:
    """Check ``data`` (a .stl) against trust ``anchors`` (DER certificates). ``untrusted``
    are intermediates that may complete a path but are not trusted themselves.
    ``expected_ctl`` is the CTL DER a list builds, for the "matches its list" check. Never
    raises for a bad file: one that does not parse is a failed ``structure`` finding with
    ``report.malformed`` set. With ``file_hash`` False, ``report.file.sha256`` is None: the
    file's SHA-256 is a fact for ``--json``, not a check, and a 1M-entry file's costs 40 ms."""
    report = Report(str(path) if path else None)
    report.file = FileFacts(hashlib.sha256(data).digest() if file_hash else None, len(data))
    policy = Policy(list(anchors), now, at, allow_expired, allow_sha1, allow_md5, allow_weak_keys,
                    list(untrusted))
    try:
        signed = parse_signed_ctl(data, path=path)
        bag = _certificate_bag(signed)
        pool = CertPool([data[s:e] for s, e in bag if data[s] == 0x30], policy.untrusted_certs)
        if pool.unparsed:
            # parse_signed_ctl left the certificates' insides to cryptography; one it refuses
            # may break the DER rules every reader holds a file to: the error is then the file's.
            check_certificates(signed)
        header, count = decode_header(signed.ctl_der, path=path, base=signed.ctl_offset)
    except FormatError as exc:
        report.add("structure", FAIL, exc.diagnostics())
        report.malformed = True
        return report
    report.entry_count = count
    report.file = _file_facts(report.file, signed, header, count)
    report.add("structure", PASS, f"signed CTL with {plural(count, 'entry', 'entries')}, "
               f"{plural(len(signed.signer_infos), 'signature')}")
    ctx = _Context(report, policy, signed, header,
                   paths.Rules(allow_sha1, allow_md5, allow_weak_keys), signer_ekus(header.usages))
    # The pool judges a certificate when a path meets it, so what it left out (and the
    # strict-DER verdict on those it refused) is known once every signature is checked.
    def file_notes():
        _note_left_out(ctx, pool, "the file")
        _check_der(report, data, signed, bag, pool)

    _late_first(report, lambda: _verify_signers(ctx, signed, pool), file_notes)
    _check_this_update(report, policy, header)
    _check_next_update(report, policy, header)
    if expected_ctl is not None:
        _check_list(report, signed.ctl_der, expected_ctl)
    return report


def _verify_signers(ctx, signed: SignedCtl, pool: CertPool) -> None:
    if not signed.signer_infos:
        ctx.report.add("signature", FAIL, "the file carries no signature")
    for n, signer_info in enumerate(signed.signer_infos, 1):
        _guarded(ctx, f"signature {n}", lambda label, si=signer_info: _verify_signer(
            ctx, si, label, covered=signed.content_octets, pool=pool))


def _file_facts(facts: FileFacts, signed: SignedCtl, header, count: int) -> FileFacts:
    return FileFacts(facts.sha256, facts.size, signed.content_type, header.sequence, header.this_update,
                     header.next_update, tuple(header.usages), count, header.identifier,
                     header.subject_algorithm)


def _guarded(ctx, label, check) -> None:
    try:
        check(label)
    except Exception as exc:  # noqa: BLE001 - fail closed, naming the exception
        # A hostile file can break the lazily parsed parts (a certificate's key, an
        # algorithm's parameters) in ways no single check anticipates: fail closed.
        ctx.report.add("structure", FAIL, f"malformed signature data: {type(exc).__name__}: "
                       f"{_one_line(exc)}", label)


def _late_first(report: Report, work, late) -> None:
    """Run ``work``, then ``late``, with what ``late`` adds standing before what ``work``
    added (also when ``work`` raises): findings known only after the signatures are
    checked still stand where they always stood, before the signatures' own."""
    mark = len(report.findings)
    try:
        work()
    finally:
        tail = report.findings[mark:]
        del report.findings[mark:]
        late()
        report.findings.extend(tail)


def _note_left_out(ctx, pool: CertPool, where) -> None:
    ignored = pool.ignored  # sorted afresh at each reading
    if ignored:
        ctx.report.add("certificates", WARN, f"{len(ignored)} certificate(s) in {where} left out of "
                       f"path building: " + "; ".join(ignored[:3]) + (" …" if len(ignored) > 3 else ""))


# -- strict DER ------------------------------------------------------------------------------------

def _certificate_bag(signed: SignedCtl) -> list[tuple[int, int]]:
    """Where each element of SignedData.certificates is (the [0] ``parse_signed_ctl`` found
    after encapContentInfo). Empty when there is none, or it is not shaped so (the DER check says why)."""
    if signed.certificates_at is None:
        return []
    try:
        _t, start, end = read_tlv(signed.data, *signed.certificates_at)
        return [(at, child_end) for _t, _s, child_end, at in children(signed.data, start, end)]
    except DerError:
        return []


def _check_der(report, data: bytes, signed: SignedCtl, bag, pool: CertPool) -> None:
    # The embedded certificates' insides are left to cryptography's strict DER parser (the
    # pool parses each once anyway, in Rust); one it refuses is walked here to say where.
    problem = der_problem(data, frozenset(s for s, _e in bag))
    for der in pool.unparsed:
        inner = der_problem(der)
        if inner and not problem:
            at = data.find(der)
            problem = f"in an embedded certificate at offset {at}: {inner} (within it)"
    problem = problem or _extra_fields(signed)
    if problem:
        report.add("der", FAIL, f"not strict DER: {problem}")
    else:
        report.add("der", PASS, "every element is strict DER, with no unknown trailing fields")


def _extra_fields(signed: SignedCtl) -> str | None:
    """asn1crypto keeps elements past a SEQUENCE's last field without a word: a signed
    envelope must not carry anything no reader looks at. The SignedData is the one
    formats.stl parsed without the CTL (a whole-file asn1crypto parse copies a 1M-entry
    CTL at every level); ContentInfo and encapContentInfo, the two levels around the CTL,
    are counted from the bytes."""
    sd = signed.signed_data
    content_info, encap = _outer_extras(signed.data)
    return content_info or _extras(sd, "SignedData") or encap or _extras_signed_data(sd, "SignedData")


def _outer_extras(data: bytes) -> tuple[str | None, str | None]:
    """Elements past the last field of ContentInfo and of encapContentInfo (two fields
    each); parse_signed_ctl has already walked both, so the offsets hold."""
    def past(fields, what):
        return f"{what} carries {len(fields) - 2} element(s) past its last field" if len(fields) > 2 else None

    _t, s, e = read_tlv(data, 0)
    info = list(children(data, s, e))
    _t, s, e = read_tlv(data, info[1][1])  # [0] content -> SignedData
    _tag, es, ee, _pos = list(children(data, s, e))[2]
    return past(info, "ContentInfo"), past(list(children(data, es, ee)), "encapContentInfo")


def _extras(value, what) -> str | None:
    if isinstance(value, core.Sequence) and len(value) > len(value._fields):
        return f"{what} carries {len(value) - len(value._fields)} element(s) past its last field"
    return None


def _extras_signed_data(sd, what) -> str | None:
    found = _extras(sd, what) or _extras(sd["encap_content_info"], "encapContentInfo")
    for alg in sd["digest_algorithms"]:
        found = found or _extras(alg, "digestAlgorithm")
    for n, si in enumerate(sd["signer_infos"], 1):
        found = found or _extras_signer_info(si, f"SignerInfo {n}")
    return found


def _extras_signer_info(si, what) -> str | None:
    found = _extras(si, what) or _extras(si["digest_algorithm"], f"{what} digestAlgorithm") \
        or _extras(si["signature_algorithm"], f"{what} signatureAlgorithm")
    if si["sid"].name == "issuer_and_serial_number":
        found = found or _extras(si["sid"].chosen, f"{what} issuerAndSerialNumber")
    for kind in ("signed_attrs", "unsigned_attrs"):
        if not isinstance(si[kind], core.Void):
            for attr in si[kind]:
                found = found or _extras(attr, f"{what} attribute {attr['type'].dotted}")
                found = found or _extras_attribute_values(attr, what)
    return found


def _extras_attribute_values(attr, what) -> str | None:
    for value in attr["values"]:
        if attr["type"].dotted == Attr.NESTED_SIGNATURE:
            return _extras(value, "nested ContentInfo") or _extras_signed_data(value["content"],
                                                                                 f"{what} nested SignedData")
        if attr["type"].dotted == Attr.COUNTER_SIGNATURE:
            return _extras_signer_info(value, f"{what} countersignature")
    return None


# -- one SignerInfo ------------------------------------------------------------------------------

def _verify_signer(ctx, signer_info, label, *, covered: bytes, pool: CertPool,
                   content_type=ContentType.CTL, purpose="ctl", kind="outer", parent=None):
    """One SignerInfo: digest, attributes, signature, signer key and EKU, chain, then what it carries."""
    report = ctx.report
    result = report.begin_signature(SignatureResult(label, kind, parent, algorithm_id(signer_info["digest_algorithm"]),
                                                    algorithm_id(signer_info["signature_algorithm"])))
    digest = _HASHLIB.get(signer_info["digest_algorithm"]["algorithm"].dotted)
    if digest is None:
        report.add("digest", FAIL, f"unknown digest algorithm {signer_info['digest_algorithm']['algorithm'].dotted}", label)
        return
    _check_hash(ctx, digest, "digest", label)
    attrs = signer_info["signed_attrs"]
    if not attrs.native:
        # Without signed attributes nothing binds the content type; Microsoft never omits them.
        report.add("signed-attributes", FAIL, "no signed attributes: content type unprotected, not accepted", label)
        return
    values = _attribute_values(report, attrs, label)
    _check_content_type(report, values, content_type, label)
    _check_digest(report, values, hashlib.new(digest, covered).digest(), label)
    cert = _find_signer(report, pool, signer_info, digest, attrs.dump(force=False), label)
    if cert is None:
        return
    result.signer = _info(ctx, cert.der, cert.asn1)
    if not _check_signer_key(ctx, cert, label):
        return
    when = _signing_time(ctx, result, values, cert, label)
    wanted = frozenset({TIME_STAMPING}) if purpose == "timestamp" else ctx.ekus
    if _check_eku(report, cert, wanted, purpose, label):
        # A timestamp authority need not chain to the CTL's anchors: its chain is reported, not required.
        _check_chain(ctx, pool, cert, when, wanted, label, WARN if purpose == "timestamp" else FAIL)
    _verify_unsigned(ctx, signer_info, label, pool)


def _check_hash(ctx, name: str, what: str, label) -> None:
    why = hash_refusal(name, allow_sha1=ctx.rules.allow_sha1, allow_md5=ctx.rules.allow_md5)
    if why:
        ctx.report.add("algorithm", FAIL, f"{what}: {why}", label)
    elif hash_flag(name):
        ctx.report.add("algorithm", WARN, f"{_hash_label(name)} {what}: accepted only because of "
                       f"{hash_flag(name)}", label)


def _hash_label(name: str) -> str:
    return {"sha1": "SHA-1", "md5": "MD5"}.get(name, name.upper())


def _attribute_values(report, attrs, label) -> dict:
    """Values by type; a type given twice, or a single-valued one with several values,
    or attributes out of DER order, is refused (each reader could pick another)."""
    values: dict = {}
    encodings = []
    for attr in attrs:
        oid = attr["type"].dotted
        if oid in values:
            report.add("signed-attributes", FAIL, f"attribute {_SINGLE.get(oid, oid)} occurs twice", label)
        values.setdefault(oid, []).extend(attr["values"])
        encodings.append(attr.dump())
        if oid in _SINGLE and len(attr["values"]) != 1:
            report.add("signed-attributes", FAIL, f"{_SINGLE[oid]} carries {len(attr['values'])} values "
                       "(exactly one required)", label)
    if encodings != sorted(encodings):
        report.add("signed-attributes", FAIL, "signed attributes are not in DER (sorted) order", label)
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


def _find_signer(report, pool: CertPool, signer_info, digest, signed_bytes, label) -> PoolCert | None:
    """The embedded certificate the SignerIdentifier names *and whose key verifies the
    signature*: a second certificate with the same issuer and serial (another key) is a
    decoy, not a reason to fail."""
    candidates = pool.signer_candidates(signer_info["sid"])
    if not candidates:
        ignored = pool.ignored
        left_out = f" ({len(ignored)} left out: {ignored[0]})" if ignored else ""
        report.add("signer", FAIL, f"signer certificate not among the embedded certificates{left_out}", label)
        return None
    # The signature covers the attributes with a SET tag, not the [0] IMPLICIT one.
    data = b"\x31" + signed_bytes[1:]
    problems = []
    for cert in candidates:
        try:
            _verify_raw(cert.public_key, signer_info["signature_algorithm"], digest,
                        signer_info["signature"].native, data)
        except InvalidSignature:
            problems.append("signature over the signed attributes does not verify")
        except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
            problems.append(f"signature cannot be checked: {_one_line(exc)}")
        else:
            others = f"; {len(candidates) - 1} other certificate(s) with that identifier ignored" \
                if len(candidates) > 1 else ""
            report.add("signature", PASS, f"signature valid ({cert_name(cert)}){others}", label)
            return cert
    report.add("signature", FAIL, problems[0] + (f" (with any of the {len(candidates)} certificates "
                                                 "the signer identifier names)" if len(candidates) > 1 else ""),
               label)
    return None


def _one_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _verify_raw(public_key, algorithm, digest, signature, data):
    oid = algorithm["algorithm"].dotted
    hash_ = hash_algorithm(digest)
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
    if isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        raise ValueError("EdDSA CTL signatures are not accepted (Windows has none)")
    raise ValueError(f"signature algorithm {oid} does not fit a {type(public_key).__name__}")


def _check_signer_key(ctx, cert: PoolCert, label) -> bool:
    """The key that signed the CTL, judged by the same table as the chain's keys."""
    spki = cert.asn1.public_key
    refused = key_refusal(spki)
    weak = weak_key(spki)
    if refused:
        ctx.report.add("key", FAIL, f"signer {cert_name(cert)}: {refused}", label)
        return False
    if weak and not ctx.rules.allow_weak_keys:
        ctx.report.add("key", FAIL, f"signer {cert_name(cert)} has a {weak} key: refused (accepted only "
                       "with --allow-weak-keys)", label)
    elif weak:
        ctx.report.add("key", WARN, f"signer {cert_name(cert)} has a {weak} key: accepted only because of "
                       "--allow-weak-keys", label)
    else:
        ctx.report.add("key", PASS, f"signer key {key_label(spki)}", label)
    return True


# -- time ----------------------------------------------------------------------------------------

def _signing_time(ctx, result: SignatureResult, values, cert: PoolCert, label) -> datetime:
    """When the chain is judged: --at, else the signingTime attribute, else (no trustworthy
    time at all) the earliest moment this signer could have signed a list dated thisUpdate.
    ``result`` records it, and why then."""
    report, policy, header = ctx.report, ctx.policy, ctx.header
    not_before = cert.asn1["tbs_certificate"]["validity"]["not_before"].native
    not_after = cert.asn1["tbs_certificate"]["validity"]["not_after"].native
    claimed = values.get(Attr.SIGNING_TIME)
    if policy.at is not None:
        when, source = policy.at, "at"
        report.add("signing-time", PASS, f"validated at {iso(when)} from --at", label)
    elif claimed:
        when, source = claimed[0].native, "signingTime"
        report.add("signing-time", PASS, f"validated at {iso(when)} from the signingTime attribute", label)
    else:
        when = max(header.this_update, not_before)
        source = "thisUpdate" if when == header.this_update else "signer-not-before"
        moved = "" if when == header.this_update else \
            f"; the signer's validity begins after thisUpdate {iso(header.this_update)}, so not earlier"
        report.add("signing-time", WARN, f"no signingTime attribute: nothing says when this was signed; "
                   f"validated at {iso(when)}, the earliest moment this signer could have signed a list "
                   f"dated thisUpdate{moved}", label)
    report.signing_time = report.signing_time or when
    if header.next_update is not None and when > header.next_update:
        report.add("signing-time", FAIL, f"signed at {iso(when)}, after the list's nextUpdate "
                   f"{iso(header.next_update)}", label)
    if claimed and claimed[0].native < header.this_update:
        # Post-dated: a list that says it was issued decades after it was signed (a typo in
        # this_update) still verifies, so say so.
        signed_at = claimed[0].native
        report.add("signing-time", WARN, f"signed at {iso(signed_at)}, {_span(header.this_update - signed_at)} "
                   f"before the list's own thisUpdate {iso(header.this_update)}", label)
    if claimed and not not_before <= claimed[0].native <= not_after:
        # A signingTime outside the signer's validity is a lie or a stolen key; --at does not excuse it.
        report.add("signing-time", FAIL, f"signingTime {iso(claimed[0].native)} is outside the signer "
                   f"certificate's validity ({iso(not_before)} .. {iso(not_after)})", label)
    result.signing_time = claimed[0].native if claimed else None
    result.validated_at, result.time_source = when, source
    return when


def _info(ctx, der: bytes, cert=None):
    # The chain's certificates recur in every signature of a file: one CertFacts each.
    if der not in ctx.infos:
        ctx.infos[der] = CertFacts(der, cert)
    return ctx.infos[der]


# -- EKU and chain -------------------------------------------------------------------------------

def _check_eku(report, cert: PoolCert, wanted, purpose, label) -> bool:
    value = cert.asn1.extended_key_usage_value
    ekus = {o.dotted for o in value} if value is not None else set()
    if ekus & wanted:
        report.add("signer-eku", PASS, f"signer carries EKU {', '.join(sorted(ekus & wanted))}", label)
        return True
    what = "time stamping" if purpose == "timestamp" else "this list's usage"
    report.add("signer-eku", FAIL, f"signer certificate carries no EKU for {what} (needs one of "
               f"{', '.join(sorted(wanted))}; has: {', '.join(sorted(ekus)) or 'none'})", label)
    return False


def _check_chain(ctx, pool, cert: PoolCert, when: datetime, wanted, label, severity=FAIL):
    report, policy = ctx.report, ctx.policy
    chain = paths.validate(pool, cert, policy.anchor_certs, when, wanted, ctx.rules)
    _record_chain(ctx, report.signature(label), chain, severity == FAIL)
    for extra in sorted(pool.capped - pool.reported):
        report.add("certificates", WARN, extra, label)
        pool.reported.add(extra)
    if chain.problem:
        report.add(chain.check if severity == FAIL else "chain", severity,
                   f"{chain.problem} (chain: {chain.names})", label)
        return
    report.add("chain", PASS, f"chain to the anchor valid at {iso(when)}: {chain.names}; "
               f"all of it valid {_window(chain.path)}", label)
    for flag, what in chain.weak:
        check = "key" if flag == "--allow-weak-keys" else "algorithm"
        report.add(check, WARN, f"{what}: accepted only because of {flag}", label)
    for on_path in chain.path:
        if on_path.serial_number <= 0:
            # Accepted, as RFC 5280 asks of relying parties; said, because a later cryptography
            # release will refuse to parse such a certificate (today it only warns, unseen).
            report.add("chain", WARN, f"{paths.name_of(on_path.subject)} has serial number {on_path.serial_number}, "
                       "not positive as RFC 5280 §4.1.2.2 requires; later releases of the cryptography "
                       "library will refuse to read it", label)
    expired = [c for c in chain.path if c["tbs_certificate"]["validity"]["not_after"].native < policy.now]
    if expired:
        report.add("expiry", WARN, "expired now, valid when signed: " + "; ".join(
            f"{paths.name_of(c.subject)} (until {iso(c['tbs_certificate']['validity']['not_after'].native)})"
            for c in expired), label)
    else:
        report.add("expiry", PASS, "signer and chain are valid now", label)


def _record_chain(ctx, result: SignatureResult, chain: paths.Chain, required: bool) -> None:
    # paths.validate caches its Chain per signer and moment: a file of many SignerInfos by
    # one signer shares one ChainResult too (the Chain is kept, so its id stays its own).
    key = (id(chain), required)
    if key not in ctx.chains:
        infos = tuple(_info(ctx, c.dump(), c) for c in chain.path)
        valid = chain.problem is None
        ctx.chains[key] = chain, ChainResult(valid, infos, chain.problem, infos[-1] if valid and infos else None,
                                             chain.eku, required)
    result.chain = ctx.chains[key][1]


def _window(path) -> str:
    """The span in which every certificate of the path was valid: when the signature could
    have been made by this chain."""
    start = max(c["tbs_certificate"]["validity"]["not_before"].native for c in path)
    end = min(c["tbs_certificate"]["validity"]["not_after"].native for c in path)
    return f"{iso(start)} .. {iso(end)}"


# -- what a SignerInfo carries unsigned --------------------------------------------------------------

def _verify_unsigned(ctx, signer_info, label, pool):
    unsigned = signer_info["unsigned_attrs"]
    if not unsigned.native:
        return
    for attr in unsigned:
        oid = attr["type"].dotted
        for n, value in enumerate(attr["values"], 1):
            if oid == Attr.NESTED_SIGNATURE:
                _verify_nested(ctx, value, f"{label}, nested {n}", label)
            elif oid == Attr.COUNTER_SIGNATURE:
                _verify_signer(ctx, value, f"{label}, countersignature {n}", covered=signer_info["signature"].native,
                               pool=pool, content_type=ContentType.DATA, purpose="timestamp",
                               kind="countersignature", parent=label)


def _verify_nested(ctx, content_info, label, parent):
    """Microsoft's nested signature: a detached SignedData over the whole CTL TLV."""
    try:
        inner = content_info["content"]
        certs = [c.chosen for c in inner["certificates"] if c.name == "certificate"] \
            if inner["certificates"].native else []
        signer_infos = list(inner["signer_infos"])
        content_type = inner["encap_content_info"]["content_type"].dotted
    except (ValueError, TypeError, KeyError) as exc:
        ctx.report.add("structure", FAIL, f"nested signature does not parse: {exc}", label)
        return
    pool = CertPool(certs, ctx.policy.untrusted_certs)
    _late_first(ctx.report, lambda: _verify_nested_signers(ctx, signer_infos, label, pool, content_type, parent),
                lambda: _note_left_out(ctx, pool, label))


def _verify_nested_signers(ctx, signer_infos, label, pool, content_type, parent) -> None:
    for n, signer_info in enumerate(signer_infos, 1):
        _verify_signer(ctx, signer_info, label if n == 1 else f"{label}.{n}", covered=ctx.signed.ctl_der,
                       pool=pool, content_type=content_type, kind="nested", parent=parent)


def _check_this_update(report, policy, header):
    """A list dated after the time it is judged at was not in force yet: --at before the
    list existed, or a thisUpdate in the future."""
    when, what = (policy.at, "--at") if policy.at is not None else (policy.now, "now")
    if when < header.this_update:
        report.add("this-update", WARN, f"thisUpdate {iso(header.this_update)} is "
                   f"{_span(header.this_update - when)} after {what} ({iso(when.replace(microsecond=0))}): "
                   "the list was not in force yet")
    else:
        report.add("this-update", PASS, f"thisUpdate {iso(header.this_update)} reached by {what}")


def _span(delta) -> str:
    """A time difference in the unit people would use: 73 years, 5 days, 3 hours."""
    days = delta.days
    if days >= 730:
        return f"{days // 365} years"
    if days >= 2:
        return f"{days} days"
    hours = delta.seconds // 3600 + 24 * days
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "less than an hour"


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
    refs = _entry_refs(want_ids, got_ids)
    missing, extra, changed = ([r.label for r in refs if r.difference == how]
                               for how in ("missing", "extra", "changed"))
    # Which side each name is on, in words: "1 missing, 1 extra (e.g. a, b)" did not say.
    parts = [_named(what, names) for what, names in (("missing from the file", missing),
                                                     ("not in the list", extra), ("changed", changed)) if names]
    header = [f for f in ("kind", "this_update", "identifier", "sequence", "next_update", "usages",
                          "subject_algorithm", "extensions") if getattr(got, f) != getattr(want, f)]
    if header:
        parts.append(f"header field{'s' if len(header) > 1 else ''} {', '.join(header)} "
                     f"differ{'' if len(header) > 1 else 's'}")
    report.add("list", FAIL, "file differs from what the list builds: "
               + ("; ".join(parts) if parts else "the same entries and header, in another order or encoding"),
               entries=refs)


def _named(what: str, names: list[str], shown: int = 3) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} {what}: {', '.join(names[:shown])}{more}"


def _entry_refs(want_ids: dict, got_ids: dict) -> list[EntryRef]:
    """Each entry that differs, by identifier, and how: what the JSON's finding names."""
    return [EntryRef(i, e.label, "missing") for i, e in want_ids.items() if i not in got_ids] + \
        [EntryRef(i, e.label, "extra") for i, e in got_ids.items() if i not in want_ids] + \
        [EntryRef(i, e.label, "changed") for i, e in want_ids.items() if i in got_ids and got_ids[i] != e]
