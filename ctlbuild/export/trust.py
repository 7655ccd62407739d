"""What a CTL entry means for one purpose at one time: Microsoft's rules, decided once.

>>> from datetime import datetime, timezone
>>> from ctlbuild.model import Entry
>>> from ctlbuild.export.trust import purpose_trust
>>> at = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> purpose_trust(Entry(bytes(20), ekus=("1.3.6.1.5.5.7.3.2",)), "trusted", "1.3.6.1.5.5.7.3.1", at).status
'not_in_ekus'

The rules (FORMATS.md §3.2, Microsoft's root program deprecation documents):

* ``ekus`` (property 9) lists the purposes a root is trusted for; absent means every purpose
  (Microsoft's own roots carry none), ``any`` (2.5.29.37.0) too.
* ``disallowed_ekus`` (122) with ``disabled_since`` (104): those purposes are disabled from that
  date; without 122, 104 disables the whole root from that date.
* ``not_before`` (126) with ``not_before_ekus`` (127; absent = every purpose): certificates issued
  (notBefore) after that date are no longer trusted, older ones still are.
* An empty FILETIME (Microsoft writes some) has no date: it is read as "since forever", the
  reading that never trusts more than Windows might. An empty 127 is read as every purpose, for
  the same reason.
* Every entry of a disallowed list is distrusted for every purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..oids import EKU
from ..timeutil import Filetime

ANY = EKU["any"]

TRUSTED = "trusted"            # trusted for the purpose at the time
NOT_BEFORE = "not_before"      # trusted only for certificates issued before ``date``
NOT_IN_EKUS = "not_in_ekus"    # the entry's EKUs do not include the purpose
DISALLOWED_EKU = "disallowed_eku"  # the purpose is disallowed (since ``date``, None = always)
DISABLED = "disabled"          # the whole root is disabled (since ``date``, None = always)
BLOCKLISTED = "blocklisted"    # on a disallowed list: distrusted for everything

STATUSES = (TRUSTED, NOT_BEFORE, NOT_IN_EKUS, DISALLOWED_EKU, DISABLED, BLOCKLISTED)


@dataclass(frozen=True, slots=True)
class PurposeTrust:
    """One entry's trust for one purpose (an EKU OID) at one time.

    ``date`` is the date of the rule behind ``status`` (None: no date, or "since forever");
    ``not_before`` is a NotBefore date that applies to this purpose, whether or not it has
    passed (formats that carry distrust-after write it either way); ``disabled_from`` is a
    disabling date still to come after the export time."""

    purpose: str
    status: str
    date: datetime | None = None
    not_before: datetime | None = None
    disabled_from: datetime | None = None
    #: A NotBefore date that is later than the export time (the rule is not yet biting).
    not_before_pending: bool = False

    @property
    def trusted(self) -> bool:
        return self.status in (TRUSTED, NOT_BEFORE)


def purpose_trust(entry, kind: str, purpose: str, at: datetime) -> PurposeTrust:
    """The entry's trust for ``purpose`` at ``at`` in a list of ``kind`` (trusted/disallowed)."""
    if kind == "disallowed":
        return PurposeTrust(purpose, BLOCKLISTED)
    if not _lists(entry.ekus, purpose, absent=True):
        return PurposeTrust(purpose, NOT_IN_EKUS)
    disabled = _disabled(entry, purpose, at)
    if disabled is not None:
        return disabled
    pending = _when(entry.disabled_since) if _disabling_applies(entry, purpose) else None
    return _with_not_before(entry, purpose, at, pending)


def _disabled(entry, purpose: str, at: datetime) -> PurposeTrust | None:
    if entry.disallowed_ekus is not None:
        if not _lists(entry.disallowed_ekus, purpose, absent=False):
            return None
        status = DISALLOWED_EKU
    elif entry.disabled_since is not None:
        status = DISABLED
    else:
        return None
    date = _when(entry.disabled_since)
    if date is None or date <= at:
        return PurposeTrust(purpose, status, date)
    return None


def _disabling_applies(entry, purpose: str) -> bool:
    if entry.disabled_since is None:
        return False
    return entry.disallowed_ekus is None or _lists(entry.disallowed_ekus, purpose, absent=False)


def _with_not_before(entry, purpose: str, at: datetime, pending: datetime | None) -> PurposeTrust:
    if entry.not_before is None or not _not_before_applies(entry.not_before_ekus, purpose):
        return PurposeTrust(purpose, TRUSTED, disabled_from=pending)
    date = _when(entry.not_before)
    if date is None:  # an empty NotBefore: every certificate "issued after" no date
        return PurposeTrust(purpose, DISABLED, None)
    if date <= at:
        return PurposeTrust(purpose, NOT_BEFORE, date, not_before=date, disabled_from=pending)
    return PurposeTrust(purpose, TRUSTED, not_before=date, disabled_from=pending, not_before_pending=True)


def _lists(ekus: tuple[str, ...] | None, purpose: str, *, absent: bool) -> bool:
    if ekus is None:
        return absent
    return purpose in ekus or ANY in ekus


def _not_before_applies(ekus: tuple[str, ...] | None, purpose: str) -> bool:
    return not ekus or purpose in ekus or ANY in ekus


def _when(value: Filetime | None) -> datetime | None:
    """A FILETIME's date; None for the empty value (and for one past the year 9999, which
    no real list holds: read, like the empty one, as "since forever")."""
    if value is None or value.ticks is None or not value.representable:
        return None
    return value.datetime


def restricts_ekus(entry) -> bool:
    """Whether the CTL limits the root to some purposes (so a format that trusts a root for
    everything loses something)."""
    limited = entry.ekus is not None and ANY not in entry.ekus
    return limited or entry.disallowed_ekus is not None
