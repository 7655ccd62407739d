"""Finding the real peers (OpenSSL, Wine, cabextract, ...) and the shared fixtures.

A test that needs a peer calls ``require_tool``: locally an absent peer skips with
a reason; in CI (``CI=true``) it fails, because CI is supposed to install it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
MICROSOFT = FIXTURES / "microsoft"
DIGINOTAR = FIXTURES / "diginotar"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip locally, fail in CI, where every peer must be installed."""
    if in_ci():
        pytest.fail(f"peer missing in CI: {reason}")
    pytest.skip(reason)


def require_tool(name: str, package: str | None = None) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not installed (Debian package {package or name})")
    return path


def require_fixtures() -> Path:
    """The shared fixtures are optional: tests skip cleanly where they are absent."""
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES
