"""Rows for SST and cab work (issue: SST stores, CAB packages, import round trip).

``python -m benchmarks.containers sst N`` (a child process of the runner) makes N
certificates, then times (CPU seconds) writing them as an SST with properties and reading
it back, and, as the baseline in the same process, parsing each certificate with
cryptography and taking its SHA-1; it prints JSON. Generating the certificates is not timed.

* import + build (stl, sst, cab) of Microsoft's 370-entry 2018-06-19 release: two
  processes, <= 2.5x two ``floor.py start`` (start-up dominates small jobs).
* SST write + read back of 10k certificates: <= 5x parsing them once.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

from benchmarks import process
from benchmarks.common import CTLBUILD, REPO, Bench, Row
from benchmarks.startup_rows import floor_start

IMPORT_BUILD, SST = 2.5, 5.0


def make_certificates(n: int) -> list[bytes]:
    """N small distinct certificates from one EC key (signing is fast; keygen is not)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench root {i}")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(i + 1).not_valid_before(start).not_valid_after(start + timedelta(days=365))
                .sign(key, hashes.SHA256()))
        out.append(cert.public_bytes(serialization.Encoding.DER))
    return out


def sst_round_trip(n: int) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from ctlbuild.formats.certificates import CertInfo
    from ctlbuild.formats.sst import (
        SerializedStore,
        SstContext,
        properties_for_entry,
        read_sst,
        write_sst,
    )
    from ctlbuild.model import Entry

    certs = make_certificates(n)
    clock = time.process_time if process.CLOCK == "cpu" else time.perf_counter
    began = clock()
    for der in certs:
        x509.load_der_x509_certificate(der).fingerprint(hashes.SHA1())
    parse_seconds = clock() - began
    began = clock()
    contexts = []
    for i, der in enumerate(certs):
        sha1 = CertInfo.from_der(der).sha1
        entry = Entry(identifier=sha1, cert=der, friendly_name=f"bench root {i}", ekus=("1.3.6.1.5.5.7.3.1",))
        contexts.append(SstContext("cert", der, properties_for_entry(der, entry)))
    data = write_sst(SerializedStore(tuple(contexts)))
    back = read_sst(data)
    seconds = clock() - began
    assert len(back.certificates) == n and write_sst(back) == data
    return {"entries": n, "seconds": seconds, "parse_seconds": parse_seconds, "bytes": len(data)}


def import_build_row(bench: Bench) -> list[Row]:
    fixtures = REPO.parent / "shared" / "fixtures" / "microsoft"
    cab = fixtures / "authrootstl-2018-06-19.cab"
    if not cab.exists():
        print("  (import + build row skipped: ../shared/fixtures is absent)", file=sys.stderr)
        return []
    script = (f'"{CTLBUILD}" import "{cab}" -o imported/authroot.toml --force --certs-from "{fixtures}/certs" '
              f'&& "{CTLBUILD}" build imported/authroot.toml --keys keys -o out')
    run = bench.run(["sh", "-c", script], "import + build", repeat=3)
    # The shell's own few milliseconds count against ctlbuild: a tight target stays honest.
    return [Row("import + build (370 entries; stl, sst, cab)", 370, run.seconds, run.peak_rss,
                2 * floor_start(bench), "2 x floor.py start", IMPORT_BUILD)]


def sst_row(bench: Bench, n: int = 10_000, rounds: int = 3) -> list[Row]:
    """The median of ``rounds`` child processes, for the round trip and for its baseline
    each: one run's baseline moved 0.07-0.13 s, enough to swing the ratio across 5."""
    out = bench.tmp / "sst-result.json"
    results = []
    for _ in range(rounds):
        run = bench.run([sys.executable, "-m", "benchmarks.containers", "sst", str(n)], "SST round trip",
                        stdout=out)
        results.append(json.loads(out.read_text()))
    result = {key: statistics.median(r[key] for r in results) for key in ("seconds", "parse_seconds")}
    return [Row("cryptography: parse + SHA-1 each (in-process)", n, result["parse_seconds"], None),
            Row("SST write + read back (in-process)", n, result["seconds"], run.peak_rss,
                result["parse_seconds"], "parse each", SST)]


if __name__ == "__main__":
    if sys.argv[1:2] == ["sst"]:
        print(json.dumps(sst_round_trip(int(sys.argv[2]))))
    else:
        raise SystemExit("usage: python -m benchmarks.containers sst N")
