"""A list's entries: [[entry]] tables and [defaults], and the sources they name — a
certificate file, a folder of them, a thumbprint file, or hashes alone.

>>> from ctlbuild.lists.entries import read_entries
>>> from ctlbuild.lists.validators import Checker
>>> from ctlbuild.oids import HashAlg
>>> tables = [{"sha1": "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"}]
>>> entries = read_entries(Checker("demo.toml", ""), HashAlg.SHA1, False, tables, {"note": "x"})
>>> entries[0].identifier.hex()[:8], entries[0].note
('c060ed44', 'x')
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from ..errors import FormatError, ListError
from ..limits import FolderBudget, folder_files
from ..model import IDENTIFIER_FIELDS, IDENTIFIER_SIZES, AlikeEntries, Entry
from ..oids import HashAlg
from ..thumbprint import parse_hex
from .bounded import FileProblem, LineError, read_cert_file, thumbprint_file_lines
from .validators import ATTRIBUTE_KEYS, Checker, Conversions

#: Entry keys that say which certificate an entry is (or which many, for certs and thumbprints).
SOURCE_KEYS = {"cert", "certs", "sha1", "sha256", "disallowed_hash", "thumbprints", "key_id",
               "subject_name_md5"}
ENTRY_KEYS = ATTRIBUTE_KEYS | SOURCE_KEYS
_IDENTIFIER_KEYS = {"sha1", "sha256", "disallowed_hash"}
#: The source keys that name one certificate (refused beside certs or thumbprints), in the
#: order a mistake names the first of them.
_ONE_CERTIFICATE_KEYS = tuple(sorted(SOURCE_KEYS - {"cert", "certs", "thumbprints"}))


def read_entries(check: Checker, subject_algorithm: str, cert_properties: bool, tables, defaults) -> list[Entry]:
    """Every entry of the list, [defaults] applied, duplicates refused."""
    reader = _EntryReader(check, subject_algorithm, cert_properties, _shared_memo(subject_algorithm, defaults))
    return reader.entries(tables, reader.defaults(defaults))


# -- entries shared between the lists of one history ------------------------------------------

#: The scope of ``shared_entries``: (subject algorithm, [defaults] key) → the identifier as
#: written → (the table, the list of its Entry that ``entry`` returns).
_SHARED: ContextVar[dict | None] = ContextVar("ctlbuild_shared_entries", default=None)
#: Tables one scope remembers for one [defaults] (past it, tables are read as ever).
_SHARED_LIMIT = 1 << 20


@contextmanager
def shared_entries():
    """Lists read inside share one Entry per identical hash-only [[entry]] table.

    A release history (``changelog``: 50 releases of 500 entries) repeats nearly every
    table of a release in the next one; an Entry is immutable, and what a table becomes
    depends only on the table, the list's subject algorithm and its [defaults], so each
    distinct one is checked and built once. Every list is still checked whole: keys,
    duplicates, and each table not seen before, with its file and line on a mistake (a
    table that fails is never remembered)."""
    if _SHARED.get() is not None:  # already inside one: share with it
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared_memo(algorithm: str, defaults) -> dict | None:
    shared = _SHARED.get()
    if shared is None or not isinstance(defaults, dict):
        return None
    key = _table_key(defaults)
    return None if key is None else shared.setdefault((algorithm, key), {})


def _table_key(t: dict) -> tuple | None:
    """The table as a hashable value, or None when it holds anything but text, dates and
    lists of text: the only tables remembered. Equal tables of those values convert alike:
    such values equal each other only within a type (a date never equals a date-time, a
    naive date-time never an aware one; aware ones are equal at the same instant, which
    is all the conversion keeps), so a table equal to a remembered one holds the same."""
    items = []
    for key, value in t.items():
        kind = type(value)
        if kind is list:
            for item in value:
                if type(item) is not str:
                    return None
            value = tuple(value)
        elif kind is not str and kind is not date and kind is not datetime:
            return None
        items.append((key, value))
    return tuple(items)


class _EntryReader:
    def __init__(self, check: Checker, algorithm: str, cert_properties: bool, memo: dict | None = None):
        self.check, self.algorithm, self.cert_properties = check, algorithm, cert_properties
        self.base = check.path.parent
        self.values = Conversions()
        #: this scope's tables already read, by identifier (``shared_entries``), or None
        self.memo = memo
        self.id_field = IDENTIFIER_FIELDS.get(algorithm)

    def defaults(self, t) -> dict:
        self.check.table(t, "defaults")
        self.check.check_keys(t, ATTRIBUTE_KEYS, "defaults")
        return self.attributes(t, "defaults", 0, None)

    def entries(self, tables, defaults) -> list[Entry]:
        if not isinstance(tables, list):
            self.check.fail("must be an array of tables ([[entry]])", None, "entry")
        chunks: list = []  # per table: its entries (a list, or one AlikeEntries run)
        seen: dict[bytes, int] = {}
        for index, table in enumerate(tables):
            if not isinstance(table, dict):
                self.check.fail("must be an array of tables ([[entry]])", None, "entry")
            made = self.entry(table, index, defaults)
            if type(made) is list:  # (type, not isinstance(AlikeEntries): an ABC check per table)
                for entry in made:
                    identifier = entry.identifier
                    if identifier in seen:
                        self.refuse_repeat(entry, seen[identifier], index)
                    seen[identifier] = index
                chunks.append(made)
                continue
            # a thumbprint file's run (AlikeEntries), distinct within itself
            self.refuse_repeats(made, seen, index)
            if index + 1 < len(tables):  # later tables are checked against it
                seen.update(dict.fromkeys(made.identifiers, index))
            chunks.append(made)
        if len(chunks) == 1 and isinstance(chunks[0], AlikeEntries):
            return chunks[0]  # the 1M-entry case: kept as a run for the encoder
        return [entry for chunk in chunks for entry in chunk]

    def refuse_repeats(self, run: AlikeEntries, seen: dict, index: int) -> None:
        if seen and not seen.keys().isdisjoint(run.identifiers):
            entry = next(e for e in run if e.identifier in seen)  # the first, in file order
            self.refuse_repeat(entry, seen[entry.identifier], index)

    def refuse_repeat(self, entry: Entry, first: int | None, index: int) -> None:
        if first is not None:
            self.check.fail(f"duplicate entry {entry.identifier.hex()} (first in entry "
                            f"#{first + 1}, line {self.check.where.table_line('entry', first)})",
                            "entry", index=index, entry=entry.label)

    def entry(self, t, index, defaults):
        memo = self.memo
        identifier = t.get(self.id_field) if memo is not None else None
        if type(identifier) is str:  # what a table read before is remembered by (shared_entries)
            known = memo.get(identifier)
            if known is not None and known[0] == t:  # read before, value for value
                return known[1]
        if not ENTRY_KEYS.issuperset(t):
            self.check.check_keys(t, ENTRY_KEYS, "entry", index)
        if "cert" in t or "certs" in t or "thumbprints" in t:
            return self.from_sources(t, index, defaults)
        entry = self.from_hashes(t, index, {**defaults, **self.attributes(t, "entry", index, t)})
        if type(identifier) is str and len(memo) < _SHARED_LIMIT and _table_key(t) is not None:
            memo[identifier] = (t, [entry])
        return [entry]

    def from_sources(self, t, index, defaults):
        """The entries of a table that names certificates or a thumbprint file."""
        sources = [k for k in ("cert", "certs", "thumbprints") if k in t]
        if len(sources) > 1:
            self.check.fail(f"give one of cert, certs, thumbprints, not {' and '.join(sources)}", "entry", sources[1], index)
        many = next((k for k in ("certs", "thumbprints") if k in t), None)
        stray = next((k for k in _ONE_CERTIFICATE_KEYS if k in t), None)
        if many and stray:
            self.check.fail(f"{stray} names one certificate; it cannot go with {many}, which names many "
                      "(give it its own [[entry]])", "entry", stray, index)
        attrs = {**defaults, **self.attributes(t, "entry", index, t)}
        if "certs" in t:
            return [self.from_cert(t, index, attrs, der, p) for p, der in self.cert_dir(t, index)]
        if "thumbprints" in t:
            return self.from_thumbprint_file(t, index, attrs)
        return [self.from_cert(t, index, attrs, *reversed(self.cert_file(t, index)))]

    def hex_field(self, t, key, index, size, label=None):
        value = t.get(key)
        if value is None:
            return None
        try:
            return parse_hex(value, size, what="thumbprint" if key in _IDENTIFIER_KEYS else "value")
        except ValueError as exc:
            self.check.fail(str(exc), "entry", key, index, entry=label)

    def from_hashes(self, t, index, attrs) -> Entry:
        """An entry for a certificate the operator does not hold: its identifier alone."""
        field_name = self.id_field
        size = IDENTIFIER_SIZES[self.algorithm]
        identifier = self.hex_field(t, field_name, index, size, attrs.get("friendly_name"))
        if identifier is None:
            self.check.fail(f"needs cert, certs, thumbprints or {field_name} (the list's subject_algorithm "
                      f"is {field_name})", "entry", index=index, entry=attrs.get("friendly_name"))
        sha1 = identifier if field_name == "sha1" else self.hex_field(t, "sha1", index, 20)
        extra = self.given_hashes(t, index, skip=field_name)
        return Entry(identifier=identifier, sha1=sha1, **extra, **attrs)

    def given_hashes(self, t, index, skip=None) -> dict:
        out = {}
        for key, size in (("sha256", 32), ("key_id", None), ("subject_name_md5", 16)):
            if key != skip and key in t:
                out[key] = self.hex_field(t, key, index, size)
        return out

    def from_cert(self, t, index, attrs, der: bytes, where) -> Entry:
        from ..formats.certificates import CertInfo  # cryptography: only for a list that names certificates

        try:
            info = CertInfo.from_der(der, path=where)
        except FormatError as exc:
            self.check.fail(exc.message, "entry", "cert" if "cert" in t else "certs", index, entry=str(where))
        label = attrs.get("friendly_name") or info.subject
        identifier = info.identifier(self.algorithm)
        for key, size in (("sha1", 20), ("sha256", 32), ("disallowed_hash", 16), ("key_id", None),
                          ("subject_name_md5", 16)):
            given = self.hex_field(t, key, index, size, label)
            if given is None:
                continue
            if key == "disallowed_hash":
                if not info.matches(given, HashAlg.DISALLOWED_HASH):
                    self.check.fail("does not match the certificate's public-key or to-be-signed MD5",
                              "entry", key, index, entry=label)
                if self.algorithm == HashAlg.DISALLOWED_HASH:
                    identifier = given
            elif given != getattr(info, key):
                self.check.fail(f"{given.hex()} does not match the certificate ({getattr(info, key).hex()})",
                          "entry", key, index, entry=label)
        # Hash attributes: all of them when the list asks for cert_properties, else just
        # those the entry states (an imported list states exactly what the source had).
        computed = {key: getattr(info, key) for key in ("sha256", "key_id", "subject_name_md5")
                    if self.cert_properties or key in t}
        attrs = {"issuer": info.issuer, **attrs}
        return Entry(identifier=identifier, cert=der, sha1=info.sha1, **computed, **attrs)

    def cert_file(self, t, index):
        from ..formats.certificates import load_certificates

        rel = self.check.string(t, "cert", "entry", index)
        path = self.base / rel
        try:
            data = read_cert_file(path, rel)
        except FileProblem as exc:
            self.check.fail(str(exc), "entry", "cert", index)
        try:
            ders = load_certificates(data, path=rel)
        except FormatError as exc:
            self.check.fail(exc.message, "entry", "cert", index, entry=rel)
        if len(ders) != 1:
            self.check.fail(f"{rel} holds {len(ders)} certificates; use certs = \"folder/\" for several",
                      "entry", "cert", index)
        return rel, ders[0]

    def cert_dir(self, t, index):
        from ..formats.certificates import load_certificates

        rel = self.check.string(t, "certs", "entry", index)
        folder = self.base / rel
        if not folder.is_dir():
            self.check.fail(f"{rel} is not a folder", "entry", "certs", index)
        out = []
        try:  # the folder's listing and its bytes are bounded as any folder of certificates is
            files, budget = folder_files(folder), FolderBudget(rel)
        except FormatError as exc:
            self.check.fail(exc.message, "entry", "certs", index, entry=rel)
        for path in files:
            shown = f"{rel.rstrip('/')}/{path.name}"
            try:
                data = read_cert_file(path, shown, budget)
            except FileProblem as exc:
                self.check.fail(f"{shown} is not a certificate ({exc})", "entry", "certs", index)
            except FormatError as exc:  # past the folder's budget
                self.check.fail(exc.message, "entry", "certs", index, entry=rel)
            try:
                ders = load_certificates(data, path=shown)
            except FormatError as exc:
                self.check.fail(f"{shown} is not a certificate ({exc.message})", "entry", "certs", index)
            out.extend((shown, d) for d in ders)
        if not out:
            self.check.fail(f"{rel} holds no certificates", "entry", "certs", index)
        return out

    def from_thumbprint_file(self, t, index, attrs) -> list[Entry]:
        rel = self.check.string(t, "thumbprints", "entry", index)
        path = self.base / rel
        size = IDENTIFIER_SIZES[self.algorithm]
        is_sha1 = self.algorithm == HashAlg.SHA1
        try:
            plain = _plain_file(path, size)
            lines = None if plain is not None else thumbprint_file_lines(path, rel)
        except FileProblem as exc:
            self.check.fail(str(exc), "entry", "thumbprints", index)
        if plain is not None:  # every entry alike but for its identifier: one template
            first = Entry(identifier=plain[0], sha1=plain[0] if is_sha1 else None, **attrs)
            return AlikeEntries(plain, first, sha1_is_identifier=is_sha1)
        out = []
        try:
            for ident, name in _thumbprint_lines(lines, size):
                fields = attrs if name is None else {**attrs, "friendly_name": name}
                out.append(Entry(identifier=ident, sha1=ident if is_sha1 else None, **fields))
        except LineError as exc:
            raise ListError(str(exc), path=path, line=exc.line) from None
        if not out:
            self.check.fail(f"{rel} holds no thumbprints (only blank lines and comments)", "entry",
                            "thumbprints", index)
        return out

    def attributes(self, t, table, index, entry_table) -> dict:
        """Entry attribute keys → Entry fields (identifiers and sources are handled apart)."""
        out = {}
        label = (entry_table or {}).get("friendly_name")
        for key, value in t.items():
            if key in SOURCE_KEYS:
                continue
            try:
                out[key] = self.values.convert(key, value)
            except (ValueError, TypeError) as exc:
                self.check.fail(str(exc), table, key, index, entry=label)
        return out


#: Files up to this size are first tried as plain hex, one thumbprint a line, in one pass
#: (a 1M-entry file is 41 MB); larger ones, and any other shape, are streamed line by line.
_PLAIN_FILE_BYTES = 64 << 20


def _plain_file(path, size: int) -> list[bytes] | None:
    """``_plain_thumbprints`` of the file when it is small enough to read at once."""
    try:
        if not path.is_file() or path.stat().st_size > _PLAIN_FILE_BYTES:
            return None  # a device or pipe (/dev/zero) is never read at once
        text = path.read_bytes().decode("utf-8-sig")  # Notepad writes a BOM
    except (OSError, UnicodeDecodeError):
        return None  # the streaming reader names the problem, with its line
    return _plain_thumbprints(text, size)


def _plain_thumbprints(text: str, size: int) -> list[bytes] | None:
    """The identifiers of a file that is nothing but one plain-hex thumbprint a line ending
    in "\\n" (what tools export; a 1M-entry list), read by one ``bytes.fromhex``; None for
    anything else — names, comments, blank lines, spaced pairs, CRLF, a duplicate — which
    ``_thumbprint_lines`` reads line by line, naming the line of any problem."""
    width = 2 * size
    body = text[:-1] if text.endswith("\n") else text
    count, rest = divmod(len(body) + 1, width + 1)
    if not body or rest or body[width::width + 1] != "\n" * (count - 1):
        return None  # not lines of exactly ``width`` characters
    try:
        blob = bytes.fromhex(body)
    except ValueError:
        return None
    if len(blob) != count * size:  # a space or tab stood in for a digit
        return None
    idents = [blob[i:i + size] for i in range(0, len(blob), size)]
    return idents if len(set(idents)) == count else None


def _thumbprint_lines(lines, size):
    """(identifier, friendly name or None) per non-comment line. A line is a thumbprint
    (plain hex, spaced pairs or colons), then optionally a name (after a tab, or a space),
    then optionally a ``#`` comment."""
    seen: dict[bytes, int] = {}
    width = 2 * size
    for number, line in enumerate(lines, 1):
        text = line.strip().lstrip("\u200e\u200f\ufeff")  # marks Windows' dialogs copy along
        if not text or text.startswith("#"):
            continue
        if " #" in text or "\t#" in text:
            text = re.split(r"\s#", text, maxsplit=1)[0].rstrip()
        if "\t" in text:  # a tab ends the thumbprint, whatever its spelling
            head, _, rest = text.partition("\t")
            try:
                ident, name = parse_hex(head.strip(), size), rest.strip() or None
            except ValueError as exc:
                raise LineError(str(exc), number) from None
        else:
            head, _, rest = text.partition(" ")
            if len(head) == width:
                try:
                    ident = bytes.fromhex(head)
                except ValueError:
                    raise LineError(f"{head!r} is not a hexadecimal thumbprint", number) from None
                name = rest.strip() or None
            else:
                ident, name = _split_spaced(text, size, number)
        if ident in seen:
            raise LineError(f"duplicate thumbprint {ident.hex()} (first on line {seen[ident]})", number)
        seen[ident] = number
        yield ident, name


def _split_spaced(text, size, number):
    """Spaced or colon-separated pairs, then an optional name. A name that could be read
    as one more pair, or pairs whose letters change case, make the line ambiguous — a
    wrong thumbprint would distrust the wrong certificate — so they are refused."""
    tokens = text.replace(":", " ").split()
    pairs = []
    for token in tokens:
        if len(pairs) == size or not re.fullmatch(r"[0-9A-Fa-f]{2}", token):
            break
        pairs.append(token)
    rest = tokens[len(pairs):]
    if len(pairs) != size:
        raise LineError(f"expected a {size}-byte thumbprint at the start of the line, found {text[:60]!r}", number)
    letters = "".join(pairs).translate(str.maketrans("", "", "0123456789"))
    if rest and re.fullmatch(r"[0-9A-Fa-f]{2}", rest[0]) or letters not in (letters.lower(), letters.upper()):
        raise LineError(f"ambiguous thumbprint {text[:60]!r}: pairs of mixed case or more than {size}; "
                         "write it as plain hex, or put the name after a tab", number)
    return bytes.fromhex("".join(pairs)), " ".join(rest) or None
