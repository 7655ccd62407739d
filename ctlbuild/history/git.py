"""Every committed version of one file in a git repository, through the ``git`` command.

>>> from ctlbuild.history.git import parse_spec, git_releases
>>> repo, path = parse_spec("archive:authroot/authroot.stl")     # doctest: +SKIP
>>> [r.origin for r in git_releases(repo, path)]                   # doctest: +SKIP
['archive:authroot/authroot.stl@1f2e3d4', ...]

Trust-list archives are kept as git histories (one file, one commit per release).
``git log --follow`` finds the commits that changed the file (renames followed),
``git cat-file --batch`` reads each version in one process. git runs with a
fixed, minimal configuration: no pager, no text conversion, no replacement objects,
and nothing from the repository can make it run another program for us.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from ..errors import FormatError, UsageError
from ..lists.sources import source_from_bytes
from .releases import MAX_RELEASES, Release, release_from_source

#: The largest version read (a 1M-entry signed CTL is some 60 MB).
MAX_BLOB = 256 << 20
#: How long one git command may take.
GIT_SECONDS = 300


def parse_spec(spec: str) -> tuple[Path, str]:
    """``REPO:PATH`` → (repository folder, path inside it). The first ``:`` whose left side
    is a folder splits them, so a repository path may itself hold a colon."""
    for i, ch in enumerate(spec):
        if ch == ":" and i and Path(spec[:i]).is_dir():
            path = spec[i + 1:]
            if not path:
                break
            return Path(spec[:i]), path
    raise UsageError(f"{spec!r} is not REPO:PATH (a git repository folder, a colon, a file path in it)")


def git_releases(repo: Path, path: str) -> list[Release]:
    """Each committed version of ``path``, oldest commit first (commits that deleted it skipped)."""
    commits = _commits(repo, path)
    if not commits:
        raise UsageError(f"{repo}:{path}: no commit holds this file")
    if len(commits) > MAX_RELEASES:
        raise UsageError(f"{repo}:{path}: {len(commits)} versions, more than {MAX_RELEASES}")
    out = []
    for (commit, when, name), data in zip(commits, _blobs(repo, [(c, n) for c, _w, n in commits])):
        origin = f"{repo}:{name}@{commit[:12]}"
        source = source_from_bytes(Path(origin), data, lists=False)
        out.append(release_from_source(source, origin, commit, when))
    return out


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise UsageError("reading a git history needs the git command, which is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # PATH is a file name, never a pathspec pattern (":(glob)…", "*"): literal pathspecs.
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_NO_REPLACE_OBJECTS="1", GIT_TERMINAL_PROMPT="0",
               GIT_LITERAL_PATHSPECS="1", LC_ALL="C")
    argv = [git, "-c", "core.quotepath=off", "-c", "log.showSignature=false", "-C", str(repo), *args]
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=GIT_SECONDS)
    except subprocess.TimeoutExpired:
        raise FormatError(f"git {args[0]} took longer than {GIT_SECONDS} s", path=repo) from None
    if proc.returncode != 0:
        message = (proc.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[0]
        raise FormatError(f"git {args[0]}: {message}", path=repo)
    return proc.stdout


def _commits(repo: Path, path: str) -> list[tuple[str, datetime, str]]:
    """(commit, committer date, the file's path in that commit), oldest first."""
    if not Path(repo).is_dir():
        raise UsageError(f"{repo}: not a folder")
    out = _git(repo, "log", "--follow", "--diff-filter=d", "--no-textconv", "--format=%x00%H %cI",
               "--name-only", "--", path)
    commits = []
    for record in out.decode("utf-8", errors="replace").split("\0")[1:]:
        head, *names = [line for line in record.splitlines() if line]
        commit, when = head.split(" ", 1)
        commits.append((commit, datetime.fromisoformat(when), names[-1] if names else path))
    commits.reverse()
    return commits


def _blobs(repo: Path, wanted: list[tuple[str, str]]) -> list[bytes]:
    """The contents of ``commit:path`` for each pair, through one ``git cat-file --batch``.
    Sizes are checked against MAX_BLOB before git is asked for the bytes."""
    request = "".join(f"{commit}:{name}\n" for commit, name in wanted).encode()
    sizes = _git(repo, "cat-file", "--batch-check=%(objecttype) %(objectsize)", stdin=request)
    for (commit, name), line in zip(wanted, sizes.decode().splitlines()):
        kind, _, size = line.partition(" ")
        if kind != "blob":
            raise FormatError(f"{name} at {commit[:12]} is not a file ({line})", path=repo)
        if int(size) > MAX_BLOB:
            raise FormatError(f"{name} at {commit[:12]} is {int(size):,} bytes, more than {MAX_BLOB:,}", path=repo)
    data = _git(repo, "cat-file", "--batch", stdin=request)
    out, pos = [], 0
    for _ in wanted:
        end = data.index(b"\n", pos)
        size = int(data[pos:end].rsplit(b" ", 1)[1])
        out.append(data[end + 1:end + 1 + size])
        pos = end + 1 + size + 1  # the content is followed by a newline
    return out
