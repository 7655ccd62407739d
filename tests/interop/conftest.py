"""Session fixtures for the Wine/crypt32 peer: one .exe, one throw-away WINEPREFIX."""

from __future__ import annotations

import pytest

from tests.interop import wine


@pytest.fixture(scope="session")
def wine_runner(tmp_path_factory):
    """A private WINEPREFIX, booted once per session and deleted afterwards (~700 MB)."""
    wine_bin, server = wine.require_wine()
    base = tmp_path_factory.mktemp("wine")
    runner = wine.WineRunner(wine_bin, server, base / "prefix")
    try:
        runner.boot()
        wine.set_default_runner(runner)
        yield runner
    finally:
        wine.set_default_runner(None)
        runner.remove()


@pytest.fixture(scope="session")
def wine_client(request, tmp_path_factory):
    """Path of ctlclient.exe, compiled once per session; use with wine.run_ctl.

    Compiles first (cheap, skips early without mingw), then boots the prefix.
    """
    exe = wine.build_client(tmp_path_factory.mktemp("ctlclient"))
    request.getfixturevalue("wine_runner")
    return exe
