"""``json``: every entry, its certificate and its effective trust, for pipelines.

Nothing is lost: each entry keeps its identifier, hashes, friendly name, every trust
attribute (EKUs, disallowed EKUs, disabled since, NotBefore and its EKUs, EV and chain
policies), its certificate (base64 DER, or null for a CTL-only entry) and, per purpose, the
decision at the export time. (``format`` "ctlbuild-export", ``version`` 1; README *Export* lists the fields).
"""

from __future__ import annotations

import base64
import json

from ..oids import HASH_NAMES, eku_name
from ..timeutil import iso
from .plan import Capabilities, Decision
from .trust import ANY
from .writing import Job

CAPABILITIES = Capabilities(purposes=True, distrust_after=frozenset({ANY}),  # any purpose: the date itself is kept
                             blocklist=True, future_dates=True,
                            ev_policies=True, friendly_name=True, every_entry=True)
FORMAT, VERSION = "ctlbuild-export", 1


def write(job: Job) -> list[tuple[str, bytes]]:
    tl = job.trust_list
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "source": job.source,
        "list": {"name": tl.name, "kind": tl.kind, "sequence": tl.sequence, "this_update": iso(tl.this_update),
                 "subject_algorithm": HASH_NAMES.get(tl.subject_algorithm, tl.subject_algorithm)},
        "at": iso(job.at),
        "purposes": [eku_name(p) for p in job.purposes],
        "entries": [_entry(d) for d in job.decisions],
    }
    return [("", (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))]


def _entry(d: Decision) -> dict:
    e, cert = d.entry, d.cert
    return {
        "label": d.label,
        "identifier": e.identifier.hex(),
        "sha1": d.sha1.hex() if d.sha1 else None,
        "sha256": (cert.sha256 if cert else e.sha256).hex() if (cert or e.sha256) else None,
        "friendly_name": e.friendly_name,
        "subject": cert.subject if cert else None,
        "certificate": base64.b64encode(cert.der).decode("ascii") if cert else None,
        "ekus": _names(e.ekus),
        "disallowed_ekus": _names(e.disallowed_ekus),
        "disabled_since": _date(e.disabled_since),
        "not_before": _date(e.not_before),
        "not_before_ekus": _names(e.not_before_ekus),
        "ev_policies": list(e.ev_policies) if e.ev_policies is not None else None,
        "chain_policies": list(e.chain_policies) if e.chain_policies is not None else None,
        "action": d.action,
        "trust": {eku_name(t.purpose): _trust(t) for t in d.trust},
    }


def _trust(t) -> dict:
    return {"status": t.status, "trusted": t.trusted, "date": _iso(t.date), "not_before": _iso(t.not_before),
            "disabled_from": _iso(t.disabled_from)}


def _names(ekus):
    return None if ekus is None else [eku_name(x) for x in ekus]


def _date(value):
    """A FILETIME attribute: absent (null), empty (""), or its ISO date."""
    return None if value is None else value.iso()


def _iso(when):
    return iso(when) if when is not None else None
