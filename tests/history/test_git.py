"""A git repository holding the releases as one file's history reads as the folder does."""

from __future__ import annotations

import os
import subprocess

import pytest

from ctlbuild.errors import FormatError, UsageError
from ctlbuild.history.git import git_releases, parse_spec
from ctlbuild.history.releases import order_releases, read_releases
from ctlbuild.history.timeline import build_history
from ctlbuild.reports.historyview import history_data
from tests.history.conftest import run
from tests.peers import require_tool


def _git(repo, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def archive(tmp_path, three_releases):
    """A repository where each release was committed over ``ctl/authroot.stl``, then renamed
    to ``authroot.stl``: the order of the commits is not the releases' (the newest first)."""
    require_tool("git")
    repo = tmp_path / "archive"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "ctl").mkdir()
    for path in three_releases:
        (repo / "ctl" / "authroot.stl").write_bytes(path.read_bytes())
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"release {path.name}")
    _git(repo, "mv", "ctl/authroot.stl", "authroot.stl")
    _git(repo, "commit", "-q", "-m", "move")
    return repo


def _comparable(data):
    for r in data["releases"]:
        r.pop("origin"), r.pop("commit"), r.pop("committed"), r.pop("kind")
    data.pop("problems")
    return data


def test_a_git_history_reads_the_same_as_the_folder(archive, three_releases):
    releases = git_releases(archive, "authroot.stl")
    # Three releases and the rename, which committed the newest one again under its new name.
    assert len(releases) == 4 and all(r.commit and r.committed for r in releases)
    assert releases[0].origin.startswith(f"{archive}:ctl/authroot.stl@")
    assert releases[-1].origin.startswith(f"{archive}:authroot.stl@")
    ordered = order_releases(releases)
    assert [p.kind for p in ordered.problems] == ["duplicate"]
    from_git = build_history(ordered)
    from_files = build_history(order_releases(read_releases(three_releases)))
    assert _comparable(history_data(from_git)) == _comparable(history_data(from_files))


def test_cli_reads_git_and_says_the_commit(archive):
    result = run("history", "--git", f"{archive}:authroot.stl")
    assert result.exit_code == 0, result.output
    assert "commit " in result.output and "History of authroot: 3 releases" in result.output


def test_bad_git_specs_and_paths_are_bad_input(archive, tmp_path):
    with pytest.raises(UsageError, match="not REPO:PATH"):
        parse_spec(f"{tmp_path}/nowhere:authroot.stl")
    with pytest.raises(UsageError, match="no commit holds"):
        git_releases(archive, "nothing-here.stl")
    not_repo = tmp_path / "plain"
    not_repo.mkdir()
    with pytest.raises(FormatError, match="git log"):
        git_releases(not_repo, "authroot.stl")
    result = run("history", "--git", f"{archive}:missing.stl")
    assert result.exit_code == 2 and "no commit holds" in result.output


def test_a_list_committed_to_git_is_refused(archive):
    (archive / "list.toml").write_text('name = "x"\nkind = "trusted"\nthis_update = 2024-01-01\n', encoding="utf-8")
    _git(archive, "add", "list.toml")
    _git(archive, "commit", "-q", "-m", "a list")
    with pytest.raises(FormatError, match="declarative list"):
        git_releases(archive, "list.toml")
