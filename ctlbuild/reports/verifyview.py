"""A verification, as JSON data: the shape of ``verify --json`` (schemas/verify.schema.json).

>>> from ctlbuild.verify.verifier import verify_ctl
>>> from ctlbuild.reports.verifyview import verify_data
>>> data = verify_data(verify_ctl(stl, [root], now))                  # doctest: +SKIP
>>> [(s["label"], s["status"], s["chain"]["anchor"]["subject"]) for s in data["signatures"]]  # doctest: +SKIP

The verifier keeps typed results (``verify/findings.py``); this is the one place they
become JSON. Every name a file supplies is escaped: certificate names are RFC 4514
strings with control and bidi characters as hex pairs (``verify/facts.py``), people's
names and messages go through ``terminal.printable``. Bytes are lowercase hex, times
ISO 8601 in UTC with a Z.
"""

from __future__ import annotations

from pathlib import Path

from ..oids import HASH_NAMES, USAGE_NAMES, eku_name
from ..timeutil import iso
from ..verify.facts import AlgorithmId, CertFacts
from ..verify.findings import ChainResult, FileFacts, Finding, Report, SignatureResult
from .terminal import printable

SCHEMA_VERSION = 1
#: The JSON Schema of ``verify_data`` (shipped as package data).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "verify.schema.json"


def verify_data(report: Report) -> dict:
    """The report as plain JSON-ready data. ``path``, ``ok``, ``entries``, ``signing_time``
    and each finding's ``check``/``status``/``message``/``signature`` are the keys of
    before version 1, kept for scripts that read them."""
    return {
        "format": "ctlbuild-verify",
        "version": SCHEMA_VERSION,
        "path": report.path,
        "ok": report.ok,
        "entries": report.entry_count,
        "signing_time": _time(report.signing_time),
        "summary": {status: sum(f.status == status for f in report.findings) for status in ("pass", "warn", "fail")},
        "file": _file(report.file) if report.file else None,
        "signatures": [_signature(s, report) for s in report.signatures],
        "findings": [_finding(f, report) for f in report.findings],
    }


def _time(when) -> str | None:
    return iso(when) if when is not None else None


def _hex(data: bytes | None) -> str | None:
    return data.hex() if data is not None else None


def _file(f: FileFacts) -> dict:
    return {"sha256": f.sha256.hex(), "size": f.size, "content_type": f.content_type,
            "sequence_number": str(f.sequence) if f.sequence is not None else None,
            "this_update": _time(f.this_update), "next_update": _time(f.next_update),
            "usages": [{"oid": oid, "name": USAGE_NAMES.get(oid) or eku_name(oid) or None} for oid in f.usages],
            "entry_count": f.entry_count, "list_identifier": _hex(f.list_identifier),
            "subject_algorithm": HASH_NAMES.get(f.subject_algorithm, f.subject_algorithm)
            if f.subject_algorithm else None}


def _signature(s: SignatureResult, report: Report) -> dict:
    return {"label": s.label, "kind": s.kind, "parent": s.parent, "status": report.status_of(s.label),
            "digest_algorithm": _algorithm(s.digest_algorithm),
            "signature_algorithm": _algorithm(s.signature_algorithm),
            "signer": _cert(s.signer) if s.signer else None,
            "signing_time": _time(s.signing_time), "validated_at": _time(s.validated_at),
            "time_source": s.time_source,
            "chain": _chain(s.chain) if s.chain else None}


def _algorithm(a: AlgorithmId) -> dict:
    return {"oid": a.oid, "name": printable(a.name)}


def _chain(c: ChainResult) -> dict:
    return {"valid": c.valid, "required": c.required, "problem": printable(c.problem) if c.problem else None,
            "eku": c.eku, "anchor": _cert(c.anchor) if c.anchor else None,
            "certificates": [_cert(x) for x in c.certificates]}


def _cert(c: CertFacts) -> dict:
    return {"subject": c.subject, "issuer": c.issuer, "name": printable(c.name), "serial": c.serial,
            "sha256": c.sha256.hex(), "sha1": c.sha1.hex(),
            "not_before": _time(c.not_before), "not_after": _time(c.not_after),
            "key": {"algorithm": c.key_algorithm, "size": c.key_size, "curve": c.curve},
            "ekus": list(c.ekus) if c.ekus is not None else None}


def _finding(f: Finding, report: Report) -> dict:
    sig = report.signature(f.signature)
    signer = sig.signer if sig else None
    return {"code": f.check, "check": f.check, "status": f.status, "message": printable(f.message),
            "signature": f.signature,
            "signer": {"subject": signer.subject, "sha256": signer.sha256.hex()} if signer else None,
            "entries": [{"identifier": e.identifier.hex(), "label": printable(e.label), "difference": e.difference}
                        for e in f.entries]}
