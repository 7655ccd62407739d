"""What a verification found, and what it was asked to accept: the report and the policy.

>>> from ctlbuild.verify.findings import Report, FAIL
>>> report = Report("x.stl"); report.add("digest", FAIL, "content changed")
>>> report.ok
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from ..timeutil import iso


class Status(StrEnum):
    """A finding's verdict; the strings are what ``--json`` prints."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"


PASS, FAIL, WARN = Status.PASS, Status.FAIL, Status.WARN


@dataclass
class Finding:
    check: str
    status: Status
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
    #: The file is not a signed CTL at all (truncated, not PKCS#7): bad input, not a failed check.
    malformed: bool = False

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
