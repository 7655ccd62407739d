"""Writing outputs so that nothing is ever half-written, and out/ always matches its manifest.

>>> from ctlbuild.build.outputs import OutputDir
>>> with OutputDir(Path("out")) as out:             # takes out/.ctlbuild.lock   # doctest: +SKIP
...     out.publish({"demo.stl": stl}, {"demo": record})                          # doctest: +SKIP

A build is published as a small journal: every new file and the new manifest
are first written, fsynced, into ``out/.ctlbuild-staging/``; a ``COMMIT`` marker
then makes the set final, and the files are renamed into place, manifest last.
A build killed before the marker leaves out/ as it was (the staging folder is
discarded by the next build); killed after it, the next build — or ``recover`` —
finishes the renames. Two builds into one out/ are serialised by a lock file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..limits import MAX_INPUT_FILE, MAX_MANIFEST_FILE, STDIN_NAME, TooBig, read_capped

MANIFEST = "manifest.json"
STAGING = ".ctlbuild-staging"
LOCK = ".ctlbuild.lock"
COMMIT = "COMMIT"
#: What a build may name in out/: a list name (reader.py's rule) and a suffix, or the
#: manifest. Nothing with a separator, a leading dot, or a NUL.
_OUTPUT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,250}")
#: Names a committed set removes after its renames (mirror: .crt files past their grace period).
DELETE = "DELETE"
#: How pipeline.build_list and build_content name a list's outputs (``<name><suffix>``):
#: ``build --check`` names such files that nothing records (left by an older build).
OUTPUT_SUFFIXES = (".stl", ".sst", "stl.cab", ".changelog.md", ".ctl")


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        _discard(tmp)
        raise


def write_if_changed(path: Path | str, data: bytes, mode: int = 0o644) -> bool:
    """``atomic_write`` unless ``path`` is already a regular file (not a link) with exactly
    these bytes and this mode: re-importing a release rewrites hundreds of certificate files
    that did not change, and leaving them alone keeps their dates (make, rsync, backups).
    Whether it wrote."""
    try:
        # O_NOFOLLOW and fstat: the file judged is the one read, never a link put in its place.
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO: no wait
        with open(os.open(path, flags), "rb") as fh:
            st = os.fstat(fh.fileno())
            # Ours alone too: a file another user planted (or a hard link to one) is replaced.
            ours = st.st_nlink == 1 and st.st_uid == getattr(os, "geteuid", lambda: st.st_uid)()
            if (stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == mode and st.st_size == len(data)
                    and ours and fh.read(len(data) + 1) == data):
                return False
    except OSError:
        pass  # absent, a link or unreadable: atomic_write replaces it or says what is wrong
    atomic_write(path, data, mode)
    return True


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_record(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


class OutputDir:
    """out/ under its lock: recover any interrupted build, then publish new outputs."""

    def __init__(self, path: Path, wait_seconds: float = 60.0,
                 on_wait: Callable[[Path, str | None, float], None] | None = None):
        """``on_wait(path, holder, seconds)`` is told once when another build holds the lock, before
        waiting up to ``seconds`` for it: ``holder`` is "pid N on HOST" when the lock says so."""
        self.path = Path(path)
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self._lock_fd: int | None = None

    def __enter__(self) -> "OutputDir":
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create ({exc.strerror})") from None
        self._lock()
        try:
            recover(self.path)
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._unlock()

    def _lock(self) -> None:
        fd = _open_lock(self.path / LOCK)
        deadline = time.monotonic() + self.wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _is_linked(fd, self.path / LOCK):
                    break
                # The holder removed the file as it let go: lock the one now in its place.
                os.close(fd)
                fd = _open_lock(self.path / LOCK)
                continue
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    os.close(fd)
                    holder = _holder(self.path / LOCK)
                    raise OutputError(f"{self.path}: another ctlbuild build is writing here"
                                      f"{f' ({holder})' if holder else ''}; waited "
                                      f"{self.wait_seconds:g} s") from None
                if not told and self.on_wait is not None:  # a silent minute looks like a hang
                    self.on_wait(self.path, _holder(self.path / LOCK), self.wait_seconds)
                    told = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        # Who holds it, for the build that waits: the pid alone means little on a shared folder.
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._lock_fd = fd

    def _unlock(self) -> None:
        """Remove the lock file, then release it: no pid outlives the build in out/ (two
        identical builds leave identical folders). A waiter that held the removed file
        sees it is unlinked and locks a new one (``_is_linked``)."""
        if self._lock_fd is not None:
            path = self.path / LOCK
            if _is_linked(self._lock_fd, path):  # ours still: never remove a file planted in its place
                try:
                    os.unlink(path)
                except OSError:
                    pass  # a read-only out/: the flock is released all the same
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def publish(self, files: dict[str, bytes], lists: dict[str, dict], *, partial: bool = False
                ) -> "Published":
        """Stage every file and the merged manifest, mark the set final, then rename it in.

        A build owns the files its manifest records: those a list's previous record names
        and its new one does not (``outputs`` changed) are removed in the same journalled
        set, after the renames — but only plain files still as recorded. A ``partial`` build
        (``--content-only``: a .ctl to compare) adds its files to the lists' records and
        removes nothing: the signed outputs it did not rebuild stay recorded, so a later
        build still owns them."""
        manifest = read_manifest(self.path)
        previous = dict(manifest["lists"])
        if partial:
            lists = {name: _added_to(previous.get(name), record) for name, record in lists.items()}
        manifest["lists"].update(lists)
        manifest["lists"] = dict(sorted(manifest["lists"].items()))
        removed, kept = ([], []) if partial else stale_outputs(self.path, previous, manifest["lists"], lists)
        self.commit({**files, MANIFEST: (json.dumps(manifest, indent=2) + "\n").encode()}, removed)
        return Published(self.path / MANIFEST, removed, kept)

    def commit(self, staged: dict[str, bytes], delete: tuple[str, ...] | list[str] = ()) -> None:
        """Stage ``staged`` (renamed into place in its order: put the manifest last), mark
        the set final, then rename it in and remove ``delete`` (plain names in this folder),
        after every rename. Callers that are not ``build`` (mirror, deploy) bring their own
        manifest; the journal and the roll-forward are the same."""
        for name in (*staged, *delete):
            _check_plain_name(name)
        staging = self.path / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            for name, data in staged.items():
                atomic_write(staging / name, data)
            if delete:
                atomic_write(staging / DELETE, "\n".join(delete).encode())
            atomic_write(staging / COMMIT, "\n".join(staged).encode())  # the marker: written last
            _fsync_dir(staging)
        except OSError as exc:
            raise OutputError(f"{staging}: cannot stage outputs ({exc.strerror})") from None
        recover(self.path)


@dataclass(frozen=True)
class Published:
    """What ``publish`` did: the manifest written, the stale outputs it removed, and the
    ones it left in place with why (``(name, reason)``)."""

    manifest: Path
    removed: list[str]
    kept: list[tuple[str, str]]


def _added_to(old, record: dict) -> dict:
    """``record`` (a partial build's) merged into the list's previous one: the previous
    record stays what it says (its list digest, signing time, entries), with the new files'
    outputs added; without a usable previous record, ``record`` itself."""
    if not isinstance(old, dict) or not isinstance(old.get("outputs"), dict):
        return record
    return {**old, "outputs": {**old["outputs"], **record["outputs"]}}


def _recorded_outputs(record) -> dict:
    outputs = record.get("outputs") if isinstance(record, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def stale_outputs(out_dir: Path, previous: dict, merged: dict, lists: dict
                  ) -> tuple[list[str], list[tuple[str, str]]]:
    """(removable, kept): the files ``previous`` records for ``lists`` that their new records
    (``lists``) do not and that no record of ``merged`` still names. Removable are those
    that are still what was recorded — a plain file (never a link: a link is left, never
    followed) of the recorded size and SHA-256; anything else is kept with the reason."""
    still_owned = {name for record in merged.values() for name in _recorded_outputs(record)}
    removable, kept = [], []
    for list_name, record in lists.items():
        for name, expected in _recorded_outputs(previous.get(list_name)).items():
            if name in still_owned or name in _recorded_outputs(record):
                continue
            why = _why_kept(Path(out_dir), name, expected)
            if why is None:
                removable.append(name)
            elif why:
                kept.append((name, why))
    return sorted(set(removable)), kept


def _why_kept(out_dir: Path, name: str, expected) -> str | None:
    """None when ``name`` may be removed; "" when there is nothing to remove; else why not."""
    if not _OUTPUT_NAME.fullmatch(name) or name in (COMMIT, DELETE, MANIFEST):
        return "not a name a build writes"
    try:
        info = os.lstat(out_dir / name)
    except FileNotFoundError:
        return ""
    if not stat.S_ISREG(info.st_mode):
        return "not a plain file (a link or folder is never removed or followed)"
    if not isinstance(expected, dict) or expected.get("size") != info.st_size:
        return "changed since the build that recorded it"
    data = _read_or_none(out_dir / name, info.st_size)
    if data is None or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
        return "changed since the build that recorded it"
    return None


def _open_lock(path: Path) -> int:
    """The lock file, opened without following a link: a link planted in out/ would
    otherwise have its target truncated and overwritten with our pid."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(f"{path}: is a symbolic link; a build will not lock (and overwrite) "
                              "through it: remove it") from None
        raise OutputError(f"{path.parent}: cannot write here ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        what = "has other hard links" if stat.S_ISREG(info.st_mode) else "is not a plain file"
        raise OutputError(f"{path}: {what}; a build will not lock (and overwrite) it: remove it")
    return fd


def _is_linked(fd: int, path: Path) -> bool:
    """Whether ``path`` is still the file open as ``fd`` (not removed, not replaced)."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def recover(out_dir: Path) -> None:
    """Finish a committed staging folder (roll forward) or discard an uncommitted one.

    The staging folder is out/'s own scratch space, but anyone who can write into out/
    can plant one: only plain files with names a build writes are moved, never through
    a link, and anything else stops the build with an error before anything moves."""
    out_dir = Path(out_dir)
    staging = out_dir / STAGING
    try:
        info = os.lstat(staging)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        _refuse(staging, "is a symbolic link" if stat.S_ISLNK(info.st_mode) else "is not a folder")
    commit = staging / COMMIT
    if os.path.lexists(commit):
        names = _committed_names(staging, commit)
        deletions = _journal_names(staging)
        for name in names:
            os.replace(staging / name, out_dir / name)
        for name in deletions:
            try:
                os.unlink(out_dir / name)  # a link is removed itself, never followed
            except FileNotFoundError:
                pass  # removed before an interruption: the roll-forward goes on
        _fsync_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)


def _committed_names(staging: Path, commit: Path) -> list[str]:
    """The staged files COMMIT names, each checked before any is moved."""
    _plain_file(staging, COMMIT)
    names = []
    for name in _listed_names(staging, commit):
        if os.path.lexists(staging / name):  # a name without its file was never staged
            _plain_file(staging, name)
            names.append(name)
    return names


def _journal_names(staging: Path) -> list[str]:
    """The deletions a committed set asks for (DELETE), checked like COMMIT's names: plain
    names a build writes, never a path, so that a planted journal cannot reach outside."""
    journal = staging / DELETE
    if not os.path.lexists(journal):
        return []
    _plain_file(staging, DELETE)
    return _listed_names(staging, journal)


def _listed_names(staging: Path, listing: Path) -> list[str]:
    try:
        text = read_capped(listing, MAX_MANIFEST_FILE).decode("utf-8")
    except (TooBig, UnicodeDecodeError, OSError):
        _refuse(staging, f"{listing.name} is not a list of file names a build writes")
    names = text.splitlines()  # a build writes no blank line: one is a sign of tampering
    for name in names:
        if not _OUTPUT_NAME.fullmatch(name) or name in (COMMIT, DELETE):
            _refuse(staging, f"{listing.name} names {name[:80]!r}, which is not a file a build writes")
    return names


def _plain_file(staging: Path, name: str) -> None:
    mode = os.lstat(staging / name).st_mode
    if not stat.S_ISREG(mode):
        _refuse(staging, f"{name!r} is {'a symbolic link' if stat.S_ISLNK(mode) else 'not a plain file'}")


def _refuse(staging: Path, why: str):
    raise OutputError(f"{staging}: {why}; not a staging folder a build left, so nothing was moved "
                      "(inspect it, then remove it to build here)")


def _check_plain_name(name: str) -> None:
    if not _OUTPUT_NAME.fullmatch(name) or name in (COMMIT, DELETE):
        raise OutputError(f"{name!r}: not a plain file name; outputs stay in their folder")


def _read_pid(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        return os.read(fd, 300).decode("ascii", "replace").strip() or None
    finally:
        os.close(fd)


def _holder(path: Path) -> str | None:
    """ "pid 4242 on build-01" from the lock file ("4242 build-01"; older builds wrote the pid
    alone); None when it says nothing usable (anyone who can write out/ can write it)."""
    words = (_read_pid(path) or "").split()
    if not words or not words[0].isdigit():
        return None
    host = words[1] if len(words) > 1 and re.fullmatch(r"[A-Za-z0-9._-]{1,253}", words[1]) else None
    return f"pid {words[0]}" + (f" on {host}" if host else "")


def write_outputs(out_dir: Path, files: dict[str, bytes], lists: dict[str, dict], *,
                  partial: bool = False, on_wait=None) -> Published:
    """Publish ``files`` and their manifest records into ``out_dir`` under its lock
    (``on_wait``: see ``OutputDir``)."""
    with OutputDir(out_dir, on_wait=on_wait) as out:
        return out.publish(files, lists, partial=partial)


def read_manifest(out_dir: Path) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {"format": "ctlbuild-manifest/1", "lists": {}}
    try:
        manifest = json.loads(read_capped(path, MAX_MANIFEST_FILE).decode("utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("lists"), dict):
            raise ValueError("no lists")
    except (ValueError, OSError, RecursionError):
        raise OutputError(f"{path}: not a ctlbuild manifest; move it away to rebuild") from None
    return manifest


def compare_outputs(out_dir: Path, files: dict[str, bytes], lists: dict[str, dict],
                    notes: list[str] | None = None) -> list[str]:
    """What differs between a rebuild held in memory and what ``out_dir`` holds: one line
    per difference (an auditor's reproducibility check; empty when identical). What could
    not be compared is said in ``notes`` (when given), and is no difference."""
    out_dir = Path(out_dir)
    recover_note = " (an interrupted build is pending in out/)" if (out_dir / STAGING).exists() else ""
    differences = []
    for name, data in files.items():
        path = out_dir / name
        if not path.exists():
            differences.append(f"{name}: missing from {out_dir}{recover_note}")
            continue
        try:
            # Never more than the rebuild's own size and one byte: a planted link to
            # /dev/zero must not be read forever.
            old = read_capped(path, len(data) + 1)
        except TooBig:
            old = None
        if old != data:
            why = _why(name, old, data) if old is not None else " (larger than the rebuild)"
            differences.append(f"{name}: differs from the rebuild{why}")
    manifest = read_manifest(out_dir)["lists"]
    differences.extend(strays(out_dir, files, lists, manifest))
    for name, record in lists.items():
        recorded = manifest.get(name) or {}
        fields = sorted(k for k in set(record) | set(recorded) if record.get(k) != recorded.get(k))
        unknown = _stdin_note(name, record, recorded)
        if unknown:  # a list read from `-` has no file name: its content (list_sha256) decides
            fields.remove("list")
            if notes is not None:
                notes.append(unknown)
        if fields:
            differences.append(f"{MANIFEST}: the record of {name} differs ({', '.join(fields)})"
                               + (_list_changed(out_dir, record, files) if "list_sha256" in fields else ""))
    return differences


def _stdin_note(name: str, record: dict, recorded: dict) -> str | None:
    """When one side of the list names it <stdin> and the other a file, the list's file name
    is unknown, neither the same nor different: say so, and compare its content only."""
    ours, theirs = record.get("list"), recorded.get("list")
    if ours == theirs or STDIN_NAME not in (ours, theirs) or "list" not in recorded:
        return None
    if theirs == STDIN_NAME:
        return (f"{MANIFEST}: {name} was built from standard input, so which list file it was is "
                f"unknown; {ours} is compared by its content (list_sha256) only")
    return (f"{MANIFEST}: {name}'s list is read from standard input, so whether it is the {theirs} "
            "the record names is unknown; it is compared by its content (list_sha256) only")


def strays(out_dir: Path, files: dict[str, bytes], lists: dict[str, dict], manifest: dict) -> list[str]:
    """Files in ``out_dir`` a rebuild of ``lists`` no longer produces: those the manifest
    records for them (a build removes these), and those named like their outputs that
    nothing records (left by an older build, which a build never removes)."""
    recorded = {name for record in manifest.values() for name in _recorded_outputs(record)}
    others = {name for list_name, record in manifest.items() if list_name not in lists
              for name in _recorded_outputs(record)}
    found = []
    for list_name in lists:
        for name in sorted(_recorded_outputs(manifest.get(list_name))):
            if name not in files and name not in others and os.path.lexists(out_dir / name):
                found.append(f"{name}: a stray: recorded in {MANIFEST} for {list_name}, which no longer "
                             "produces it (a build removes it)")
        for name in (list_name + suffix for suffix in OUTPUT_SUFFIXES):
            if name not in files and name not in recorded and os.path.lexists(out_dir / name):
                found.append(f"{name}: a stray: named like an output of {list_name}, which no longer "
                             f"produces it, and recorded nowhere (an older build's?): remove it")
    return found


def _list_changed(out_dir: Path, record: dict, files: dict[str, bytes]) -> str:
    """Why list_sha256 differs, in words: the list file was edited since the build. The CTL
    content is the list's model, encoded canonically, so comparing it tells an edit of
    comments or layout from an edit of what the list says."""
    ctls = [n for n in record["outputs"] if n.endswith((".stl", ".ctl")) and n in files]
    same = all(_ctl_content(out_dir / n) == _ctl_content(files[n]) for n in ctls) if ctls else \
        all(_read_or_none(out_dir / n, len(files[n])) == files[n] for n in record["outputs"] if n in files)
    changed = (f"{record['list']} changed since the build" if record["list"] != STDIN_NAME
               else "the list read from standard input is not the one built")
    if same:
        return (f": {changed}, only in its bytes (comments or formatting): "
                "what it builds is the same; rebuild to record it")
    return f": {changed}, and so did what it says"


def _read_or_none(path: Path, size: int) -> bytes | None:
    try:
        return read_capped(path, size + 1)
    except (TooBig, OSError):
        return None


def _ctl_content(source) -> bytes | None:
    """The CTL of a .stl or bare .ctl (a path in out/ or bytes of the rebuild); None when unreadable."""
    from ..errors import FormatError
    from ..formats.sniff import is_signed_data
    from ..formats.stl import parse_signed_ctl

    data = source if isinstance(source, bytes) else _read_or_none(source, MAX_INPUT_FILE)
    if data is None:
        return None
    try:
        return parse_signed_ctl(data).ctl_der if is_signed_data(data) else data
    except FormatError:
        return None


def _why(name: str, old: bytes, new: bytes) -> str:
    if not name.endswith(".stl"):
        return ""
    from ..errors import FormatError
    from ..formats.stl import parse_signed_ctl
    try:
        same_content = parse_signed_ctl(old).ctl_der == parse_signed_ctl(new).ctl_der
    except FormatError:
        return " (the file in out/ is not a signed CTL)"
    if same_content:
        return (": CTL content identical, envelope differs (another signer, signing time, or a "
                "randomized signature scheme such as PSS)")
    return ": CTL content differs"
