"""The README's reproducible build, run as written on a fresh copy with fresh development
keys: it succeeds, two runs are byte-identical (every file of out/, dot files included),
and what it signs verifies with the development root at that signing time."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path("README.md")
BIN = Path(sys.executable).parent


def readme_reproducible_command() -> str:
    lines = [line.split("#")[0].strip() for line in README.read_text().splitlines()
             if line.startswith("SOURCE_DATE_EPOCH=") and "ctlbuild build" in line]
    assert lines, "README.md lost its reproducible build example"
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh-clone")
    shutil.copytree("examples", root / "examples")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run(["ctlbuild", "keys", "init"], cwd=root, env=env, check=True, capture_output=True)
    return root, env


def build(project, command) -> subprocess.CompletedProcess:
    root, env = project
    shutil.rmtree(root / "out", ignore_errors=True)
    return subprocess.run(["sh", "-c", command], cwd=root, env=env, capture_output=True, text=True)


def test_build_help_shows_the_same_example():
    command = readme_reproducible_command()
    assert re.fullmatch(r"SOURCE_DATE_EPOCH=1315872000 ctlbuild build examples/\*\.toml", command)
    result = subprocess.run([BIN / "ctlbuild", "build", "--help"], capture_output=True, text=True)
    assert command in result.stdout


def test_readme_reproducible_build_is_byte_identical(project):
    command = readme_reproducible_command()
    first = build(project, command)
    assert first.returncode == 0, first.stderr
    assert "warning" not in first.stderr, first.stderr
    one = tree(project[0] / "out")
    second = build(project, command)
    assert second.returncode == 0, second.stderr
    assert tree(project[0] / "out") == one
    assert {"manifest.json", "diginotar-kb2616676.stl"} <= set(one)


def test_what_it_signs_verifies_with_the_dev_root_at_that_time(project):
    root, env = project
    assert build(project, readme_reproducible_command()).returncode == 0
    for stl in sorted((root / "out").glob("*.stl")):
        for at in ([], ["--at", "2011-09-13T00:00:00Z"]):
            result = subprocess.run(["ctlbuild", "verify", stl, "--anchor", "keys/dev-root-ca.pem",
                                     "--list", f"examples/{stl.stem}.toml", *at],
                                    cwd=root, env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
