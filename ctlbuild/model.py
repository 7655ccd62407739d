"""The validated trust list: plain values, no files, no clock, no ASN.1.

>>> from datetime import datetime, timezone
>>> from ctlbuild.model import TrustList, Entry
>>> tl = TrustList(name="demo", kind="disallowed", this_update=datetime(2011, 8, 29, tzinfo=timezone.utc),
...                entries=(Entry(identifier=bytes(20), friendly_name="Example"),))
>>> tl.subject_algorithm, tl.usages
('1.3.14.3.2.26', ('1.3.6.1.4.1.311.10.3.30',))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from .oids import HashAlg, Usage
from .timeutil import Filetime, to_ticks

KINDS = ("disallowed", "trusted")
DEFAULT_USAGES = {"disallowed": (Usage.DISALLOWED_LIST,), "trusted": (Usage.ROOT_LIST_SIGNER,)}
SUBJECT_ALGORITHMS = {"sha1": HashAlg.SHA1, "sha256": HashAlg.SHA256, "disallowed_hash": HashAlg.DISALLOWED_HASH}
#: The list key an entry's identifier is written under, by subject algorithm.
IDENTIFIER_FIELDS = {alg: name for name, alg in SUBJECT_ALGORITHMS.items()}
IDENTIFIER_SIZES = {HashAlg.SHA1: 20, HashAlg.SHA256: 32, HashAlg.DISALLOWED_HASH: 16}


@dataclass(frozen=True, slots=True)
class Entry:
    """One TrustedSubject. ``None`` means the attribute is absent; empty tuples and
    ``Filetime(None)`` are present-but-empty values, which Microsoft's files contain."""

    identifier: bytes
    cert: bytes | None = None
    friendly_name: str | None = None
    ekus: tuple[str, ...] | None = None
    disallowed_ekus: tuple[str, ...] | None = None
    disabled_since: Filetime | None = None
    not_before: Filetime | None = None
    not_before_ekus: tuple[str, ...] | None = None
    ev_policies: tuple[str, ...] | None = None
    chain_policies: tuple[str, ...] | None = None
    sha256: bytes | None = None
    key_id: bytes | None = None
    subject_name_md5: bytes | None = None
    #: Attributes carried verbatim: (OID, value bytes). Unknown types, or known
    #: values whose bytes a typed field would not reproduce.
    raw_attributes: tuple[tuple[str, bytes], ...] = ()
    # Display only: never encoded into the CTL.
    sha1: bytes | None = None
    issuer: str | None = None
    updates: tuple[str, ...] = ()
    note: str | None = None
    #: Translations of the display fields: (language, field, text), e.g. ("zh-CN", "issuer", "…").
    l10n: tuple[tuple[str, str, str], ...] = ()

    @property
    def label(self) -> str:
        """How errors and tables name this entry."""
        return self.friendly_name or (self.sha1 or self.identifier).hex()

    def display(self, field: str, lang: str | None = None) -> str | None:
        """A display field (friendly_name, issuer, note) in ``lang`` when translated."""
        return _translated(self, field, lang)

    def thumbprint(self, subject_algorithm: str) -> bytes | None:
        """The certificate's SHA-1 when known: the identifier itself in a list of SHA-1
        thumbprints, else the ``sha1`` the list stated or computed (None otherwise)."""
        if self.sha1 is not None:
            return self.sha1
        return self.identifier if subject_algorithm == HashAlg.SHA1 else None


class AlikeEntries(Sequence):
    """Entries alike in everything but their identifiers: a thumbprint file under [defaults],
    or a CTL whose entries differ only in their identifier bytes. A Sequence[Entry] that
    holds one template and the identifiers, and makes an Entry only when one is asked for
    (a 1M-entry list: a million bytes objects, not a million 20-field Entries), so the
    encoder and the decoder can take the whole run in one step (``ctl.encode``,
    ``ctl.decode``). Equal to any sequence of the same entries.

    >>> run = AlikeEntries([b"\\1" * 20, b"\\2" * 20], Entry(b"", friendly_name="x"), sha1_is_identifier=True)
    >>> run[1].identifier == run[1].sha1 == b"\\2" * 20, run[0].friendly_name, len(run)
    (True, 'x', 2)
    >>> run == tuple(run)
    True
    """

    __slots__ = ("identifiers", "template", "sha1_is_identifier", "_fields")

    def __init__(self, identifiers: list[bytes], template: Entry, *, sha1_is_identifier: bool = False):
        #: the identifiers, all of one length; ``template`` gives every other field
        self.identifiers = identifiers
        self.template = template
        self.sha1_is_identifier = sha1_is_identifier
        fields = {name: getattr(template, name) for name in Entry.__slots__ if name != "identifier"}
        if sha1_is_identifier:
            fields.pop("sha1")
        self._fields = fields

    def _make(self, identifier: bytes) -> Entry:
        if self.sha1_is_identifier:
            return Entry(identifier, sha1=identifier, **self._fields)
        return Entry(identifier, **self._fields)

    def __len__(self) -> int:
        return len(self.identifiers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return AlikeEntries(self.identifiers[index], self.template, sha1_is_identifier=self.sha1_is_identifier)
        return self._make(self.identifiers[index])

    def __iter__(self):
        make = self._make
        return (make(i) for i in self.identifiers)

    def __eq__(self, other) -> bool:
        if isinstance(other, AlikeEntries) and self._fields == other._fields \
                and self.sha1_is_identifier == other.sha1_is_identifier:
            return self.identifiers == other.identifiers
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"AlikeEntries({len(self)} entries like {self.template!r})"


@dataclass(frozen=True, slots=True)
class Extension:
    oid: str
    value: bytes
    critical: bool = False


@dataclass(frozen=True, slots=True)
class Revision:
    """A revision of the advisory that changed no list (a corrected number, an update
    announced for another platform): it has a line in the revision history all the same."""

    version: str
    date: str
    note: str
    l10n: tuple[tuple[str, str, str], ...] = ()

    def display(self, field: str, lang: str | None = None) -> str | None:
        return _translated(self, field, lang)


@dataclass(frozen=True, slots=True)
class Advisory:
    """Changelog metadata: the advisory this release belongs to, and what it says of itself.

    ``version`` is this release's revision number as the advisory prints it ("4.0");
    None numbers releases V1.0, V2.0 … in order. ``revisions`` are the advisory's
    document-only revisions (any release of the history may carry them)."""

    title: str | None = None
    number: str | None = None
    date: str | None = None
    url: str | None = None
    revision_note: str | None = None
    l10n: tuple[tuple[str, str, str], ...] = ()
    version: str | None = None
    revisions: tuple[Revision, ...] = ()

    def display(self, field: str, lang: str | None = None) -> str | None:
        """A field (title, revision_note) in ``lang`` when translated."""
        return _translated(self, field, lang)


@dataclass(frozen=True, slots=True)
class Opus:
    """SpcSpOpusInfo: the program name and URL Microsoft's CTLs carry as a signed attribute."""

    program_name: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TrustList:
    name: str
    kind: str
    this_update: datetime
    entries: Sequence[Entry] = ()
    identifier: bytes | None = None
    sequence: int | None = None
    next_update: datetime | None = None
    usages: tuple[str, ...] | None = None
    subject_algorithm: str = HashAlg.SHA1
    extensions: tuple[Extension, ...] = ()
    advisory: Advisory | None = None
    opus: Opus | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.usages is None:
            object.__setattr__(self, "usages", DEFAULT_USAGES[self.kind])
        if self.sequence is None:
            object.__setattr__(self, "sequence", derive_sequence(self.kind, self.this_update))
        if self.next_update is not None and self.next_update <= self.this_update:
            raise ValueError("next_update must be after this_update")


def _translated(item, field: str, lang: str | None) -> str | None:
    for language, name, text in item.l10n:
        if language == lang and name == field:
            return text
    return getattr(item, field)


def derive_sequence(kind: str, this_update: datetime) -> int:
    """Microsoft's rule (FORMATS.md §2): the FILETIME of thisUpdate as a big-endian
    number; authroot (trusted) lists prefix it with the byte 0x14."""
    ticks = to_ticks(this_update)
    if kind == "trusted":
        return (0x14 << 64) | ticks
    return ticks
