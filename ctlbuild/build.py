"""The build pipeline: loaded list + signer → signed CTL and manifest records.

>>> from ctlbuild.build import build_list
>>> result = build_list(loaded, signer, signing_time=when)    # doctest: +SKIP
>>> result.files["diginotar.stl"][:2]                         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from . import __version__
from .encode import encode_ctl
from .listfile import LoadedList
from .outputs import file_record
from .errors import SigningError
from .signing import Signer, sign_ctl
from .timeutil import iso


@dataclass
class BuildResult:
    name: str
    ctl_der: bytes
    files: dict[str, bytes]
    manifest: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return self.manifest["entries"]


def build_list(loaded: LoadedList, signer: Signer, *, signing_time: datetime, digest: str = "sha256",
               progress: Callable[[int], None] | None = None) -> BuildResult:
    tl = loaded.trust_list
    _check_signer_validity(signer, signing_time)
    warnings = []
    if digest == "sha1":
        warnings.append(f"{tl.name}: signing with SHA-1 as asked; SHA-1 is broken for signatures")
    ctl_der = encode_ctl(tl, progress)
    stl = sign_ctl(ctl_der, signer, signing_time=signing_time, opus=tl.opus, digest=digest)
    files = {f"{tl.name}.stl": stl}
    record = {
        "list": str(loaded.path),
        "list_sha256": loaded.sha256,
        "entries": len(tl.entries),
        "tool_version": __version__,
        "signing_time": iso(signing_time),
        "outputs": {name: file_record(data) for name, data in files.items()},
    }
    return BuildResult(tl.name, ctl_der, files, record, warnings)


def _check_signer_validity(signer: Signer, when: datetime) -> None:
    """A CTL signed outside its signer's validity never verifies: refuse to make one."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(signer.certificate)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= when <= end:
        raise SigningError(f"signing time {iso(when)} is outside the signer certificate's validity "
                           f"({iso(start)} .. {iso(end)}); choose another --signing-time or signer")
