"""What Windows' CTL semantics say of one root, at one time, for one purpose.

>>> from ctlbuild.history.trust import RootQuery, trust_verdict
>>> v = trust_verdict(RootQuery.from_text("e7f3a3c8…"), releases, purpose="server_auth",
...                   at=datetime(2026, 11, 1, tzinfo=timezone.utc),
...                   issued=datetime(2026, 10, 1, tzinfo=timezone.utc))   # doctest: +SKIP
>>> v.trusted, [r.code for r in v.reasons]                               # doctest: +SKIP
(False, ['release', 'in_list', 'eku_allowed', 'not_before_applies'])

The rules, per entry attribute (FORMATS.md §3.2, as Windows applies its authroot list):

* the root must be listed by the trusted-root release in force at ``at`` (the latest
  one published by then), and no disallowed-certificate release in force may list it;
* EKUs (property 9): absent = every purpose; else the purpose must be one of them;
* disabled since (104): with no disabled EKUs (122) the whole root, else only those
  purposes, is untrusted from that date on (``at`` on or after it); an empty value
  means no date, read as "since always", as crt.sh reads it; disabled EKUs without a
  date (13 roots in 2026, e.g. OCSP signing) refuse those purposes outright;
* NotBefore (126): with no NotBefore EKUs (127) every purpose, else only those, is
  untrusted for certificates issued on or after the date; empty = since always.

Every rule that was looked at leaves a ``Reason``: the verdict is their conjunction,
and the reasons say why, including the ones that did not decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from ..errors import UsageError
from ..formats.certificates import CertInfo, load_certificates
from ..limits import as_path, is_stdin, shown_path
from ..lists.sources import read_bytes
from ..model import Entry
from ..oids import HashAlg, eku_oid
from ..thumbprint import parse_hex
from ..timeutil import Filetime, iso, to_ticks
from .releases import Release, in_force, order_releases

DEFAULT_PURPOSE = "server_auth"

#: Reason codes and what each does to the verdict ("allows", "denies" or "note").
REASON_CODES = (
    "release", "no_disallowed_release", "disallowed", "not_disallowed", "disallowed_unchecked", "not_in_list", "in_list",
    "all_purposes", "eku_allowed", "eku_not_allowed", "eku_disallowed", "eku_disallowed_other_purposes", "disabled", "disabled_later", "disabled_other_purposes",
    "not_before_applies", "not_before_passed", "not_before_other_purposes", "list_expired", "issued_assumed",
)


@dataclass(frozen=True)
class Reason:
    """One rule looked at. ``date`` is the attribute's date (a ``Filetime``; ticks None is
    "no date"), or the release's thisUpdate / nextUpdate; ``ekus`` the OIDs it names;
    ``release`` the release it comes from."""

    code: str
    effect: str  # "allows", "denies", "note"
    date: Filetime | datetime | None = None
    ekus: tuple[str, ...] = ()
    release: Release | None = None


@dataclass(frozen=True)
class Verdict:
    trusted: bool
    query: "RootQuery"
    purpose: str  # an OID
    at: datetime
    issued: datetime
    release: Release
    entry: Entry | None
    reasons: tuple[Reason, ...]

    @property
    def deciding(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.effect == "denies")


@dataclass(frozen=True)
class RootQuery:
    """The root asked about: its hashes, as many as are known (a certificate gives all
    of them; a thumbprint one). ``label`` is how reports name it."""

    label: str
    sha1: bytes | None = None
    sha256: bytes | None = None
    cert: CertInfo | None = None

    @classmethod
    def from_text(cls, text: str) -> "RootQuery":
        """A thumbprint (SHA-1, or SHA-256), or the path of the root's certificate (PEM or DER);
        ``-`` is the certificate on standard input, even beside a file named ``-``."""
        path = as_path(text)
        if is_stdin(path) or path.is_file():
            shown = shown_path(path)
            ders = load_certificates(read_bytes(path), path=shown)
            if len(ders) != 1:
                raise UsageError(f"{shown}: holds {len(ders)} certificates; give the one root")
            info = CertInfo.from_der(ders[0], path=shown)
            return cls(info.subject or shown.name, info.sha1, info.sha256, info)
        try:
            raw = parse_hex(text)
        except ValueError as exc:
            raise UsageError(f"{text!r} is neither a certificate file nor a thumbprint ({exc})") from None
        if len(raw) == 20:
            return cls(raw.hex(" "), sha1=raw)
        if len(raw) == 32:
            return cls(raw.hex(" "), sha256=raw)
        raise UsageError(f"thumbprint {text!r} has {len(raw)} bytes: a SHA-1 has 20, a SHA-256 32")

    def finds(self, entry: Entry, subject_algorithm: str) -> bool:
        if self.cert is not None and self.cert.matches(entry.identifier, subject_algorithm):
            return True
        if self.sha1 is not None and entry.thumbprint(subject_algorithm) == self.sha1:
            return True
        if self.sha256 is not None and (entry.sha256 == self.sha256 or
                                        (subject_algorithm == HashAlg.SHA256 and entry.identifier == self.sha256)):
            return True
        return False


def purpose_oid(text: str) -> str:
    try:
        return eku_oid(text)
    except ValueError as exc:
        raise UsageError(f"purpose: {exc}") from None


def trust_verdict(query: RootQuery, releases: Sequence[Release], purpose: str, at: datetime,
                  issued: datetime | None = None) -> Verdict:
    """``releases``: trusted-root releases, and disallowed-certificate ones, in any order.
    ``issued`` None is a certificate issued at ``at`` (the question "would a new one be
    trusted"), which the reasons say."""
    purpose = purpose_oid(purpose)
    trusted_list = [r for r in releases if r.trust_list.kind == "trusted"]
    disallowed_list = [r for r in releases if r.trust_list.kind == "disallowed"]
    if not trusted_list:
        raise UsageError("no trusted-root list among the sources (only disallowed-certificate lists)")
    release = in_force(order_releases(trusted_list).releases, at)
    if release is None:
        earliest = min(r.this_update for r in trusted_list)
        raise UsageError(f"no trusted-root release was in force at {iso(at)}: "
                         f"the earliest given is of {iso(earliest)}")
    reasons = [Reason("release", "note", release.this_update, release=release)]
    if release.trust_list.next_update is not None and release.trust_list.next_update <= at:
        reasons.append(Reason("list_expired", "note", release.trust_list.next_update, release=release))
    if issued is None:
        issued = at
        reasons.append(Reason("issued_assumed", "note", at))
    reasons += _disallowed(query, disallowed_list, at)
    tl = release.trust_list
    entry = next((e for e in tl.entries if query.finds(e, tl.subject_algorithm)), None)
    if entry is None:
        reasons.append(Reason("not_in_list", "denies", release=release))
    else:
        reasons.append(Reason("in_list", "allows", release=release))
        reasons += entry_reasons(entry, purpose, at, issued)
    trusted = not any(r.effect == "denies" for r in reasons)
    return Verdict(trusted, query, purpose, at, issued, release, entry, tuple(reasons))


def _disallowed(query: RootQuery, releases: Sequence[Release], at: datetime) -> list[Reason]:
    if not releases:
        return []
    release = in_force(order_releases(releases).releases, at)
    if release is None:
        return [Reason("no_disallowed_release", "note")]
    tl = release.trust_list
    if any(query.finds(e, tl.subject_algorithm) for e in tl.entries):
        return [Reason("disallowed", "denies", release=release)]
    if tl.subject_algorithm == HashAlg.DISALLOWED_HASH and query.cert is None:
        # Its identifiers are MD5s of keys: only the certificate itself can be matched.
        return [Reason("disallowed_unchecked", "note", release=release)]
    return [Reason("not_disallowed", "note", release=release)]


def entry_reasons(entry: Entry, purpose: str, at: datetime, issued: datetime) -> list[Reason]:
    """The rules of one entry's attributes for ``purpose`` (an OID)."""
    out = []
    if entry.ekus is None:
        out.append(Reason("all_purposes", "allows"))
    elif purpose in entry.ekus:
        out.append(Reason("eku_allowed", "allows", ekus=entry.ekus))
    else:
        out.append(Reason("eku_not_allowed", "denies", ekus=entry.ekus))
    out += _disabled(entry, purpose, at)
    out += _not_before(entry, purpose, issued)
    return out


def _disabled(entry: Entry, purpose: str, at: datetime) -> list[Reason]:
    since, ekus = entry.disabled_since, entry.disallowed_ekus
    if since is None and ekus is None:
        return []
    if since is None:  # disallowed EKUs without a date: those purposes are refused outright
        code = "eku_disallowed" if purpose in ekus else "eku_disallowed_other_purposes"
        return [Reason(code, "denies" if purpose in ekus else "note", ekus=ekus)]
    if ekus is not None and purpose not in ekus:
        return [Reason("disabled_other_purposes", "note", since, ekus)]
    if _on_or_after(at, since):
        return [Reason("disabled", "denies", since, ekus or ())]
    return [Reason("disabled_later", "note", since, ekus or ())]


def _not_before(entry: Entry, purpose: str, issued: datetime) -> list[Reason]:
    date, ekus = entry.not_before, entry.not_before_ekus
    if date is None:
        return []
    if ekus is not None and purpose not in ekus:
        return [Reason("not_before_other_purposes", "note", date, ekus)]
    if _on_or_after(issued, date):
        return [Reason("not_before_applies", "denies", date, ekus or ())]
    return [Reason("not_before_passed", "allows", date, ekus or ())]


def _on_or_after(when: datetime, date: Filetime) -> bool:
    """Whether ``when`` is on or after a FILETIME; an empty one is "since always"."""
    return date.ticks is None or to_ticks(when) >= date.ticks
