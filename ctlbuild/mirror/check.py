"""``mirror check``: is this folder what Windows' auto-update should be pointed at? Each problem a finding.

>>> from ctlbuild.mirror.check import check_mirror
>>> report = check_mirror(Path("mirror"), anchors=[root_der], now=now)   # doctest: +SKIP
>>> report.ok, [(f.status, f.file) for f in report.findings]              # doctest: +SKIP

Checks: every cabinet holds exactly one CTL, of the kind its name says, that verifies
(``verify.verifier``: signatures, chain to an anchor, signer validity, nextUpdate); every
trusted entry has ``<SHA-1>.crt`` whose certificate has that SHA-1 and the SHA-256 the CTL
records; ``disallowedcert.sst`` holds only disallowed certificates; nothing stray or
half-written; files match the manifest mirror build wrote; removed roots within their grace
period; and, against ``previous``, no sequence number went back.

The folder is untrusted input: files are read up to a size bound, links and folders
inside it are findings (never followed), and names are reported escaped.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..build.outputs import COMMIT, STAGING
from ..ctl.decode import decode_ctl
from ..errors import FormatError
from ..formats.cab import read_cab
from ..formats.certificates import CertInfo, load_certificates
from ..formats.sst import read_sst
from ..formats.stl import parse_signed_ctl, signer_facts
from ..model import TrustList
from ..reports.terminal import printable
from ..timeutil import iso
from ..verify.verifier import FAIL, PASS, WARN, verify_ctl
from .layout import CAB_ROLES, DISALLOWED_SST, MANIFEST, Role, classify, crt_name
from .manifest import MirrorManifest, read_mirror_manifest

MAX_FILES = 200_000
MAX_CAB_BYTES = 256 * 1024 * 1024
MAX_SST_BYTES = 256 * 1024 * 1024
MAX_CRT_BYTES = 1024 * 1024
#: How early a coming nextUpdate, or the signer's end of validity, is a warning.
SOON_NEXT_UPDATE = timedelta(days=7)
SOON_SIGNER = timedelta(days=30)


@dataclass(frozen=True)
class MirrorFinding:
    status: str  # verify's PASS, WARN or FAIL
    check: str
    file: str | None
    message: str

    def as_dict(self) -> dict:
        return {"status": self.status, "check": self.check, "file": self.file, "message": self.message}


@dataclass
class MirrorReport:
    folder: str
    findings: list[MirrorFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != FAIL for f in self.findings)

    def add(self, status: str, check: str, file: str | None, message: str) -> None:
        self.findings.append(MirrorFinding(status, check, printable(file) if file else None, message))

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.findings)

    def as_dict(self) -> dict:
        return {"folder": self.folder, "ok": self.ok, "failures": self.count(FAIL), "warnings": self.count(WARN),
                "findings": [f.as_dict() for f in self.findings]}


@dataclass
class _Ctl:
    role: Role
    trust_list: TrustList
    ctl_der: bytes


@dataclass
class _Policy:
    anchors: list[bytes]
    now: datetime
    allow_sha1: bool
    allow_expired: bool


def check_mirror(folder: Path, anchors: list[bytes], now: datetime, *, previous: Path | None = None,
                 allow_sha1: bool = False, allow_expired: bool = False) -> MirrorReport:
    """Findings for ``folder``; FormatError (bad input) only when it is no folder, or when
    ``previous`` is not a readable mirror."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FormatError("is not a folder", path=folder)
    earlier = _previous_ctls(Path(previous)) if previous is not None else None
    report = MirrorReport(str(folder))
    policy = _Policy(anchors, now, allow_sha1, allow_expired)
    names = _layout(folder, report)
    manifest = _manifest(folder, report)
    ctls = {}
    for name in sorted(n for n in names if names[n] == "cab"):
        ctl = _check_cab(folder / name, CAB_ROLES[name], policy, report)
        if ctl is not None:
            ctls[ctl.role.name] = ctl
    if not any(kind == "cab" for kind in names.values()):
        report.add(FAIL, "layout", None, "no CTL cabinet (authrootstl.cab, disallowedcertstl.cab): "
                                         "Windows finds nothing to fetch here")
    _check_roots(folder, names, ctls.get("authroot"), manifest, policy, report)
    if DISALLOWED_SST in names:
        _check_store(folder / DISALLOWED_SST, ctls.get("disallowedcert"), report)
    if manifest is not None:
        _check_manifest_files(folder, names, manifest, report)
    if earlier is not None:
        _check_previous(folder, names, ctls, earlier, report)
    return report


# -- what is in the folder ---------------------------------------------------------------------------

def _layout(folder: Path, report: MirrorReport) -> dict[str, str]:
    """name → kind of every regular file worth checking; everything else is a finding here."""
    names: dict[str, str] = {}
    with os.scandir(folder) as entries:
        for count, entry in enumerate(entries):
            if count >= MAX_FILES:
                report.add(FAIL, "layout", None, f"more than {MAX_FILES} files; the rest were not checked")
                break
            _classify_entry(folder, entry, names, report)
    return names


def _classify_entry(folder: Path, entry: os.DirEntry, names: dict, report: MirrorReport) -> None:
    kind = classify(entry.name)
    if kind == "lock":
        return
    if kind == "staging":
        pending = (folder / STAGING / COMMIT).exists()
        report.add(FAIL, "layout", entry.name, "an interrupted mirror build: " + (
            "its set is committed but not all renamed in; run mirror build again to finish it" if pending
            else "nothing of it was published; the next mirror build discards it"))
        return
    if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
        report.add(FAIL, "layout", entry.name, "not a regular file (a link or a folder): a mirror holds files only")
        return
    if kind == "partial":
        report.add(FAIL, "layout", entry.name, "a half-written temporary file")
    elif kind == "stray":
        report.add(FAIL, "layout", entry.name, "a stray file: nothing Windows' auto-update fetches")
    elif kind == "sequence":
        report.add(WARN, "layout", entry.name, "Windows Update's sequence file; its format is undocumented "
                                               "and it is not checked")
    else:
        names[entry.name] = kind


def _manifest(folder: Path, report: MirrorReport) -> MirrorManifest | None:
    try:
        return read_mirror_manifest(folder)
    except (FormatError, OSError) as exc:
        report.add(FAIL, "manifest", MANIFEST, f"unreadable: {exc}")
        return None


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FormatError(f"larger than {limit} bytes", path=path.name)
    return data


# -- cabinets ------------------------------------------------------------------------------------------

def _check_cab(path: Path, role: Role, policy: _Policy, report: MirrorReport) -> _Ctl | None:
    name = path.name
    try:
        members = read_cab(_read(path, MAX_CAB_BYTES), path=name)
    except (FormatError, OSError) as exc:
        report.add(FAIL, "cab", name, f"not a readable cabinet: {exc}")
        return None
    if [m for m, _ in members] != [role.member]:
        listed = ", ".join(printable(m) for m, _ in members) or "nothing"
        report.add(FAIL, "cab", name, f"holds {listed}; Windows expects exactly one member, {role.member}")
        stl = next((b for m, b in members if m.lower() == role.member), None)
        if stl is None:
            return None
    else:
        stl = members[0][1]
    return _check_ctl(name, role, stl, policy, report)


def _check_ctl(name: str, role: Role, stl: bytes, policy: _Policy, report: MirrorReport) -> _Ctl | None:
    verified = verify_ctl(stl, policy.anchors, policy.now, allow_sha1=policy.allow_sha1,
                          allow_expired=policy.allow_expired, path=f"{name}:{role.member}")
    for finding in verified.findings:
        if finding.status != PASS:
            where = f" [{finding.signature}]" if finding.signature else ""
            report.add(finding.status, "signature", name, f"{finding.check}: {finding.message}{where}")
    try:
        signed = parse_signed_ctl(stl, path=f"{name}:{role.member}")
        tl = decode_ctl(signed.ctl_der, path=f"{name}:{role.member}", base=signed.ctl_offset)
    except FormatError as exc:
        report.add(FAIL, "cab", name, f"its CTL does not decode: {exc}")
        return None
    if not role.fits(tl.usages):
        report.add(FAIL, "cab", name, f"holds a CTL for {', '.join(tl.usages or ()) or 'no usage'}, not "
                                      f"{role.what} ({role.usage})")
    if verified.ok:
        report.add(PASS, "signature", name, f"{role.member} verifies ({verified.entry_count} entries)")
    _check_dates(name, tl, policy, report)
    _check_signer_expiry(name, signed, policy, report)
    return _Ctl(role, tl, signed.ctl_der)


def _check_dates(name: str, tl: TrustList, policy: _Policy, report: MirrorReport) -> None:
    age = policy.now - tl.this_update
    if age.total_seconds() < 0:
        report.add(WARN, "freshness", name, f"thisUpdate {iso(tl.this_update)} is in the future")
    else:
        due = f", nextUpdate {iso(tl.next_update)}" if tl.next_update else ""
        report.add(PASS, "freshness", name, f"sequence {tl.sequence:X}, thisUpdate {iso(tl.this_update)} "
                                            f"({age.days} days ago){due}")
    if tl.next_update and policy.now < tl.next_update <= policy.now + SOON_NEXT_UPDATE:
        report.add(WARN, "freshness", name, f"nextUpdate {iso(tl.next_update)} is in "
                                            f"{(tl.next_update - policy.now).days} days: publish the next list before")


def _check_signer_expiry(name: str, signed, policy: _Policy, report: MirrorReport) -> None:
    """A signer about to expire: the next list must be signed by a renewed one (an expired
    signer is verify's warning already)."""
    try:
        facts = signer_facts(signed)
    except ValueError:  # a certificate verify already reported as malformed
        return
    for fact in facts:
        if fact.not_after and policy.now < fact.not_after <= policy.now + SOON_SIGNER:
            report.add(WARN, "signer", name, f"signer {printable(fact.subject)} expires {iso(fact.not_after)} "
                                             f"(in {(fact.not_after - policy.now).days} days)")


# -- the trusted roots' certificates --------------------------------------------------------------------

def _check_roots(folder, names, ctl: _Ctl | None, manifest, policy, report) -> None:
    crts = {n.upper(): n for n, kind in names.items() if kind == "crt"}
    expected, unnamed = _expected_crts(ctl)
    no_cert = set(manifest.no_certificate) if manifest else set()
    removed = manifest.removed if manifest else {}
    good, excused, pem = 0, 0, []
    for key, entry in expected.items():
        if key not in crts:
            sha1 = key[:-4]
            status = WARN if sha1 in no_cert else FAIL
            excused += status == WARN
            why = "mirror build had no certificate for it" if sha1 in no_cert else "clients cannot fetch it"
            report.add(status, "crt", crt_name(bytes.fromhex(sha1)),
                       f"missing: entry {printable(entry.label)} is listed in authrootstl.cab ({why})")
            continue
        good += _check_crt(folder / crts.pop(key), entry, report, pem)
    total = len(expected) + len(unnamed)
    for key, name in sorted(crts.items()):
        entry = _entry_by_certificate(folder / name, unnamed, ctl)
        if entry is not None:  # a CTL of SHA-256 identifiers: the .crt is found by its certificate
            good += _check_crt(folder / name, entry, report, pem)
        else:
            _check_unlisted(folder / name, key[:-4], removed, ctl is not None, policy, report)
    if unnamed:
        excused += len(unnamed)
        report.add(WARN, "crt", None, f"{len(unnamed)} entries name no SHA-1 and no .crt holds their certificate "
                                      f"(e.g. {printable(next(iter(unnamed.values())).label)})")
    if pem:
        shown = ", ".join(pem[:3]) + (f" and {len(pem) - 3} more" if len(pem) > 3 else "")
        report.add(WARN, "crt", pem[0] if len(pem) == 1 else None,
                   f"{len(pem)} .crt files are PEM ({shown}); Windows Update serves DER, as mirror build writes")
    if total:
        why = f" ({excused} without a certificate at build time)" if excused else ""
        report.add(PASS if good + excused == total else FAIL, "crt", None,
                   f"{good} of {total} trusted entries have a matching .crt{why}")


def _expected_crts(ctl: _Ctl | None) -> tuple[dict, dict]:
    """<SHA-1>.crt (upper case) → entry, and identifier → entry for entries that name no SHA-1."""
    expected, unnamed = {}, {}
    if ctl is not None:
        alg = ctl.trust_list.subject_algorithm
        for entry in ctl.trust_list.entries:
            thumb = entry.thumbprint(alg)
            if thumb is None:
                unnamed[entry.identifier] = entry
            else:
                expected[crt_name(thumb).upper()] = entry
    return expected, unnamed


def _entry_by_certificate(path: Path, unnamed: dict, ctl: _Ctl | None):
    if not unnamed:
        return None
    try:
        info = CertInfo.from_der(load_certificates(_read(path, MAX_CRT_BYTES), path=path.name)[0], path=path.name)
    except (FormatError, OSError, IndexError):
        return None
    alg = ctl.trust_list.subject_algorithm
    return next((unnamed.pop(i) for i in list(unnamed) if info.matches(i, alg)), None)


def _check_crt(path: Path, entry, report: MirrorReport, pem: list[str]) -> int:
    name = path.name
    try:
        data = _read(path, MAX_CRT_BYTES)
        ders = load_certificates(data, path=name)
        if len(ders) != 1:
            raise FormatError(f"holds {len(ders)} certificates, not one", path=name)
        info = CertInfo.from_der(ders[0], path=name)
    except (FormatError, OSError) as exc:
        report.add(FAIL, "crt", name, f"not a certificate (truncated or damaged?): {exc}")
        return 0
    sha1 = info.sha1.hex().upper()
    if sha1 != name[:-4].upper():
        report.add(FAIL, "crt", name, f"holds certificate {sha1}, not the one its name says "
                                      "(renamed or replaced)")
        return 0
    if entry.sha256 is not None and entry.sha256 != info.sha256:
        report.add(FAIL, "crt", name, "its SHA-256 differs from the one authrootstl.cab records for the entry")
        return 0
    if data[:1] != b"\x30":
        pem.append(name)  # reported once for all of them
    if name[:-4] != sha1:
        report.add(WARN, "crt", name, f"lower-case name; clients ask for {sha1}.crt (case matters on web servers)")
    return 1


def _check_unlisted(path: Path, sha1: str, removed: dict, have_ctl: bool, policy, report) -> None:
    name = path.name
    grace = removed.get(sha1)
    if grace is None:
        where = "authrootstl.cab" if have_ctl else "any CTL here (there is no authrootstl.cab)"
        report.add(FAIL, "crt", name, f"a stray certificate: not listed in {where}")
    elif grace.keep_until <= policy.now:
        report.add(FAIL, "grace", name, f"removed from the trusted list {iso(grace.removed)}; its grace period "
                                        f"ran out {iso(grace.keep_until)} (mirror build deletes it)")
    else:
        report.add(PASS, "grace", name, f"removed {iso(grace.removed)}; kept for clients that have not synced "
                                        f"until {iso(grace.keep_until)}")


# -- the disallowed store, the manifest, the previous release ---------------------------------------------

def _check_store(path: Path, ctl: _Ctl | None, report: MirrorReport) -> None:
    try:
        store = read_sst(_read(path, MAX_SST_BYTES), path=path.name)
    except (FormatError, OSError) as exc:
        report.add(FAIL, "sst", path.name, f"not a readable serialized store: {exc}")
        return
    if ctl is None:
        report.add(WARN, "sst", path.name, "no disallowedcertstl.cab beside it to check it against")
        return
    tl = ctl.trust_list
    identifiers = {e.identifier for e in tl.entries}
    strays = [ctx for ctx in store.certificates if not _listed(ctx.der, tl, identifiers)]
    for ctx in strays:
        report.add(FAIL, "sst", path.name, f"holds certificate {hashlib.sha1(ctx.der).hexdigest().upper()}, "
                                           "which disallowedcertstl.cab does not list")
    if not strays:
        report.add(PASS, "sst", path.name, f"{len(store.certificates)} certificates, all listed in "
                                           "disallowedcertstl.cab")


def _listed(der: bytes, tl: TrustList, identifiers: set) -> bool:
    """Whether a store certificate is one of the CTL's entries, by the CTL's identifier rule."""
    try:
        info = CertInfo.from_der(der)
    except FormatError:
        return False
    own = set(info.hashes) & identifiers
    return any(info.matches(i, tl.subject_algorithm) for i in own)


def _check_manifest_files(folder: Path, names: dict, manifest: MirrorManifest, report: MirrorReport) -> None:
    differs = 0
    for name, record in sorted(manifest.files.items()):
        if name not in names:
            report.add(FAIL, "manifest", name, "recorded by mirror build but missing")
            differs += 1
            continue
        data = _read(folder / name, max(MAX_CAB_BYTES, MAX_SST_BYTES))
        if hashlib.sha256(data).hexdigest() != record["sha256"]:
            report.add(FAIL, "manifest", name, "differs from what mirror build wrote (changed since)")
            differs += 1
    if not differs:
        report.add(PASS, "manifest", MANIFEST, f"{len(manifest.files)} files as mirror build wrote them")


def _previous_ctls(folder: Path) -> dict[str, TrustList]:
    """The CTLs of an earlier copy of the mirror, by role (bad input when unreadable)."""
    if not folder.is_dir():
        raise FormatError("is not a folder (--previous takes the earlier mirror)", path=folder)
    found = {}
    for cab, role in CAB_ROLES.items():
        path = folder / cab
        if path.is_file():
            members = dict(read_cab(_read(path, MAX_CAB_BYTES), path=path))
            if role.member not in members:
                raise FormatError(f"holds no {role.member}", path=path)
            signed = parse_signed_ctl(members[role.member], path=path)
            found[role.name] = decode_ctl(signed.ctl_der, path=path, base=signed.ctl_offset)
    if not found:
        raise FormatError("holds no CTL cabinet (--previous takes the earlier mirror)", path=folder)
    return found


def _check_previous(folder, names, ctls: dict[str, _Ctl], earlier: dict[str, TrustList], report) -> None:
    for role_name, old in earlier.items():
        ctl = ctls.get(role_name)
        cab = next(c for c, r in CAB_ROLES.items() if r.name == role_name)
        if ctl is None:
            report.add(WARN, "sequence", cab, "the previous mirror had it; this one has none that reads")
            continue
        new = ctl.trust_list.sequence
        if new < old.sequence:
            report.add(FAIL, "sequence", cab, f"sequence number went back from {old.sequence:X} to {new:X}: "
                                              "clients keep the CTL they have")
        elif new == old.sequence and _entries(ctl.trust_list) != _entries(old):
            report.add(FAIL, "sequence", cab, f"entries changed but the sequence number ({new:X}) did not: "
                                              "clients that have the previous CTL never update")
        else:
            report.add(PASS, "sequence", cab, f"sequence {old.sequence:X} → {new:X}")
        if role_name == "authroot":
            _check_removed_early(names, ctl.trust_list, old, report)


def _entries(tl: TrustList):
    return tuple(tl.entries)


def _check_removed_early(names: dict, new: TrustList, old: TrustList, report) -> None:
    listed = {e.thumbprint(new.subject_algorithm) for e in new.entries}
    present = {n.upper() for n, kind in names.items() if kind == "crt"}
    for entry in old.entries:
        thumb = entry.thumbprint(old.subject_algorithm)
        if thumb is not None and thumb not in listed and crt_name(thumb).upper() not in present:
            report.add(WARN, "grace", crt_name(thumb), "removed since the previous mirror and deleted at once: "
                                                       "clients that have not synced cannot fetch it")
