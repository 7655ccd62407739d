"""``make demo`` then ``make clean`` in a fresh copy: clean removes everything the demo wrote
(cabinets, changelogs, HTML, JSON, the mirror and the deploy kit), never keys/ nor a file
of the user's in out/."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers import require_tool

BIN = Path(sys.executable).parent


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.mark.slow
def test_make_clean_removes_what_the_demo_wrote_but_not_keys(tmp_path):
    make = require_tool("make")
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(name, tmp_path / name)
    before = files(tmp_path)
    stamp = tmp_path / ".stamp"  # the venv is this one: the demo must not install another
    stamp.touch()
    demo = subprocess.run([make, "demo", f"BIN={BIN}", f"STAMP={stamp}"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    made = files(tmp_path) - before
    assert {"out/diginotar-kb2616676stl.cab", "out/diginotar-kb2616676.changelog.md", "out/diginotar.zh-CN.html",
            "out/mirror/ctlbuild-mirror.json", "keys/dev-signer.key"} <= made
    assert any(name.startswith("out/deploy/") for name in made)
    (tmp_path / "out" / "mine.txt.keep").write_text("the user's\n")
    keys = {name for name in made if name.startswith("keys/")}
    clean = subprocess.run([make, "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    assert files(tmp_path) - {".stamp"} == before | keys | {"out/mine.txt.keep"}
