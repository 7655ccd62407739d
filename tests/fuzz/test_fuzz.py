"""Short fuzzing in the suite (hypothesis); the long run is ``make fuzz`` (atheris).

Seeds are real inputs (our outputs, Microsoft's files, the examples), mutated by
flips, truncations, insertions and length-field lies; plus pure random bytes.
Every crash a fuzzer ever found is kept under tests/fuzz/regressions/<target>/."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import TARGETS, hostile_seeds
from tests.peers import MICROSOFT

REGRESSIONS = Path(__file__).parent / "regressions"


def _seeds(target: str) -> list[bytes]:
    examples = [p.read_bytes() for p in sorted(Path("examples").glob("*.toml"))]
    micro = {
        "ctl": ["disallowedcert-2012-05-30.stl"], "verify": ["disallowedcert-2012-05-30.stl"],
        "sst": ["rootsupd-roots.sst"], "cab": ["disallowedcertstl-2012-05-30.cab"],
        "pem": ["certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt"],
        "source": ["disallowedcertstl-2012-05-30.cab", "rootsupd-roots.sst"],
    }.get(target, [])
    seeds = [(MICROSOFT / m).read_bytes() for m in micro if (MICROSOFT / m).exists()]
    seeds += hostile_seeds(target)
    return seeds + (examples if target in ("list", "source") else []) or [b"\x30\x00"]


@st.composite
def mutated(draw, seeds):
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "big-length", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "big-length" and len(data) > at + 5:
            data[at:at + 5] = b"\x84\xff\xff\xff\xf0"  # a 4 GiB DER length, or a huge u32 in an SST
        elif op == "delete" and data:
            del data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mutated_inputs_fail_cleanly(target):
    run = TARGETS[target]

    @FUZZ
    @given(mutated(_seeds(target)))
    def check(data):
        run(data)

    check()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_random_bytes_fail_cleanly(target):
    run = TARGETS[target]

    @FUZZ
    @given(st.binary(max_size=512))
    def check(data):
        run(data)

    check()


def _regressions():
    return [pytest.param(t.name, f, id=f"{t.name}/{f.name}") for t in sorted(REGRESSIONS.iterdir()) if t.is_dir()
            for f in sorted(t.iterdir())] if REGRESSIONS.exists() else []


@pytest.mark.parametrize("target, path", _regressions())
def test_regression_files(target, path):
    TARGETS[target](path.read_bytes())


@pytest.mark.parametrize("target", ["cab", "sst", "nested", "list"])
def test_mutated_bombs_under_a_memory_cap(target):
    """The readers with limits, on mutations of inputs at those limits, in a child
    process whose address space is capped: a reader that stops bounding its memory
    fails here with MemoryError, not by taking the machine down."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "tests.fuzz.capped", target, "40"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    peak_mib = float(result.stdout.split()[-1])
    assert peak_mib < 512, result.stdout
