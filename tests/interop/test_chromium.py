"""The HTML changelog in a real browser: headless Chromium loads the standalone page, the
table in its DOM is the advisory's row for row, and a screenshot of it is kept as an
artifact of the test run (.test-artifacts/, git-ignored) for a person to look at.

The zh-CN page needs a CJK font, or the screenshot shows empty boxes: Debian's
fonts-wqy-microhei (about 5 MB) is enough.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.peers import missing, require_tool
from tests.reports.test_changelog import HEADINGS, NEW_LIST, advisory_rows, html_table

pytestmark = pytest.mark.interop

ARTIFACTS = Path(__file__).resolve().parents[2] / ".test-artifacts"
WINDOW = (1200, 900)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless run with a fresh profile (nothing shared between runs or with a user)."""
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False)


def _require_cjk_font() -> None:
    fc_list = require_tool("fc-list", "fontconfig")
    fonts = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if not fonts.strip():
        missing("no font with Chinese glyphs for the zh-CN page (Debian package fonts-wqy-microhei)")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_changelog_html_in_chromium(tmp_path, lang):
    chromium = require_tool("chromium")
    if lang == "zh-CN":
        _require_cjk_font()
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"changelog-diginotar.{lang}.html"
    result = CliRunner().invoke(main, ["changelog", str(NEW_LIST), "--format", "html", "--lang", lang,
                                       "-o", str(page)])
    assert result.exit_code == 0, result.output

    dom = _chromium(chromium, tmp_path / "dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    headings, rows = html_table(dom.stdout)
    assert headings == HEADINGS[lang]
    assert rows == advisory_rows(lang)

    png = ARTIFACTS / f"changelog-diginotar.{lang}.png"
    png.unlink(missing_ok=True)
    shot = _chromium(chromium, tmp_path / "shot", f"--screenshot={png}",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", page.as_uri())
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    data = png.read_bytes()
    assert _png_size(data) == WINDOW
    # A blank 1200x900 page compresses to a few kB; text and a table make far more.
    assert len(data) > 40_000, f"{png} looks empty ({len(data)} bytes)"
    shutil.rmtree(tmp_path, ignore_errors=True)
