"""Rows for ``diff`` and ``changelog``: whole processes, like the others.

  6. ``diff`` of two signed 1M-entry CTLs that differ in 1% of entries (a third
     removed, a third added, a third with another disabled-since date; the new
     file's entries shuffled, as Microsoft's are): <= 15 s
  7. ``changelog --format html`` over 50 releases of a 500-entry list, each naming
     the one before as ``previous`` (per release: 10 entries swapped, 5 moved to another
     disabled-since date and the 5 moved before moved back): <= 5 s

>>> from benchmarks.diff_rows import bench_rows
>>> rows = bench_rows(Path(tmp), large=1_000_000)   # doctest: +SKIP

Inputs are generated (untimed) and built with ``ctlbuild build`` into ``tmp``;
``diff`` exits 1 when the files differ, which is what is expected here.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from benchmarks.inputs import SEED, THIS_UPDATE, thumbprints
from benchmarks.process import measure

DIFF_SECONDS = 15
CHANGELOG_SECONDS = 5


def bench_rows(tmp: Path, large: int = 1_000_000, releases: int = 50, release_entries: int = 500,
               keys: Path | None = None) -> list:
    """The two rows, as ``benchmarks.__main__.Row``. ``keys`` is a folder made by
    ``ctlbuild keys init`` (made in ``tmp`` when not given)."""
    from benchmarks.common import CTLBUILD, Row, _env, _run

    work = tmp / "diff-bench"
    work.mkdir(exist_ok=True)
    if keys is None:
        keys = work / "keys"
        if not keys.exists():
            _run([CTLBUILD, "keys", "init", "--dir", str(keys)], "keys init", work)
    old, new = _write_diff_lists(work, large)
    _run([CTLBUILD, "build", "--keys", str(keys), "-o", "out", old.name, new.name], "build for diff", work)
    diff = measure([CTLBUILD, "diff", f"out/{old.stem}.stl", f"out/{new.stem}.stl", "--format", "json"],
                   stdout=subprocess.DEVNULL, env=_env(), cwd=work)
    if diff.returncode != 1:  # 1: they differ, as built; anything else is broken software
        raise SystemExit(f"benchmark: diff exited {diff.returncode}\n{diff.stderr}")

    newest = _write_releases(work / "releases", releases, release_entries)
    changelog = measure([CTLBUILD, "changelog", str(newest), "--format", "html"],
                        stdout=subprocess.DEVNULL, env=_env(), cwd=work)
    if changelog.returncode != 0:
        raise SystemExit(f"benchmark: changelog exited {changelog.returncode}\n{changelog.stderr}")

    return [
        Row("diff (two signed CTLs, 1% differ)", large, diff.seconds, diff.peak_rss,
            f"<= {DIFF_SECONDS} s", diff.seconds <= DIFF_SECONDS),
        Row(f"changelog --format html ({releases} releases x {release_entries})", releases * release_entries,
            changelog.seconds, changelog.peak_rss, f"<= {CHANGELOG_SECONDS} s",
            changelog.seconds <= CHANGELOG_SECONDS),
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
