"""What a verification found, and what it was asked to accept: the report and the policy.

>>> from ctlbuild.verify.findings import Report, FAIL
>>> report = Report("x.stl"); report.add("digest", FAIL, "content changed")
>>> report.ok
False

Besides the findings, the report keeps typed facts: the file's (``FileFacts``) and, per
signature, who signed, with which algorithms, when the chain was judged and why, and the
chain itself (``SignatureResult``, ``ChainResult``, ``CertFacts``). Names stay as the file
has them; escaping them is the renderer's job (``reports/verifyview.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # facts.py reads certificates; these results only hold them
    from .facts import AlgorithmId, CertFacts


class Status(StrEnum):
    """A finding's verdict; the strings are what ``--json`` prints."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"


PASS, FAIL, WARN = Status.PASS, Status.FAIL, Status.WARN


@dataclass(frozen=True)
class EntryRef:
    """An entry a finding concerns: its identifier, its label, and how it differs."""
    identifier: bytes
    label: str
    #: "missing" (the list has it, the file not), "extra" (the file has it, the list not), "changed".
    difference: str


@dataclass
class Finding:
    #: The check's stable name (the JSON's ``code``, and ``check`` as before).
    check: str
    status: Status
    message: str
    #: The signature's label ("signature 1, nested 1"); None for file-level findings.
    signature: str | None = None
    entries: tuple[EntryRef, ...] = ()


@dataclass
class ChainResult:
    """The outcome of path validation for one signer: ``certificates`` run from the signer to
    the anchor when ``valid``; otherwise they are the most telling path tried."""
    valid: bool
    certificates: tuple[CertFacts, ...]
    problem: str | None = None
    #: The anchor that ended the path (None when no path was accepted).
    anchor: CertFacts | None = None
    #: The EKU the signer was accepted for.
    eku: str | None = None
    #: A failed path fails the signature (False for timestamps, whose chains are only reported).
    required: bool = True


#: Why a chain was judged at the moment it was (``SignatureResult.time_source``).
TIME_SOURCES = ("at", "signingTime", "thisUpdate", "signer-not-before")


@dataclass
class SignatureResult:
    """One SignerInfo: the outer one(s), a nested signature's, or a countersignature."""
    label: str
    #: "outer", "nested" or "countersignature".
    kind: str
    #: The label of the signature that carries this one unsigned (None for an outer one).
    parent: str | None
    digest_algorithm: AlgorithmId
    signature_algorithm: AlgorithmId
    signer: CertFacts | None = None
    #: The signingTime attribute, when there is one.
    signing_time: datetime | None = None
    #: When the chain was judged, and why then (one of TIME_SOURCES).
    validated_at: datetime | None = None
    time_source: str | None = None
    chain: ChainResult | None = None


@dataclass
class FileFacts:
    """What the file says of itself. Everything but the hash and size is None when the
    file is not a signed CTL. ``sha256`` is None when the caller did not ask for it
    (``verify_ctl(file_hash=False)``)."""
    sha256: bytes | None
    size: int
    content_type: str | None = None
    sequence: int | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    usages: tuple[str, ...] = ()
    entry_count: int | None = None
    list_identifier: bytes | None = None
    subject_algorithm: str | None = None


_SEVERITY = {PASS: 0, WARN: 1, FAIL: 2}


@dataclass
class Report:
    path: str | None
    findings: list[Finding] = field(default_factory=list)
    entry_count: int | None = None
    signing_time: datetime | None = None
    #: The file is not a signed CTL at all (truncated, not PKCS#7): bad input, not a failed check.
    malformed: bool = False
    file: FileFacts | None = None
    #: Every signature in the order met: each outer one followed by what it carries.
    signatures: list[SignatureResult] = field(default_factory=list)
    _by_label: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(f.status != FAIL for f in self.findings)

    def add(self, check, status, message, signature=None, entries=()) -> None:
        self.findings.append(Finding(check, status, message, signature, tuple(entries)))

    def begin_signature(self, result: SignatureResult) -> SignatureResult:
        self.signatures.append(result)
        self._by_label[result.label] = result
        return result

    def signature(self, label: str | None) -> SignatureResult | None:
        return self._by_label.get(label)

    def status_of(self, label: str) -> Status:
        """The worst finding of one signature (its own checks, not those of what it carries)."""
        found = [f.status for f in self.findings if f.signature == label]
        return max(found, key=_SEVERITY.__getitem__, default=PASS)


@dataclass
class Policy:
    """What the caller trusts and which historical weaknesses it accepts (README, *Security*)."""
    anchors: list[bytes]
    now: datetime
    at: datetime | None = None
    allow_expired: bool = False
    #: SHA-1 digests and certificate signatures (Microsoft's files until 2019-10).
    allow_sha1: bool = False
    #: MD5 (Microsoft's 2006–2009 chains through "Microsoft Certificate Trust List PCA").
    allow_md5: bool = False
    #: RSA below 2048 bits, curves below P-256.
    allow_weak_keys: bool = False
    #: Intermediates that are not anchors (like openssl's -untrusted), DER.
    untrusted: list[bytes] = field(default_factory=list)

    @cached_property
    def anchor_certs(self) -> list:
        """The anchors parsed once (asn1crypto), however many signatures a file carries."""
        from asn1crypto import x509 as ax509
        return [ax509.Certificate.load(a) for a in self.anchors]

    @cached_property
    def untrusted_certs(self) -> list:
        from asn1crypto import x509 as ax509
        return [ax509.Certificate.load(a) for a in self.untrusted]
