"""The folder Windows' certificate auto-update reads (RootDirUrl / SyncFromDirUrl): its file names.

>>> from ctlbuild.mirror.layout import ROLES, classify, crt_name
>>> ROLES["authroot"].cab, ROLES["authroot"].member
('authrootstl.cab', 'authroot.stl')
>>> crt_name(bytes.fromhex("c060ed44cbd881bd0ef86c0ba287ddcf8167478c"))
'C060ED44CBD881BD0EF86C0BA287DDCF8167478C.crt'
>>> classify("disallowedcertstl.cab"), classify("c060ed44cbd881bd0ef86c0ba287ddcf8167478c.crt")
('cab', 'crt')

Microsoft documents (``certutil -syncWithWU``, "Configure trusted roots and disallowed
certificates") authrootstl.cab, disallowedcertstl.cab, disallowedcert.sst and
<thumbprint>.crt; wincrypt.h names pinrulesstl.cab (member pinrules.stl) and
authrootseq.txt, whose content Microsoft does not document (ctlbuild neither writes nor
checks it). The README's *Deploying to Windows* says which source confirmed what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..build.outputs import LOCK, STAGING
from ..oids import Usage

#: What mirror build writes beside the served files: its own record of the folder.
MANIFEST = "ctlbuild-mirror.json"
MANIFEST_FORMAT = "ctlbuild-mirror/1"
DISALLOWED_SST = "disallowedcert.sst"
#: A file of Windows Update's folder whose format is undocumented: known, never checked.
SEQUENCE_TXT = "authrootseq.txt"

_CRT = re.compile(r"^[0-9A-Fa-f]{40}\.crt$")


@dataclass(frozen=True)
class Role:
    """One of the CTLs Windows fetches: its cabinet, the member inside, and its subjectUsage."""

    name: str
    cab: str
    member: str
    usage: str
    what: str
    #: Other subjectUsages taken as this role (which one Microsoft's pinrules.stl carries is
    #: not documented: wincrypt.h has szOID_PIN_RULES_CTL and szOID_PIN_RULES_SIGNER).
    aliases: tuple[str, ...] = ()

    def fits(self, usages) -> bool:
        return any(u in (usages or ()) for u in (self.usage, *self.aliases))


ROLES = {
    "authroot": Role("authroot", "authrootstl.cab", "authroot.stl", Usage.ROOT_LIST_SIGNER,
                     "trusted roots"),
    "disallowedcert": Role("disallowedcert", "disallowedcertstl.cab", "disallowedcert.stl",
                           Usage.DISALLOWED_LIST, "disallowed certificates"),
    "pinrules": Role("pinrules", "pinrulesstl.cab", "pinrules.stl", Usage.PIN_RULES_CTL, "pin rules",
                     (Usage.PIN_RULES_SIGNER,)),
}
CAB_ROLES = {role.cab: role for role in ROLES.values()}


def role_for_usages(usages) -> Role | None:
    """The role a CTL plays by its subjectUsage (the first that fits), or None."""
    for role in ROLES.values():
        if role.fits(usages):
            return role
    return None


def crt_name(sha1: bytes) -> str:
    """Windows Update's name for a root: its SHA-1 in upper-case hex, then .crt."""
    return f"{sha1.hex().upper()}.crt"


def is_crt_name(name: str) -> bool:
    return bool(_CRT.match(name))


def classify(name: str) -> str:
    """``cab``, ``sst``, ``crt``, ``manifest``, ``sequence``, ``lock`` (the publication lock),
    ``staging`` (an interrupted publication), ``partial`` (a temporary file being written)
    or ``stray`` (nothing Windows or ctlbuild puts here)."""
    if name in CAB_ROLES:
        return "cab"
    if name == DISALLOWED_SST:
        return "sst"
    if is_crt_name(name):
        return "crt"
    if name == MANIFEST:
        return "manifest"
    if name == SEQUENCE_TXT:
        return "sequence"
    if name == LOCK:
        return "lock"
    if name == STAGING:
        return "staging"
    if name.startswith(".") and name.endswith(".tmp"):
        return "partial"
    return "stray"
