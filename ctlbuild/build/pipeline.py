"""The build pipeline: loaded list + signer → signed CTL and manifest records.

>>> from ctlbuild.build.pipeline import build_list
>>> result = build_list(loaded, signer, signing_time=when)    # doctest: +SKIP
>>> result.files["diginotar.stl"][:2]                         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from .._version import __version__
from ..ctl.encode import encode_ctl
from ..errors import SigningError
from ..formats.cab import write_cab
from ..formats.sst import SerializedStore, SstContext, properties_for_entry, write_sst
from ..formats.stl import sign_ctl
from ..lists.reader import LoadedList
from ..model import AlikeEntries, TrustList
from ..signing.signer import Signer
from ..timeutil import iso
from .outputs import file_record


@dataclass
class BuildResult:
    name: str
    ctl_der: bytes
    files: dict[str, bytes]
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    #: The signed CTL (.stl bytes) whatever ``outputs`` asked for: ``mirror build`` packs it itself.
    signed: bytes | None = None

    @property
    def entry_count(self) -> int:
        return self.manifest["entries"]

    def ctl_only(self, tl: TrustList) -> list[str]:
        """Entries with no certificate: in the CTL, not in the SST."""
        return [e.label for e in tl.entries if e.cert is None]


def build_list(loaded: LoadedList, signer: Signer, *, signing_time: datetime, digest: str = "sha256",
               progress: Callable[[int], None] | None = None) -> BuildResult:
    """Every output the list asks for (``outputs``: stl, sst, cab), signed by ``signer``."""
    tl = loaded.trust_list
    _check_signer_validity(signer, signing_time)
    _check_next_update(tl, signing_time)
    warnings = []
    if signing_time < tl.this_update:
        warnings.append(f"{tl.name}: signed at {iso(signing_time)}, before its own this_update "
                        f"{iso(tl.this_update)}: check this_update (a typo in the year?)")
    if digest == "sha1":
        warnings.append(f"{tl.name}: signing with SHA-1 as asked; SHA-1 is broken for signatures")
    ctl_der = encode_ctl(tl, progress)
    stl = sign_ctl(ctl_der, signer, signing_time=signing_time, opus=tl.opus, digest=digest)
    files = {}
    if "stl" in loaded.outputs:
        files[f"{tl.name}.stl"] = stl
    if "sst" in loaded.outputs:
        files[f"{tl.name}.sst"] = write_sst(store_for(tl, stl if loaded.sst_include_ctl else None))
    if "cab" in loaded.outputs:
        # Windows Update's naming (authrootstl.cab holds authroot.stl); the cab's date is the
        # list's thisUpdate, so the cabinet is as reproducible as the .stl inside it.
        files[f"{tl.name}stl.cab"] = write_cab(f"{tl.name}.stl", stl, tl.this_update)
    files.update(release_files(loaded))
    record = _record(loaded, files, signing_time)
    return BuildResult(tl.name, ctl_der, files, record, warnings, signed=stl)


def release_files(loaded: LoadedList) -> dict[str, bytes]:
    """The changelog of the list's release history, when it names previous releases."""
    if not loaded.previous:  # most lists name none: no changelog, and no templating (jinja2) to import
        return {}
    from ..reports.changelog import release_changelog

    text = release_changelog(loaded)
    return {} if text is None else {f"{loaded.trust_list.name}.changelog.md": text.encode("utf-8")}


def build_content(loaded: LoadedList, progress: Callable[[int], None] | None = None) -> BuildResult:
    """The unsigned CertificateTrustList DER alone (``<name>.ctl``): what a byte-for-byte
    comparison with another CTL's content needs, and no key."""
    tl = loaded.trust_list
    ctl_der = encode_ctl(tl, progress)
    files = {f"{tl.name}.ctl": ctl_der}
    return BuildResult(tl.name, ctl_der, files, _record(loaded, files, None))


def store_for(tl: TrustList, stl: bytes | None = None) -> SerializedStore:
    """The SST of a list: each entry whose certificate the list has, its properties
    before it as Windows writes them; the signed CTL last when asked for."""
    contexts = [SstContext("cert", e.cert, properties_for_entry(e.cert, e)) for e in tl.entries if e.cert]
    if stl is not None:
        contexts.append(SstContext("ctl", stl, ()))
    return SerializedStore(tuple(contexts))


def _record(loaded: LoadedList, files: dict[str, bytes], signing_time: datetime | None) -> dict:
    tl = loaded.trust_list
    return {
        # The file's name, not the path typed: the manifest must not depend on where the
        # build ran from (its SHA-256 identifies the list).
        "list": loaded.path.name,
        "list_sha256": loaded.sha256,
        "entries": len(tl.entries),
        "ctl_only_entries": _without_certificate(tl.entries),
        "tool_version": __version__,
        "signing_time": iso(signing_time) if signing_time else None,
        "outputs": {name: file_record(data) for name, data in files.items()},
    }


def _without_certificate(entries) -> int:
    if isinstance(entries, AlikeEntries):  # one template: a run is all with or all without
        return len(entries) if entries.template.cert is None else 0
    return sum(e.cert is None for e in entries)


def _check_next_update(tl: TrustList, when: datetime) -> None:
    """A list signed after its own nextUpdate is stale on arrival; verify would refuse it."""
    if tl.next_update is not None and when > tl.next_update:
        raise SigningError(f"{tl.name}: signing time {iso(when)} is after the list's next_update "
                           f"{iso(tl.next_update)}; move next_update (or validity) or the signing time")


def _check_signer_validity(signer: Signer, when: datetime) -> None:
    """A CTL signed outside its signer's validity never verifies: refuse to make one."""
    from ..formats.certificates import load_x509

    cert = load_x509(signer.certificate)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= when <= end:
        from ..signing.devkeys import is_dev_certificate

        # Development keys an older ctlbuild made start on the day they were made, too late
        # for a reproducible build of a 2011 list: say how to make keys that cover it.
        dev = is_dev_certificate(cert)
        raise SigningError(f"signing time {iso(when)} is outside the "
                           f"{'development ' if dev else ''}signer certificate's validity "
                           f"({iso(start)} .. {iso(end)})").because("dev_keys" if dev else "signing_time")
