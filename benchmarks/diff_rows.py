"""Rows for ``diff`` and ``changelog``: whole processes, like the others.

* ``diff`` of two signed CTLs (``--large`` entries) that differ in 1% of entries (a third
  removed, a third added, a third with another disabled-since date; the new file's entries
  shuffled, as Microsoft's are): <= 3x ``floor.py read`` of one file of that size.
* ``changelog --format html`` over 50 releases of a 500-entry list, each naming the one
  before as ``previous`` (per release: 10 entries swapped, 5 moved to another disabled-since
  date and the 5 moved before moved back): <= 5x reading the 50 TOML files with rtoml
  (``benchmarks.baselines parse-toml``).

Inputs are generated (untimed) and built with ``ctlbuild build``; ``diff`` exits 1 when
the files differ, which is what is expected here.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from benchmarks.common import CTLBUILD, Bench, Row
from benchmarks.inputs import SEED, THIS_UPDATE, thumbprints

DIFF, CHANGELOG = 3.0, 5.0


def bench_rows(bench: Bench, large: int = 1_000_000, releases: int = 50, release_entries: int = 500) -> list[Row]:
    work = bench.tmp / "diff-bench"
    work.mkdir(exist_ok=True)
    keys = bench.tmp / "keys"
    old, new = _write_diff_lists(work, large)
    print("  diff: build both releases (untimed)", file=sys.stderr, flush=True)
    bench.run([CTLBUILD, "build", "--keys", keys, "-o", "out", old.name, new.name], "build for diff", cwd=work)
    floor_read = bench.shared.get(f"floor read {large}")
    if floor_read is None:
        bench.floor("build", work / "diff-old.txt", work / "floor.der")
        floor_read = bench.floor("read", work / "floor.der").seconds
    diff = bench.run([CTLBUILD, "diff", f"out/{old.stem}.stl", f"out/{new.stem}.stl", "--format", "json"],
                     "diff", cwd=work, ok=(1,))  # 1: they differ, as built

    newest = _write_releases(work / "releases", releases, release_entries)
    # Interleaved, three rounds each: a single run of either moved the ratio by 1-1.5.
    runs = bench.interleaved({
        "parse-toml": [sys.executable, "-m", "benchmarks.baselines", "parse-toml",
                       *sorted((work / "releases").glob("*.toml"))],
        "changelog": [CTLBUILD, "changelog", newest, "--format", "html"]},
        rounds=3)
    parse, changelog = runs["parse-toml"], runs["changelog"]
    return [
        Row("diff --format json (1% differ)", large, diff.seconds, diff.peak_rss, floor_read,
            "floor.py read (one file)", DIFF),
        Row(f"rtoml: read {releases} release lists", releases * release_entries, parse.seconds, parse.peak_rss),
        Row(f"changelog --format html ({releases} x {release_entries})", releases * release_entries,
            changelog.seconds, changelog.peak_rss, parse.seconds, "rtoml read", CHANGELOG),
    ]


def _write_diff_lists(folder: Path, count: int) -> tuple[Path, Path]:
    """Two releases: the old one from a thumbprint file, the new one from another (some
    removed, some added, shuffled) plus [[entry]] tables for the changed entries."""
    rng = random.Random(SEED + 2)
    old_ids = thumbprints(count, SEED + 2)
    third = max(count // 300, 1)  # 1% in all: a third each removed, added, changed
    changed = old_ids[third:2 * third]  # old_ids[:third] are left out: removed
    added = thumbprints(count + third, SEED + 3)[-third:]
    kept = old_ids[2 * third:] + added  # the changed ones come back as [[entry]] tables below
    rng.shuffle(kept)
    (folder / "diff-old.txt").write_text("\n".join(old_ids) + "\n", encoding="ascii")
    (folder / "diff-new.txt").write_text("\n".join(kept) + "\n", encoding="ascii")

    def head(name: str, day: str) -> list[str]:
        return [f'name = "{name}"', 'kind = "disallowed"', f"this_update = {day}", 'outputs = ["stl"]', "",
                "[defaults]", "disabled_since = 2020-01-01", ""]

    old = folder / "diff-old.toml"
    old.write_text("\n".join(head("diff-old", THIS_UPDATE) + ["[[entry]]", 'thumbprints = "diff-old.txt"', ""]),
                   encoding="utf-8")
    lines = head("diff-new", "2024-02-01T00:00:00Z") + ["[[entry]]", 'thumbprints = "diff-new.txt"', ""]
    for sha1 in changed:
        lines += ["[[entry]]", f'sha1 = "{sha1}"', "disabled_since = 2021-01-01", ""]
    new = folder / "diff-new.toml"
    new.write_text("\n".join(lines), encoding="utf-8")
    return old, new


def _write_releases(folder: Path, releases: int, size: int) -> Path:
    """``releases`` lists, each naming the one before as ``previous``; returns the newest."""
    folder.mkdir(exist_ok=True)
    rng = random.Random(SEED + 4)
    pool = iter(thumbprints(size + releases * 10, SEED + 4))
    current = {next(pool): 0 for _ in range(size)}  # thumbprint -> release that added it
    newest = folder
    for n in range(1, releases + 1):
        if n > 1:
            for gone in rng.sample(sorted(current), 10):
                del current[gone]
            current.update({next(pool): n - 1 for _ in range(10)})
        changed = set(rng.sample(sorted(current), 5)) if n > 1 else set()
        lines = [f'name = "release-{n:02d}"', 'kind = "disallowed"', f"this_update = 2024-{1 + n // 28:02d}-"
                 f"{1 + n % 28:02d}T00:00:00Z"]
        if n > 1:
            lines.append(f'previous = ["release-{n - 1:02d}.toml"]')
        lines += ["", "[advisory]", 'title = "Benchmark advisory"', 'number = "0000001"', "date = 2024-01-01",
                  f'revision_note = "Release {n}."', ""]
        for sha1, since in current.items():
            lines += ["[[entry]]", f'sha1 = "{sha1}"', f'friendly_name = "Bench CA {sha1[:8]}"',
                      'issuer = "Bench Root"', f'updates = ["KB{1000000 + since}"]',
                      f"disabled_since = {'2021-01-01' if sha1 in changed else '2020-01-01'}", ""]
        newest = folder / f"release-{n:02d}.toml"
        newest.write_text("\n".join(lines), encoding="utf-8")
    return newest
