"""Golden files: rendered output compared byte for byte with a file kept in git.

A test calls ``assert_golden("changelog-diginotar.zh-CN.md", text)``. After a deliberate
change to the output, rewrite the files with ``CTLBUILD_UPDATE_GOLDEN=1 make test`` and
review the difference in git before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent
UPDATE_ENV = "CTLBUILD_UPDATE_GOLDEN"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get(UPDATE_ENV):
        path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"tests/golden/{name} is missing: run with {UPDATE_ENV}=1 and review it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"tests/golden/{name}", "rendered"))
        pytest.fail(f"output differs from tests/golden/{name} ({UPDATE_ENV}=1 rewrites it):\n{diff}")
