"""The long fuzzing run (``make fuzz``): coverage-guided atheris on every reader.

    python -m tests.fuzz.run_atheris [TARGET ...] [--seconds N]

Seeds come from the examples, ../shared/fixtures (read in place, copied only into a
temporary corpus) and the hostile inputs at each reader's limits (cabinet, SST and
nested-signature bombs, hostile TOML: ``targets.hostile_seeds``). Every target runs
under a 512 MiB RSS limit: going over it is a crash like any other. A crash is saved under tests/fuzz/regressions/<target>/
so that tests/test_fuzz.py replays it from then on; the run exits 1 if any target
crashed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "microsoft"
SEEDS = {
    "ctl": ["*.stl"], "verify": ["disallowedcert-2012-05-30.stl"], "sst": ["*.sst"], "cab": ["*.cab"],
    "pem": ["certs/0*.crt"], "list": [], "source": ["disallowedcertstl-2012-05-30.cab", "rootsupd-roots.sst"],
    "nested": ["authroot-2018-06-19.stl"],
}
#: Every reader bounds its memory (ctlbuild.limits): libFuzzer reports anything above as a crash.
RSS_LIMIT_MB = 512


def _child(target: str) -> None:
    import atheris

    with atheris.instrument_imports():
        from tests.fuzz.targets import TARGETS
    run = TARGETS[target]
    atheris.Setup(sys.argv[:1] + sys.argv[3:], run)
    atheris.Fuzz()


def _corpus(target: str, folder: Path) -> None:
    folder.mkdir(parents=True)
    for pattern in SEEDS[target]:
        for path in sorted(FIXTURES.glob(pattern))[:20]:
            shutil.copy(path, folder / path.name)
    if target in ("list", "source"):
        for path in sorted((REPO / "examples").glob("*.toml")):
            shutil.copy(path, folder / path.name)
    from tests.fuzz.targets import hostile_seeds
    for n, seed in enumerate(hostile_seeds(target)):
        (folder / f"hostile-{n}").write_bytes(seed)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2])
        return 0
    from tests.fuzz.targets import TARGETS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=120, help="per target (default 120)")
    args = parser.parse_args()
    crashed = []
    for target in args.targets:
        work = Path(tempfile.mkdtemp(prefix=f"ctlbuild-fuzz-{target}-"))
        corpus = work / "corpus"
        _corpus(target, corpus)
        print(f"fuzzing {target} for {args.seconds} s ...", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "tests.fuzz.run_atheris", "--child", target, str(corpus),
             f"-max_total_time={args.seconds}", f"-rss_limit_mb={RSS_LIMIT_MB}", "-timeout=10",
             f"-artifact_prefix={work}/", "-print_final_stats=1"], cwd=REPO)
        for artifact in sorted(work.glob("crash-*")) + sorted(work.glob("timeout-*")) + sorted(work.glob("oom-*")):
            keep = HERE / "regressions" / target / artifact.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(artifact, keep)
            print(f"  {target}: kept {keep.relative_to(REPO)}")
        if result.returncode != 0:
            crashed.append(target)
        shutil.rmtree(work, ignore_errors=True)
    print("crashed: " + ", ".join(crashed) if crashed else "no crashes")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
