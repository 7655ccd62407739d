"""Our DER encoder beside the naive asn1crypto one, in one process.

Run as ``python -m benchmarks.encoding LIST.toml``: loads the list (untimed),
times ``ctlbuild.ctl.encode.encode_ctl`` and then building
``ctlbuild.ctl.asn1.ctl.CertificateTrustList`` from one native dict per entry and
dumping it, checks the two give identical bytes, and prints the timings as JSON.

asn1crypto's native values cost ~2 ms an entry here (a 100k-entry run is minutes), so
``make bench`` runs it on 10k entries and ``make bench-full`` on ``--small``.
"""

from __future__ import annotations

import json
import os
import sys
import time

from asn1crypto import core, x509

from ctlbuild.ctl.asn1.ctl import CertificateTrustList
from ctlbuild.ctl.attributes import BY_FIELD
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.model import Entry, TrustList


def _time(when) -> dict:
    return {"utc_time" if 1950 <= when.year < 2050 else "general_time": when}


def _attributes(e: Entry) -> list[dict]:
    """The attribute values the synthetic lists use, each made the obvious way."""
    attrs = []

    def add(field, value):
        attrs.append({"type": BY_FIELD[field].oid, "values": [value]})

    if e.ekus is not None:
        add("ekus", x509.ExtKeyUsageSyntax(list(e.ekus)).dump())
    if e.friendly_name is not None:
        add("friendly_name", (e.friendly_name + "\0").encode("utf-16-le"))
    if e.disabled_since is not None:
        add("disabled_since", e.disabled_since.to_bytes())
    if e.not_before is not None:
        add("not_before", e.not_before.to_bytes())
    for name in ("sha256", "key_id", "subject_name_md5"):
        if getattr(e, name) is not None:
            add(name, getattr(e, name))
    for name in ("disallowed_ekus", "not_before_ekus", "ev_policies", "chain_policies"):
        if getattr(e, name) is not None:
            raise NotImplementedError(f"the naive encoder here does not do {name}")
    for oid, raw in e.raw_attributes:
        attrs.append({"type": oid, "values": [raw]})
    return attrs


def naive_encode(tl: TrustList) -> bytes:
    """What encoding with asn1crypto native values looks like: one dict per entry."""
    native = {
        "subject_usage": list(tl.usages),
        "sequence_number": tl.sequence,
        "this_update": _time(tl.this_update),
        "subject_algorithm": {"algorithm": tl.subject_algorithm, "parameters": core.Null()},
    }
    if tl.identifier is not None:
        native["list_identifier"] = tl.identifier
    if tl.next_update is not None:
        native["next_update"] = _time(tl.next_update)
    subjects = []
    for e in tl.entries:
        subject = {"subject_identifier": e.identifier}
        attrs = _attributes(e)
        if attrs:
            subject["subject_attributes"] = attrs
        subjects.append(subject)
    if subjects:
        native["trusted_subjects"] = subjects
    if tl.extensions:
        native["ctl_extensions"] = [{"extn_id": x.oid, "critical": x.critical, "extn_value": x.value}
                                    for x in tl.extensions]
    return CertificateTrustList(native).dump()


def compare(path: str) -> dict:
    tl = load_list(path).trust_list
    clock = time.process_time if os.environ.get("CTLBUILD_BENCH_CLOCK", "cpu") == "cpu" else time.perf_counter
    start = clock()
    ours = encode_ctl(tl)
    ours_seconds = clock() - start
    start = clock()
    theirs = naive_encode(tl)
    naive_seconds = clock() - start
    if ours != theirs:
        raise AssertionError("encode_ctl and the asn1crypto encoding differ")
    return {"entries": len(tl.entries), "ours": ours_seconds, "naive": naive_seconds,
            "identical": True, "size": len(ours)}


if __name__ == "__main__":
    print(json.dumps(compare(sys.argv[1])))
