"""``ctlbuild diff --git-external``: git's external diff driver (``diff.stl.command``).

git runs the command with seven arguments — path, old-file, old-hex, old-mode, new-file,
new-hex, new-mode — with ``/dev/null`` for the side of an added or deleted file, and takes
any exit status but 0 as "external diff died" (it stops the whole diff). So this mode
always exits 0 when it could read both sides, whatever they differ by; bad input is
still exit 2, with its one line.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import PurePosixPath

from ..lists.sources import read_source
from ..reports.diff import diff_files
from ..reports.diffview import render_diff
from ..reports.show import describe, describe_certificates, render_certificates_stable, render_stable
from ..reports.terminal import printable

GIT_ARGS = ("PATH", "OLD-FILE", "OLD-HEX", "OLD-MODE", "NEW-FILE", "NEW-HEX", "NEW-MODE")


def git_external(args, *, lang: str = "en", style: str = "spaced") -> str:
    path, old, old_hex, _old_mode, new, new_hex, _new_mode = args
    head = f"ctlbuild diff a/{printable(path)} b/{printable(path)} ({old_hex[:10]}..{new_hex[:10]})\n"
    if _absent(old):
        return head + "new file\n" + _listing(new, style)
    if _absent(new):
        return head + "deleted file\n" + _listing(old, style)
    d = diff_files(old, new)
    # git hands over temporary files (/tmp/git-blob-…): the report names the tracked file at
    # each blob instead, as "authroot.stl@1a2b3c4d5e".
    name = PurePosixPath(path).name
    d.old_source = replace(d.old_source, path=PurePosixPath(f"{name}@{old_hex[:10]}"))
    d.new_source = replace(d.new_source, path=PurePosixPath(f"{name}@{new_hex[:10]}"))
    return head + render_diff(d, "text", lang=lang, style=style)


def _absent(path: str) -> bool:
    return path == os.devnull or path == "/dev/null"


def _listing(path: str, style: str) -> str:
    source = read_source(path)
    if source.trust_list is not None and not source.certificates:
        return render_stable(describe(source.trust_list, source.signers(), style=style))
    return render_certificates_stable(describe_certificates(source, style))
