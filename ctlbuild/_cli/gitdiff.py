"""``ctlbuild diff --git-external``: git's external diff driver (``diff.stl.command``).

git runs the command with one of three argument lists (git(1), GIT_EXTERNAL_DIFF):

- ``path`` alone, for a path that is unmerged (a merge conflict, ``git diff --cached``);
- ``path old-file old-hex old-mode new-file new-hex new-mode``, with ``/dev/null`` for
  the file and ``.`` for the hex and mode of the side of an added or deleted file;
- the seven and ``new-path rename-info`` when it found a rename or copy (``-M``, ``-C``),
  rename-info being git's header lines ("similarity index 85%", "rename from …", …).

git takes any exit status but 0 as "external diff died" (it stops the whole diff). So this
mode always exits 0 when it could read both sides, whatever they differ by; bad input is
still exit 2, with its one line.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import PurePosixPath

from ..errors import UsageError
from ..lists.sources import read_source
from ..reports.diff import diff_files
from ..reports.diffview import render_diff
from ..reports.show import describe, describe_certificates, render_certificates_stable, render_stable
from ..reports.terminal import printable

GIT_ARGS = ("PATH", "OLD-FILE", "OLD-HEX", "OLD-MODE", "NEW-FILE", "NEW-HEX", "NEW-MODE", "NEW-PATH", "RENAME-INFO")
_HEX = re.compile(r"[0-9a-f]+")


def git_external(args, *, lang: str = "en", style: str = "spaced") -> str:
    if len(args) == 1:
        return f"* Unmerged path {printable(args[0])}\n"  # git's own words for it
    if len(args) not in (7, 9):
        raise UsageError(f"--git-external takes the 1, 7 or 9 arguments git passes ({' '.join(GIT_ARGS)}), "
                         f"not {len(args)}")
    path, old, old_hex, _old_mode, new, new_hex, _new_mode = args[:7]
    new_path, info = args[7:] or (path, "")
    old_at, new_at = _short(old_hex), _short(new_hex)
    head = f"ctlbuild diff a/{printable(path)} b/{printable(new_path)} ({old_at}..{new_at})\n" + _rename(info)
    if _absent(old):
        return head + "new file\n" + _listing(new, style)
    if _absent(new):
        return head + "deleted file\n" + _listing(old, style)
    d = diff_files(_file(old), _file(new))
    # git hands over temporary files (/tmp/git-blob-…): the report names the tracked file at
    # each blob instead, as "authroot.stl@1a2b3c4d5e".
    d.old_source = replace(d.old_source, path=PurePosixPath(f"{PurePosixPath(path).name}@{old_at}"))
    d.new_source = replace(d.new_source, path=PurePosixPath(f"{PurePosixPath(new_path).name}@{new_at}"))
    return head + render_diff(d, "text", lang=lang, style=style)


def _short(hex_id: str) -> str:
    """git passes a blob's hex id, 40 zeros for a work-tree file, "." for a missing side;
    anything else is shown escaped, never sent to the terminal as it is."""
    if hex_id == ".":
        return "0" * 10  # as git's own "index 0000000..1a2b3c4" for an added or deleted file
    return hex_id[:10] if _HEX.fullmatch(hex_id) else printable(hex_id[:10])


def _rename(info: str) -> str:
    """git's rename or copy lines, but its "index" line: the header names both blobs already."""
    return "".join(printable(line) + "\n" for line in info.splitlines() if line and not line.startswith("index "))


def _absent(path: str) -> bool:
    return path == os.devnull or path == "/dev/null"


def _file(path: str) -> str:
    """A work-tree file git names "-" is that file, not standard input (an absolute path:
    pathlib makes "./-" "-" again)."""
    return os.path.abspath(path) if path == "-" else path


def _listing(path: str, style: str) -> str:
    source = read_source(_file(path))
    if source.trust_list is not None and not source.certificates:
        return render_stable(describe(source.trust_list, source.signers(), style=style))
    return render_certificates_stable(describe_certificates(source, style))
