"""``deploy``: the kit an administrator hands to Windows for a trusted or disallowed bundle.

>>> from ctlbuild.mirror.deploy import build_kit
>>> kit = build_kit(loaded.trust_list, pool, mirror_url="https://pki.example/ctl")   # doctest: +SKIP
>>> sorted(kit.files)                                                                  # doctest: +SKIP
['README.txt', 'roots-import.ps1', 'roots-mirror-rollback.reg', 'roots-mirror.reg', 'roots-rollback.ps1',
 'roots.sst']

The kit: ``<name>.sst`` (for ``certutil -addstore`` or ``Import-Certificate``), an import
script that adds it to the LocalMachine store its kind calls for and records on the machine
which thumbprints it added, a rollback script that removes exactly those (by thumbprint,
never more than the kit lists), and — given a mirror URL — a ``.reg`` file that points the
auto-update at the mirror, with its rollback. Every file is rendered from a Jinja2 template
in ``templates/`` (``deploy-*.j2``); free text (friendly names, the URL) only enters a
script through the escaping filters of ``reports.templating``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from .._version import __version__
from ..build.pipeline import store_for
from ..errors import UsageError
from ..formats.sst import SerializedStore, SstContext, write_sst
from ..model import TrustList
from ..reports.templating import render_template
from .inputs import CertificatePool

#: The LocalMachine store each kind of list goes to: (PowerShell provider name, certutil name).
STORES = {"disallowed": ("Disallowed", "disallowed"), "trusted": ("Root", "root")}
#: Where the auto-update looks for its folder (Microsoft: "Configure trusted roots and
#: disallowed certificates"; the values' names are wincrypt.h's).
AUTO_UPDATE_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate"
URL_VALUES = ("RootDirUrl", "SyncFromDirUrl")
#: Cached state Microsoft says to delete when the URL changes, so clients fetch from the new one.
CACHE_VALUES = ("EncodedCtl", "LastSyncTime")
_URL = re.compile(r"^(https?|file)://[^\s\"]+$", re.IGNORECASE)
MAX_URL = 2048


@dataclass
class Kit:
    name: str
    files: dict[str, bytes]
    thumbprints: list[str]
    store: str
    notes: list[str] = field(default_factory=list)


def build_kit(tl: TrustList, pool: CertificatePool, *, mirror_url: str | None = None) -> Kit:
    store, certutil_store = STORES[tl.kind]
    entries, notes = _with_certificates(tl, pool)
    sst = write_sst(_store(tl, entries))
    thumbprints = [(hashlib.sha1(e.cert).hexdigest().upper(), e.label) for e in entries]
    names = _names(tl.name, mirror_url is not None)
    context = {
        "name": tl.name, "kind": tl.kind, "store": store, "certutil_store": certutil_store,
        "sst": names["sst"], "sst_sha256": hashlib.sha256(sst).hexdigest().upper(),
        "thumbprints": thumbprints, "record": f"{tl.name}-{hashlib.sha256(sst).hexdigest()[:16]}.added.txt",
        "version": __version__, "mirror_url": _checked_url(mirror_url) if mirror_url else None,
        "key": AUTO_UPDATE_KEY, "url_values": URL_VALUES, "cache_values": CACHE_VALUES, "files": names,
    }
    files = {names["sst"]: sst,
             names["import"]: _script("deploy-import", context),
             names["rollback"]: _script("deploy-rollback", context)}
    if mirror_url:
        files[names["reg"]] = _reg("deploy-mirror", context)
        files[names["reg_rollback"]] = _reg("deploy-mirror-rollback", context)
    files["README.txt"] = _text("deploy-readme", "txt", context)
    return Kit(tl.name, files, [t for t, _ in thumbprints], store, notes)


def _with_certificates(tl: TrustList, pool: CertificatePool):
    entries, missing = [], []
    for entry in tl.entries:
        der = pool.certificate_for(entry, tl.subject_algorithm)
        if der is None:
            missing.append(entry.label)
        else:
            entries.append(replace(entry, cert=der))
    if not entries:
        raise UsageError(f"{tl.name}: no entry has a certificate, and a store import needs certificates; "
                         "give a folder of them (--certs), or publish the list through a mirror")
    notes = []
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        notes.append(f"{tl.name}: {len(missing)} entries have no certificate and are not in the kit: {shown}")
    return entries, notes


def _store(tl: TrustList, entries) -> SerializedStore:
    """A trusted bundle keeps each certificate's properties (EKU and date restrictions must
    travel with a root); a disallowed one holds the certificates alone, which is all the
    Disallowed store needs and what every crypt32 reader (Wine's included) loads."""
    store = store_for(replace(tl, entries=tuple(entries)))
    if tl.kind == "trusted":
        return store
    return SerializedStore(tuple(SstContext("cert", ctx.der) for ctx in store.certificates))


def _names(name: str, with_reg: bool) -> dict[str, str]:
    names = {"sst": f"{name}.sst", "import": f"{name}-import.ps1", "rollback": f"{name}-rollback.ps1"}
    if with_reg:
        names.update(reg=f"{name}-mirror.reg", reg_rollback=f"{name}-mirror-rollback.reg")
    return names


def _checked_url(url: str) -> str:
    """A URL for a registry value: http(s) or file, one line, no quotes — a newline in it
    would add a line of its own to the .reg file."""
    if len(url) > MAX_URL or not _URL.match(url) or not url.isprintable():
        raise UsageError(f"mirror URL {url!r} is not an http://, https:// or file:// URL on one line "
                         f"without spaces or quotes (at most {MAX_URL} characters)")
    return url


def _script(template: str, context: dict) -> bytes:
    """PowerShell: UTF-8 with a BOM (Windows PowerShell 5.1 reads a file without one as ANSI)
    and CRLF line ends."""
    return b"\xef\xbb\xbf" + _crlf(render_template(template, "ps1", context)).encode("utf-8")


def _reg(template: str, context: dict) -> bytes:
    """A regedit 5.00 file as regedit writes one: UTF-16LE with a BOM, CRLF."""
    return "\ufeff".encode("utf-16-le") + _crlf(render_template(template, "reg", context)).encode("utf-16-le")


def _text(template: str, fmt: str, context: dict) -> bytes:
    return _crlf(render_template(template, fmt, context)).encode("utf-8")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
