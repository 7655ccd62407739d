"""A list's top level: its name, kind, dates, usages, extensions, outputs, signer and
changelog metadata, each checked and located (entries are ``entries``' business).

>>> from ctlbuild.lists.header import read_header
>>> from ctlbuild.lists.validators import Checker
>>> data = {"name": "demo", "kind": "disallowed", "this_update": "2011-08-29"}
>>> header = read_header(Checker("demo.toml", ""), data)
>>> header.name, header.kind, header.this_update.year, header.outputs
('demo', 'disallowed', 2011, ('stl', 'sst', 'cab'))
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..ctl import attributes
from ..model import KINDS, SUBJECT_ALGORITHMS, Advisory, Extension, Opus, Revision
from ..oids import SIGNING_DIGESTS, USAGE_NAMES, is_oid
from ..thumbprint import parse_hex
from ..timeutil import parse_duration
from .validators import Checker, str_or_none, translations

LIST_KEYS = {"name", "kind", "identifier", "identifier_hex", "sequence", "this_update", "next_update",
             "validity", "usages", "subject_algorithm", "cert_properties", "signer", "advisory", "opus",
             "defaults", "entry", "extensions", "outputs", "previous", "sst_include_ctl"}
SIGNER_KEYS = {"key", "cert", "chain", "digest", "scheme"}
ADVISORY_KEYS = {"title", "number", "date", "url", "revision_note", "l10n", "version", "revisions"}
REVISION_KEYS = {"version", "date", "note", "l10n"}
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")
OPUS_KEYS = {"program_name", "url"}
EXTENSION_KEYS = {"oid", "critical", "value_base64"}
OUTPUTS = ("stl", "sst", "cab")
_USAGE_BY_NAME = {v: k for k, v in USAGE_NAMES.items()}


@dataclass(frozen=True)
class SignerSpec:
    """Where the signing key lives; paths resolved against the list's folder."""

    key: str
    cert: Path | None = None
    chain: tuple[Path, ...] = ()
    digest: str = "sha256"
    scheme: str | None = None


@dataclass(frozen=True)
class Header:
    """Everything a list says above its entries, checked."""

    name: str
    kind: str
    this_update: datetime
    next_update: datetime | None
    subject_algorithm: str
    #: Whether certificate entries get their key id, subject-name MD5 and SHA-256 attributes.
    cert_properties: bool
    identifier: bytes | None
    sequence: int | None
    usages: tuple[str, ...] | None
    extensions: tuple[Extension, ...]
    advisory: Advisory | None
    opus: Opus | None
    signer: SignerSpec | None
    outputs: tuple[str, ...]
    previous: tuple[Path, ...]
    sst_include_ctl: bool


def _day(when) -> str | None:
    """A date as the changelog keeps it (ISO); a date-time keeps its day."""
    if isinstance(when, datetime):
        return when.date().isoformat()
    return when.isoformat() if isinstance(when, date) else str_or_none(when)


def read_header(check: Checker, d: dict) -> Header:
    return _HeaderReader(check).read(d)


class _HeaderReader:
    def __init__(self, check: Checker):
        self.check = check
        self.base = check.path.parent

    def read(self, d: dict) -> Header:
        check = self.check
        check.check_keys(d, LIST_KEYS, None)
        for required in ("name", "kind", "this_update"):
            if required not in d:
                check.fail(f"missing required key {required!r}", None)
        kind = check.choice(d, "kind", KINDS)
        name = check.string(d, "name")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            check.fail("name must be letters, digits, '.', '_' or '-' (it names the output files)", None, "name")
        algorithm = SUBJECT_ALGORITHMS[check.choice(d, "subject_algorithm", tuple(SUBJECT_ALGORITHMS), "sha1")]
        this_update = check.when(d, "this_update")
        if this_update.year < 1601:
            check.fail("is before 1601, where FILETIME (and so the sequence number) begins", None, "this_update")
        return Header(
            name=name, kind=kind, this_update=this_update, next_update=self.next_update(d, this_update),
            subject_algorithm=algorithm, cert_properties=check.boolean(d, "cert_properties", kind == "trusted"),
            identifier=self.list_identifier(d),
            sequence=check.integer(d, "sequence") if "sequence" in d else None,
            usages=self.usages(d), extensions=self.extensions(d),
            advisory=self.advisory(d.get("advisory")), opus=self.opus(d.get("opus")),
            signer=self.signer(d.get("signer")), outputs=self.outputs(d, this_update),
            previous=tuple(self.base / p for p in check.string_list(d, "previous", None) or ()),
            sst_include_ctl=check.boolean(d, "sst_include_ctl", False))

    def next_update(self, d, this_update):
        if "next_update" in d and "validity" in d:
            self.check.fail("give next_update or validity, not both", None, "validity")
        if "validity" in d:
            try:
                return this_update + parse_duration(self.check.string(d, "validity"))
            except ValueError as exc:
                self.check.fail(str(exc), None, "validity")
            except OverflowError:
                self.check.fail("runs past the year 9999", None, "validity")
        if "next_update" not in d:
            return None
        value = self.check.when(d, "next_update")
        if value <= this_update:
            self.check.fail("must be after this_update", None, "next_update")
        return value

    def outputs(self, d, this_update) -> tuple[str, ...]:
        names = self.check.string_list(d, "outputs", None)
        if names is not None and (not names or any(n not in OUTPUTS for n in names)):
            self.check.fail(f"must list some of {', '.join(OUTPUTS)}", None, "outputs")
        chosen = OUTPUTS if names is None else tuple(n for n in OUTPUTS if n in names)
        if "cab" in chosen and not 1980 <= this_update.year <= 2107:
            self.check.fail("a cabinet's DOS date holds the years 1980 to 2107; set outputs without \"cab\"",
                      None, "this_update")
        return chosen

    def list_identifier(self, d) -> bytes | None:
        if "identifier" in d and "identifier_hex" in d:
            self.check.fail("give identifier or identifier_hex, not both", None, "identifier_hex")
        if "identifier_hex" in d:
            try:
                return parse_hex(self.check.string(d, "identifier_hex"), what="identifier_hex")
            except ValueError as exc:
                self.check.fail(str(exc), None, "identifier_hex")
        text = self.check.string(d, "identifier")
        # Windows writes ListIdentifier as UTF-16LE with its NUL (disallowedcert.stl does).
        return None if text is None else attributes.encode_text(text)

    def usages(self, d):
        names = self.check.string_list(d, "usages", None)
        if names is None:
            return None
        out = []
        for name in names:
            oid = _USAGE_BY_NAME.get(name, name)
            if not is_oid(oid):
                self.check.fail(f"usage {name!r} is neither a known name ({', '.join(_USAGE_BY_NAME)}) nor an OID",
                          None, "usages")
            out.append(oid)
        return tuple(out)

    def extensions(self, d):
        out = []
        extensions = d.get("extensions", [])
        if not isinstance(extensions, list) or not all(isinstance(x, dict) for x in extensions):
            self.check.fail("must be an array of tables ([[extensions]])", None, "extensions")
        for i, ext in enumerate(extensions):
            self.check.check_keys(ext, EXTENSION_KEYS, "extensions", i)
            oid = self.check.string(ext, "oid", "extensions", i)
            if not oid or not is_oid(oid):
                self.check.fail("needs an oid", "extensions", "oid", i)
            try:
                value = base64.b64decode(self.check.string(ext, "value_base64", "extensions", i) or "", validate=True)
            except ValueError:
                self.check.fail("value_base64 is not base64", "extensions", "value_base64", i)
            out.append(Extension(oid, value, self.check.boolean(ext, "critical", False, "extensions")))
        return tuple(out)

    def advisory(self, t):
        if self.check.table(t, "advisory") is None:
            return None
        self.check.check_keys(t, ADVISORY_KEYS, "advisory")
        when = t.get("date")
        try:
            texts = translations(t.get("l10n", {}), {"title", "revision_note"})
        except ValueError as exc:
            self.check.fail(str(exc), "advisory", "l10n")
        return Advisory(title=self.check.string(t, "title", "advisory"), number=str_or_none(t.get("number")),
                        date=_day(when), url=self.check.string(t, "url", "advisory"),
                        revision_note=self.check.string(t, "revision_note", "advisory"), l10n=texts,
                        version=self.version(t, "advisory"), revisions=self.revisions(t.get("revisions", [])))

    def version(self, t, table, index=0) -> str | None:
        """A revision number as the advisory prints it: "4.1" (a string: TOML's 4.10 is 4.1)."""
        value = t.get("version")
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value}.0"
        if not isinstance(value, str) or not _VERSION.fullmatch(value):
            self.check.fail('must be a revision number in quotes, like version = "4.1"', table, "version", index)
        return value

    def revisions(self, tables) -> tuple[Revision, ...]:
        """[[advisory.revisions]]: the advisory's revisions that changed no list."""
        if not isinstance(tables, list) or not all(isinstance(x, dict) for x in tables):
            self.check.fail("must be an array of tables ([[advisory.revisions]])", "advisory", "revisions")
        out = []
        for i, t in enumerate(tables):
            self.check.check_keys(t, REVISION_KEYS, "advisory.revisions", i)
            for required in ("version", "date", "note"):
                if required not in t:
                    self.check.fail(f"missing required key {required!r}", "advisory.revisions", index=i)
            try:
                texts = translations(t.get("l10n", {}), {"note"})
            except ValueError as exc:
                self.check.fail(str(exc), "advisory.revisions", "l10n", i)
            out.append(Revision(self.version(t, "advisory.revisions", i),
                                _day(self.check.when(t, "date", "advisory.revisions", i)),
                                self.check.string(t, "note", "advisory.revisions", i), texts))
        return tuple(out)

    def opus(self, t):
        if self.check.table(t, "opus") is None:
            return None
        self.check.check_keys(t, OPUS_KEYS, "opus")
        return Opus(self.check.string(t, "program_name", "opus"), self.check.string(t, "url", "opus"))

    def signer(self, t):
        if self.check.table(t, "signer") is None:
            return None
        self.check.check_keys(t, SIGNER_KEYS, "signer")
        key = self.check.string(t, "key", "signer")
        if not key:
            self.check.fail("needs key (a file path or a pkcs11: URI)", "signer")
        cert = self.check.string(t, "cert", "signer")
        chain = self.check.string_list(t, "chain", "signer") or []
        digest = self.check.string(t, "digest", "signer", default="sha256")
        if digest not in SIGNING_DIGESTS:
            self.check.fail(f"must be {', '.join(SIGNING_DIGESTS[:-1])} or {SIGNING_DIGESTS[-1]}", "signer", "digest")
        scheme = self.check.string(t, "scheme", "signer")
        if scheme not in (None, "pkcs1v15", "pss", "ecdsa"):
            self.check.fail("must be pkcs1v15, pss or ecdsa", "signer", "scheme")
        from ..signing.open import is_pkcs11_uri  # it imports cryptography: only for a [signer]

        resolved = key if is_pkcs11_uri(key) else str(self._existing(key, "key"))
        return SignerSpec(resolved, self._existing(cert, "cert") if cert else None,
                          tuple(self._existing(c, "chain") for c in chain), digest, scheme)

    def _existing(self, rel: str, key: str) -> Path:
        """A file [signer] names, relative to the list; a typo is named with its line now,
        not when the build gets round to signing."""
        path = self.base / rel
        if not path.is_file():
            self.check.fail(f"{rel} not found (paths are relative to the list's folder)", "signer", key)
        return path
