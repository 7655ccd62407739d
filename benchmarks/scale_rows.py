"""Rows at scale: N thumbprints with ``[defaults]`` (100k and 1M), each against a floor of
the same size measured in the same run, and the per-entry cost of each.

Targets (ratios): ``build`` <= 2x ``floor.py build`` (and <= 1 GiB peak RSS); ``show --json``
<= 2x ``floor.py read``; ``show --header-only`` <= 1.5x ``floor.py start``; ``verify`` <= 1.5x
SHA-256 of the file plus one signature check (``benchmarks.baselines hash-verify``);
``verify --list`` <= build + verify. ``scaling_rows`` then holds the large run's per-entry cost
to 1.2x the small run's.

Informational, no target: the same SHA-256 and signature after the imports ``verify``
cannot do without (``benchmarks.baselines.VERIFY_IMPORTS``), the floor under ``verify`` with
its libraries; the verify row's note gives its ratio to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.common import CTLBUILD, GIB, Bench, Row
from benchmarks.inputs import write_thumbprint_list
from benchmarks.startup_rows import floor_start

BUILD, SHOW_JSON, HEADER_ONLY, VERIFY, VERIFY_LIST, LINEAR = 2.0, 2.0, 1.5, 1.5, 1.0, 1.2
#: The rows whose per-entry cost must stay flat from the small run to the large one.
SCALED = ("build", "show --json", "verify --list")


def scale_rows(bench: Bench, n: int) -> list[Row]:
    tag = _size(n)
    work = bench.tmp / f"scale-{tag}"
    work.mkdir()
    lst = write_thumbprint_list(work / f"bench-{tag}.toml", f"bench-{tag}", n, outputs=("stl",))
    txt, stl = lst.with_suffix(".txt"), work / "out" / f"bench-{tag}.stl"
    keys = bench.tmp / "keys"
    print(f"  {tag}: build", file=sys.stderr, flush=True)
    # floor.py build makes a fresh RSA-2048 key first (random: 0.05-1 s): the median of 3.
    floor_build = bench.floor("build", txt, work / "floor.der", repeat=3)
    build = bench.run([CTLBUILD, "build", "--keys", keys, "-o", work / "out", lst], f"build {tag}", cwd=work)
    print(f"  {tag}: show", file=sys.stderr, flush=True)
    floor_read = bench.floor("read", work / "floor.der")
    show = bench.run([CTLBUILD, "show", "--json", stl], f"show --json {tag}")
    header = bench.run([CTLBUILD, "show", "--header-only", stl], f"show --header-only {tag}", repeat=3)
    print(f"  {tag}: verify", file=sys.stderr, flush=True)
    anchor = ["--anchor", keys / "dev-root-ca.pem"]
    signature = _signature_of(bench, stl, keys)
    hash_verify = bench.run([sys.executable, "-m", "benchmarks.baselines", "hash-verify", stl,
                             keys / "dev-signer.pem", signature], f"hash-verify {tag}", repeat=3)
    verify_floor = bench.run([sys.executable, "-m", "benchmarks.baselines", "verify-imports", stl,
                              keys / "dev-signer.pem", signature], f"verify-imports {tag}", repeat=3)
    verify = bench.run([CTLBUILD, "verify", stl, *anchor], f"verify {tag}", repeat=3)
    verify_list = bench.run([CTLBUILD, "verify", stl, *anchor, "--list", lst], f"verify --list {tag}")
    bench.shared[f"floor read {n}"] = floor_read.seconds
    start = floor_start(bench)
    rows = [
        Row("floor.py build", n, floor_build.seconds, floor_build.peak_rss),
        Row("build", n, build.seconds, build.peak_rss, floor_build.seconds, "floor.py build", BUILD,
            max_rss=GIB, note="thumbprint file + [defaults], stl only"),
        Row("floor.py read", n, floor_read.seconds, floor_read.peak_rss),
        Row("show --json", n, show.seconds, show.peak_rss, floor_read.seconds, "floor.py read", SHOW_JSON),
        Row("show --header-only", n, header.seconds, header.peak_rss, start, "floor.py start", HEADER_ONLY),
        Row("sha-256 of the file + 1 signature", n, hash_verify.seconds, hash_verify.peak_rss),
        Row("verify's imports + sha-256 + 1 signature", n, verify_floor.seconds, verify_floor.peak_rss),
        Row("verify --anchor", n, verify.seconds, verify.peak_rss, hash_verify.seconds,
            "sha-256 + 1 signature", VERIFY,
            note=f"{verify.seconds / verify_floor.seconds:.2f}x sha-256 + 1 signature after its imports"),
        Row("verify --list", n, verify_list.seconds, verify_list.peak_rss, build.seconds + verify.seconds,
            "build + verify", VERIFY_LIST),
    ]
    bench.shared.setdefault("scale", {})[n] = {r.label: r for r in rows}
    return rows


def scaling_rows(bench: Bench) -> list[Row]:
    """Per-entry cost of the largest run against the smallest: baseline = the small run's
    seconds scaled to the large run's entry count (linear), target 1.2."""
    runs = bench.shared.get("scale", {})
    if len(runs) < 2:
        return []
    small, large = min(runs), max(runs)
    out = []
    for label in SCALED:
        a, b = runs[small][label], runs[large][label]
        out.append(Row(f"{label}: per entry, {_size(large)} vs {_size(small)}", large, b.seconds, b.peak_rss,
                       a.seconds * large / small, f"{_size(small)} x {large // small}", LINEAR,
                       note=f"{a.seconds / small * 1e6:.1f} -> {b.seconds / large * 1e6:.1f} us/entry"))
    return out


def _signature_of(bench: Bench, stl: Path, keys: Path) -> Path:
    """An RSA signature over the file's SHA-256 with the dev signer key, made untimed, for the
    hash-verify baseline to check."""
    sig = stl.with_suffix(".sig")
    bench.run([sys.executable, "-m", "benchmarks.baselines", "sign", stl, keys / "dev-signer.key", sig],
              "sign for hash-verify")
    return sig


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
