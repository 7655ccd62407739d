"""``python -m tests.fuzz.capped TARGET N``: each hostile seed of TARGET and N random
mutations of it through the target, under RLIMIT_AS; prints the peak RSS in MiB.

Exit 0 when every input ended in a result or a ctlbuild error; a MemoryError (the
cap reached), a RecursionError or any other exception exits non-zero with its
traceback, naming the input that caused it."""

from __future__ import annotations

import random
import resource
import sys

ADDRESS_SPACE = 1536 << 20


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(max(len(out), 1))
        op = rng.choice(("flip", "truncate", "insert", "big", "delete"))
        if op == "flip" and out:
            out[at] ^= rng.randint(1, 255)
        elif op == "truncate":
            del out[at:]
        elif op == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif op == "big" and len(out) > at + 4:
            out[at:at + 4] = rng.choice((b"\xff\xff\xff\xff", b"\xff\xff\x00\x00", b"\x00\x80\x00\x00"))
        elif op == "delete" and out:
            del out[at:at + rng.randint(1, 16)]
    return bytes(out)


def main(target: str, count: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    from tests.fuzz.targets import TARGETS, hostile_seeds
    run = TARGETS[target]
    rng = random.Random(f"{target}-{count}")
    for n, seed in enumerate(hostile_seeds(target)):
        for i in range(count + 1):
            data = seed if i == 0 else mutate(seed, rng)
            try:
                run(data)
            except BaseException:
                print(f"{target}: seed {n}, mutation {i} ({len(data)} bytes) failed", file=sys.stderr)
                raise
    print(f"peak RSS MiB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
