"""Synthetic list files, generated from a seeded RNG so every run builds the same data."""

from __future__ import annotations

import random
from pathlib import Path

SEED = 20110829
THIS_UPDATE = "2024-01-01T00:00:00Z"


def thumbprints(count: int, seed: int = SEED) -> list[str]:
    """``count`` distinct random SHA-1 thumbprints as lower-case hex."""
    rng = random.Random(seed)
    out = [rng.randbytes(20).hex() for _ in range(count)]
    if len(set(out)) != count:  # 160 random bits: never, but a duplicate would fail the build
        raise RuntimeError("duplicate thumbprint generated; change the seed")
    return out


def write_entry_tables(path: Path, name: str, count: int) -> Path:
    """A disallowed list with one ``[[entry]]`` table per certificate."""
    lines = [f'name = "{name}"', 'kind = "disallowed"', f"this_update = {THIS_UPDATE}", ""]
    for i, thumb in enumerate(thumbprints(count), 1):
        lines += ["[[entry]]", f'sha1 = "{thumb}"', f'friendly_name = "Bench certificate {i:07d}"',
                  "disabled_since = 2020-01-01", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_thumbprint_list(path: Path, name: str, count: int, outputs: tuple[str, ...] | None = None) -> Path:
    """A disallowed list whose entries come from a thumbprint file, attributes from [defaults]."""
    txt = path.with_suffix(".txt")
    txt.write_text("\n".join(thumbprints(count, SEED + 1)) + "\n", encoding="ascii")
    chosen = [f"outputs = [{', '.join(repr(o) for o in outputs)}]".replace("'", '"')] if outputs else []
    path.write_text("\n".join([
        f'name = "{name}"', 'kind = "disallowed"', f"this_update = {THIS_UPDATE}", *chosen, "",
        "[defaults]", "disabled_since = 2020-01-01", 'updates = ["KB0000001"]', "",
        "[[entry]]", f'thumbprints = "{txt.name}"', ""]), encoding="utf-8")
    return path
