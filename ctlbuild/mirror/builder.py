"""``mirror build``: the folder Windows' auto-update reads, published as one set.

>>> from ctlbuild.mirror.builder import build_mirror
>>> plan = build_mirror(Path("mirror"), inputs, pool, keep_removed=timedelta(days=30), now=now)  # doctest: +SKIP
>>> plan.delete                                                # .crt files past their grace period   # doctest: +SKIP

The plan is made from the inputs and what the folder holds now, before a byte is
written; publication goes through ``build.outputs`` (staged, fsynced, committed, rolled
forward after a crash). The renames run in the order a client reading the folder
mid-publication is safe with: new certificates first, then the store, then the cabinets
that list them, the manifest last, and only then the deletions — so every root a served
CTL lists has its .crt at every moment.

Roots that leave the trusted list keep their .crt for ``keep_removed`` (clients that have
not synced yet still fetch them), recorded in the manifest; a later build past that time
deletes them. A cabinet whose sequence number would go back is refused: Windows keeps the
CTL it has when a fetched one is not newer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from ..build.outputs import OutputDir, file_record
from ..build.pipeline import store_for
from ..ctl.decode import decode_ctl
from ..errors import FormatError, UsageError
from ..formats.cab import ctl_member, write_cab
from ..formats.sst import SerializedStore, SstContext, write_sst
from ..formats.stl import parse_signed_ctl
from ..model import TrustList
from ..timeutil import iso
from .inputs import CertificatePool, MirrorInput, one_per_role
from .layout import DISALLOWED_SST, MANIFEST, ROLES, classify, crt_name
from .manifest import MirrorManifest, Removal, read_mirror_manifest

MAX_CAB_BYTES = 256 * 1024 * 1024


@dataclass
class MirrorPlan:
    folder: Path
    #: name → bytes, in the order they are renamed into place (manifest last)
    staged: dict[str, bytes]
    delete: list[str]
    manifest: MirrorManifest
    #: things the user should know (stray files, entries without a certificate, …)
    notes: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True)
class _Current:
    """A cabinet the folder holds now: its CTL's sequence, content and entries' thumbprints."""

    sequence: int
    ctl_der: bytes
    trust_list: TrustList


def plan_mirror(folder: Path, inputs: list[MirrorInput], pool: CertificatePool, *,
                keep_removed: timedelta, now: datetime) -> MirrorPlan:
    folder = Path(folder)
    by_role = one_per_role(inputs)
    old = read_mirror_manifest(folder) or MirrorManifest()
    notes: list[str] = []
    current = {name: _current_cab(folder, role.cab, notes) for name, role in ROLES.items()}
    manifest = MirrorManifest(dict(old.files), dict(old.ctls), list(old.no_certificate), dict(old.removed), now)
    files: dict[str, bytes] = {}
    for name, item in by_role.items():
        _check_sequence(item, current[name])
    if "authroot" in by_role:
        _plan_roots(folder, by_role["authroot"], current["authroot"], pool, keep_removed, now, manifest,
                    files, notes)
    delete = _expired(folder, manifest, now)
    if "disallowedcert" in by_role:
        files[DISALLOWED_SST] = write_sst(_disallowed_store(by_role["disallowedcert"], pool))
    for name, item in by_role.items():
        files[item.role.cab] = write_cab(item.role.member, item.signed, item.trust_list.this_update)
        manifest.ctls[name] = _ctl_record(item)
    for name, data in files.items():
        manifest.files[name] = file_record(data)
    for name in delete:
        manifest.files.pop(name, None)
    notes.extend(_strays(folder, manifest))
    staged, unchanged = _changed_only(folder, files)
    staged[MANIFEST] = manifest.to_bytes()
    return MirrorPlan(folder, staged, delete, manifest, notes, unchanged)


def build_mirror(folder: Path, inputs: list[MirrorInput], pool: CertificatePool, *,
                 keep_removed: timedelta, now: datetime, on_wait=None) -> MirrorPlan:
    """Plan and publish under the folder's lock, after finishing any interrupted publication,
    so the plan starts from the set the folder really holds. ``on_wait``: see ``OutputDir``."""
    one_per_role(inputs)  # before the folder is created or locked
    with OutputDir(folder, on_wait=on_wait) as out:
        plan = plan_mirror(folder, inputs, pool, keep_removed=keep_removed, now=now)
        out.commit(plan.staged, plan.delete)
    return plan


# -- the trusted roots: one .crt each, and the grace period of removed ones ------------------------

def _plan_roots(folder, item, current, pool, keep_removed, now, manifest, files, notes) -> None:
    tl = item.trust_list
    listed, missing = set(), []
    for entry in tl.entries:
        der = pool.certificate_for(entry, tl.subject_algorithm)
        thumb = entry.thumbprint(tl.subject_algorithm)
        if der is not None:
            thumb = _sha1(der)
        if thumb is None:
            notes.append(f"{item.source}: entry {entry.label} has no SHA-1 and no certificate: "
                         "no .crt can be named for it")
            continue
        listed.add(thumb)
        if der is None:
            missing.append(thumb)
        else:
            files[crt_name(thumb)] = der
    manifest.no_certificate = sorted(t.hex().upper() for t in missing)
    if missing:
        shown = ", ".join(crt_name(t) for t in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        notes.append(f"{item.source}: {len(missing)} of {len(tl.entries)} trusted entries have no certificate "
                     f"(give --certs DIR): clients cannot fetch {shown}")
    previous = _thumbprints(current.trust_list) if current else set()
    previous |= {bytes.fromhex(s) for s in manifest.removed}
    for thumb in sorted(previous - listed):
        name = crt_name(thumb)
        key = thumb.hex().upper()
        if not (folder / name).is_file():
            manifest.removed.pop(key, None)
            continue
        manifest.removed.setdefault(key, Removal(now, now + keep_removed))
    for thumb in listed:
        manifest.removed.pop(thumb.hex().upper(), None)
    kept = set(files) | {f"{sha1}.crt" for sha1 in manifest.removed}
    for name in [n for n in manifest.files if classify(n) == "crt" and n not in kept]:
        del manifest.files[name]  # a root the list no longer has and whose file is gone


def _expired(folder: Path, manifest: MirrorManifest, now: datetime) -> list[str]:
    expired = [sha1 for sha1, r in manifest.removed.items() if r.keep_until <= now]
    for sha1 in expired:
        del manifest.removed[sha1]
    return [f"{sha1}.crt" for sha1 in sorted(expired) if (folder / f"{sha1}.crt").exists()]


def _thumbprints(tl: TrustList) -> set[bytes]:
    return {t for t in (e.thumbprint(tl.subject_algorithm) for e in tl.entries) if t is not None}


def _sha1(der: bytes) -> bytes:
    return hashlib.sha1(der).digest()


# -- the disallowed store, the cabinets, what the folder holds now ----------------------------------

def _disallowed_store(item: MirrorInput, pool: CertificatePool) -> SerializedStore:
    """disallowedcert.sst: the certificates of the disallowed entries the build knows, without
    properties — the Disallowed store distrusts by presence, and crypt32 readers that stop at a
    leading property (Wine's) read a store without them."""
    tl = item.trust_list
    ders = [pool.certificate_for(e, tl.subject_algorithm) for e in tl.entries]
    known = [replace(e, cert=d) for e, d in zip(tl.entries, ders) if d is not None]
    store = store_for(replace(tl, entries=tuple(known)))  # validates each certificate against its entry
    return SerializedStore(tuple(SstContext("cert", ctx.der) for ctx in store.certificates))


def _ctl_record(item: MirrorInput) -> dict:
    tl = item.trust_list
    return {"file": item.role.cab, "member": item.role.member, "source": item.source,
            "sequence": f"{tl.sequence:X}", "this_update": iso(tl.this_update),
            "next_update": iso(tl.next_update) if tl.next_update else None, "entries": len(tl.entries)}


def _current_cab(folder: Path, cab: str, notes: list[str]) -> _Current | None:
    path = folder / cab
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_CAB_BYTES:
            raise FormatError(f"larger than {MAX_CAB_BYTES} bytes", path=path)
        member, stl = ctl_member(path.read_bytes(), path=path)
        signed = parse_signed_ctl(stl, path=Path(f"{path}:{member}"))
        tl = decode_ctl(signed.ctl_der, path=Path(f"{path}:{member}"), base=signed.ctl_offset)
    except FormatError as exc:
        notes.append(f"{cab} in the folder is unreadable ({exc}); it is replaced without the sequence "
                     "and removal checks")
        return None
    return _Current(tl.sequence, signed.ctl_der, tl)


def _check_sequence(item: MirrorInput, current: _Current | None) -> None:
    if current is None:
        return
    new = item.trust_list.sequence
    if new < current.sequence:
        raise UsageError(f"{item.source}: sequence number {new:X} is lower than that of the {item.role.cab} "
                         f"the mirror serves ({current.sequence:X}); Windows keeps the CTL it has")
    if new == current.sequence and _content(item) != current.ctl_der:
        raise UsageError(f"{item.source}: same sequence number {new:X} as the {item.role.cab} the mirror serves "
                         "but other content: clients that have it would never update (change this_update or "
                         "sequence)")


def _content(item: MirrorInput) -> bytes:
    return parse_signed_ctl(item.signed).ctl_der


def _changed_only(folder: Path, files: dict[str, bytes]) -> tuple[dict[str, bytes], int]:
    """Only what differs is staged, so an unchanged root keeps its file (and its date for caches)."""
    order = sorted(files, key=lambda n: (_RENAME_ORDER[classify(n)], n))
    staged, unchanged = {}, 0
    for name in order:
        path = folder / name
        if path.is_file() and not path.is_symlink() and path.stat().st_size == len(files[name]) \
                and path.read_bytes() == files[name]:
            unchanged += 1
            continue
        staged[name] = files[name]
    return staged, unchanged


_RENAME_ORDER = {"crt": 0, "sst": 1, "cab": 2}


def _strays(folder: Path, manifest: MirrorManifest) -> list[str]:
    if not folder.is_dir():
        return []
    known = set(manifest.files) | {f"{s}.crt" for s in manifest.removed} | {MANIFEST}
    notes = []
    for path in sorted(folder.iterdir()):
        kind = classify(path.name)
        if kind in ("lock", "staging", "manifest"):
            continue
        if path.name not in known or kind in ("stray", "partial", "sequence"):
            notes.append(f"{path.name}: not part of the mirror ctlbuild writes; mirror check reports it "
                         "until it is removed")
    return notes
