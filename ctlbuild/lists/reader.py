"""Declarative lists (TOML) → validated trust list model, every mistake located.

>>> from ctlbuild.lists.reader import load_list
>>> loaded = load_list("examples/diginotar-1.toml")     # doctest: +SKIP
>>> loaded.trust_list.name, len(loaded.trust_list.entries)  # doctest: +SKIP

Reading is split from checking: the TOML reader (rtoml, ~6x faster than
tomllib on 100k-entry files) gives plain values; this module checks them and
only on a mistake looks back into the text for the line to name.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

from .._gc import paused as gc_paused
from ..errors import FormatError, ListError
from ..formats.certificates import CertInfo, load_certificates
from ..model import (
    IDENTIFIER_SIZES,
    KINDS,
    SUBJECT_ALGORITHMS,
    Advisory,
    Entry,
    Extension,
    Opus,
    TrustList,
)
from ..oids import USAGE_NAMES, HashAlg, eku_oid, is_oid
from ..thumbprint import parse_hex
from ..timeutil import Filetime, parse_duration
from .bounded import FileProblem, LineError, parse_toml, read_cert_file, read_list_file, thumbprint_file_lines

LIST_KEYS = {"name", "kind", "identifier", "identifier_hex", "sequence", "this_update", "next_update",
             "validity", "usages", "subject_algorithm", "cert_properties", "signer", "advisory", "opus",
             "defaults", "entry", "extensions", "outputs", "previous", "sst_include_ctl"}
SIGNER_KEYS = {"key", "cert", "chain", "digest", "scheme"}
ADVISORY_KEYS = {"title", "number", "date", "url", "revision_note", "l10n"}
OPUS_KEYS = {"program_name", "url"}
EXTENSION_KEYS = {"oid", "critical", "value_base64"}
#: Entry keys that carry attributes (and so may appear in [defaults]).
ATTRIBUTE_KEYS = {"friendly_name", "issuer", "ekus", "disallowed_ekus", "disabled_since", "not_before",
                  "not_before_ekus", "ev_policies", "chain_policies", "updates", "note", "raw_attributes",
                  "l10n"}
SOURCE_KEYS = {"cert", "certs", "sha1", "sha256", "disallowed_hash", "thumbprints", "key_id",
               "subject_name_md5"}
ENTRY_KEYS = ATTRIBUTE_KEYS | SOURCE_KEYS
_IDENTIFIER_KEYS = {"sha1", "sha256", "disallowed_hash"}
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
class LoadedList:
    trust_list: TrustList
    path: Path
    sha256: str
    signer: SignerSpec | None = None
    outputs: tuple[str, ...] = OUTPUTS
    previous: tuple[Path, ...] = ()
    #: Put the signed CTL into the .sst as well.
    sst_include_ctl: bool = False


def load_list(path, text: str | None = None) -> LoadedList:
    path = Path(path)
    if text is None:
        raw = read_list_file(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ListError(f"not UTF-8 (byte {exc.start})", path=path) from None
    else:
        raw = text.encode()
    with gc_paused():  # one dict and one Entry per entry, none of them cyclic
        data = parse_toml(text, path)
        return _ListReader(path, text, data).read(hashlib.sha256(raw).hexdigest())


class _Locator:
    """Line numbers for keys and [[entry]] tables, looked up only when reporting a mistake."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")

    def __init__(self, text: str):
        self._text = text
        self._lines = None
        self._headers = None

    @property
    def lines(self) -> list[str]:
        # Split only when a mistake is reported: a valid 100k-entry list never needs it.
        if self._lines is None:
            self._lines = self._text.splitlines()
        return self._lines

    def headers(self):
        if self._headers is None:
            self._headers = [(i + 1, m.group(1), line.lstrip().startswith("[["))
                             for i, line in enumerate(self.lines) if (m := self._HEADER.match(line))]
        return self._headers

    def table_line(self, table: str | None, index: int = 0) -> int | None:
        if table is None:
            return 1
        found = [ln for ln, name, _arr in self.headers() if name == table]
        return found[index] if index < len(found) else None

    def key_line(self, table: str | None, key: str, index: int = 0) -> int | None:
        start = self.table_line(table, index) if table else 0
        if start is None:
            return None
        following = [ln for ln, *_ in self.headers() if ln > (start or 0)]
        end = following[0] if following else len(self.lines) + 1
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start or 1, end):
            if pattern.match(self.lines[n - 1]):
                return n
        return start if table else None


class _ListReader:
    def __init__(self, path: Path, text: str, data: dict):
        self.path, self.data = path, data
        self.base = path.parent
        self.where = _Locator(text)

    # -- errors ---------------------------------------------------------------------------
    def fail(self, message, table=None, key=None, index=0, entry=None):
        line = self.where.key_line(table, key, index) if key else self.where.table_line(table, index)
        if table == "entry" and entry is None:
            entry = f"#{index + 1}"
        label = f"{table}.{key}" if table and key and table != "entry" else key
        raise ListError(message, path=self.path, line=line, key=label, entry=entry)

    def check_keys(self, table: dict, allowed: set, name: str | None, index: int = 0):
        unknown = set(table) - allowed
        if unknown:
            key = sorted(unknown)[0]
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(f"unknown key{hint}", name, key, index)

    # -- the list -------------------------------------------------------------------------
    def read(self, digest: str) -> LoadedList:
        d = self.data
        self.check_keys(d, LIST_KEYS, None)
        for required in ("name", "kind", "this_update"):
            if required not in d:
                self.fail(f"missing required key {required!r}", None)
        kind = self.choice(d, "kind", KINDS)
        name = self.string(d, "name")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            self.fail("name must be letters, digits, '.', '_' or '-' (it names the output files)", None, "name")
        algorithm = SUBJECT_ALGORITHMS[self.choice(d, "subject_algorithm", tuple(SUBJECT_ALGORITHMS), "sha1")]
        this_update = self.when(d, "this_update")
        if this_update.year < 1601:
            self.fail("is before 1601, where FILETIME (and so the sequence number) begins", None, "this_update")
        next_update = self.next_update(d, this_update)
        self.kind, self.algorithm = kind, algorithm
        self.cert_properties = self.boolean(d, "cert_properties", kind == "trusted")
        entries = self.entries(d.get("entry", []), self.defaults(d.get("defaults", {})))
        if not entries:
            self.fail("the list has no entries (add [[entry]] tables)", None)
        try:
            tl = TrustList(
                name=name, kind=kind, this_update=this_update, next_update=next_update,
                entries=tuple(entries), identifier=self.list_identifier(d),
                sequence=self.integer(d, "sequence") if "sequence" in d else None,
                usages=self.usages(d), subject_algorithm=algorithm, extensions=self.extensions(d),
                advisory=self.advisory(d.get("advisory")), opus=self.opus(d.get("opus")))
        except ValueError as exc:
            self.fail(str(exc), None)
        return LoadedList(tl, self.path, digest, self.signer(d.get("signer")),
                          outputs=self.outputs(d, this_update),
                          previous=tuple(self.base / p for p in self.string_list(d, "previous", None) or ()),
                          sst_include_ctl=self.boolean(d, "sst_include_ctl", False))

    # -- scalar readers (all name the key on failure) ---------------------------------------
    def string(self, t, key, table=None, index=0, default=None):
        value = t.get(key, default)
        if value is not None and not isinstance(value, str):
            self.fail(f"must be a string, not {_type(value)}", table, key, index)
        return value

    def boolean(self, t, key, default, table=None):
        value = t.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"must be true or false, not {_type(value)}", table, key)
        return value

    def integer(self, t, key, table=None):
        value = t[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail("must be a non-negative integer", table, key)
        return value

    def choice(self, t, key, choices, default=None):
        value = t.get(key, default)
        if value not in choices:
            self.fail(f"must be one of {', '.join(choices)}, not {value!r}", None, key)
        return value

    def string_list(self, t, key, table, index=0):
        value = t.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("must be a list of strings", table, key, index)
        return value

    def when(self, t, key, table=None, index=0) -> datetime:
        try:
            return to_datetime(t[key])
        except ValueError as exc:
            self.fail(str(exc), table, key, index)

    def next_update(self, d, this_update):
        if "next_update" in d and "validity" in d:
            self.fail("give next_update or validity, not both", None, "validity")
        if "validity" in d:
            try:
                return this_update + parse_duration(self.string(d, "validity"))
            except ValueError as exc:
                self.fail(str(exc), None, "validity")
            except OverflowError:
                self.fail("runs past the year 9999", None, "validity")
        if "next_update" not in d:
            return None
        value = self.when(d, "next_update")
        if value <= this_update:
            self.fail("must be after this_update", None, "next_update")
        return value

    def outputs(self, d, this_update) -> tuple[str, ...]:
        names = self.string_list(d, "outputs", None)
        if names is not None and (not names or any(n not in OUTPUTS for n in names)):
            self.fail(f"must list some of {', '.join(OUTPUTS)}", None, "outputs")
        chosen = OUTPUTS if names is None else tuple(n for n in OUTPUTS if n in names)
        if "cab" in chosen and not 1980 <= this_update.year <= 2107:
            self.fail("a cabinet's DOS date holds the years 1980 to 2107; set outputs without \"cab\"",
                      None, "this_update")
        return chosen

    def list_identifier(self, d) -> bytes | None:
        if "identifier" in d and "identifier_hex" in d:
            self.fail("give identifier or identifier_hex, not both", None, "identifier_hex")
        if "identifier_hex" in d:
            try:
                return parse_hex(self.string(d, "identifier_hex"), what="identifier_hex")
            except ValueError as exc:
                self.fail(str(exc), None, "identifier_hex")
        text = self.string(d, "identifier")
        # Windows writes ListIdentifier as UTF-16LE with its NUL (disallowedcert.stl does).
        return None if text is None else (text + "\0").encode("utf-16-le")

    def usages(self, d):
        names = self.string_list(d, "usages", None)
        if names is None:
            return None
        out = []
        for name in names:
            oid = _USAGE_BY_NAME.get(name, name)
            if not is_oid(oid):
                self.fail(f"usage {name!r} is neither a known name ({', '.join(_USAGE_BY_NAME)}) nor an OID",
                          None, "usages")
            out.append(oid)
        return tuple(out)

    def extensions(self, d):
        out = []
        extensions = d.get("extensions", [])
        if not isinstance(extensions, list) or not all(isinstance(x, dict) for x in extensions):
            self.fail("must be an array of tables ([[extensions]])", None, "extensions")
        for i, ext in enumerate(extensions):
            self.check_keys(ext, EXTENSION_KEYS, "extensions", i)
            oid = self.string(ext, "oid", "extensions", i)
            if not oid or not is_oid(oid):
                self.fail("needs an oid", "extensions", "oid", i)
            try:
                value = base64.b64decode(self.string(ext, "value_base64", "extensions", i) or "", validate=True)
            except ValueError:
                self.fail("value_base64 is not base64", "extensions", "value_base64", i)
            out.append(Extension(oid, value, self.boolean(ext, "critical", False, "extensions")))
        return tuple(out)

    def table(self, t, name: str):
        if t is not None and not isinstance(t, dict):
            self.fail(f"must be a table ([{name}]), not {_type(t)}", None, name)
        return t

    def advisory(self, t):
        if self.table(t, "advisory") is None:
            return None
        self.check_keys(t, ADVISORY_KEYS, "advisory")
        when = t.get("date")
        try:
            l10n = _l10n(t.get("l10n", {}), {"title", "revision_note"})
        except ValueError as exc:
            self.fail(str(exc), "advisory", "l10n")
        return Advisory(title=self.string(t, "title", "advisory"), number=_str(t.get("number")),
                        date=when.isoformat() if isinstance(when, (date, datetime)) else _str(when),
                        url=self.string(t, "url", "advisory"),
                        revision_note=self.string(t, "revision_note", "advisory"), l10n=l10n)

    def opus(self, t):
        if self.table(t, "opus") is None:
            return None
        self.check_keys(t, OPUS_KEYS, "opus")
        return Opus(self.string(t, "program_name", "opus"), self.string(t, "url", "opus"))

    def signer(self, t):
        if self.table(t, "signer") is None:
            return None
        self.check_keys(t, SIGNER_KEYS, "signer")
        key = self.string(t, "key", "signer")
        if not key:
            self.fail("needs key (a file path or a pkcs11: URI)", "signer")
        cert = self.string(t, "cert", "signer")
        chain = self.string_list(t, "chain", "signer") or []
        digest = self.string(t, "digest", "signer", default="sha256")
        if digest not in ("sha1", "sha256", "sha384", "sha512"):
            self.fail("must be sha256, sha384, sha512 or sha1", "signer", "digest")
        scheme = self.string(t, "scheme", "signer")
        if scheme not in (None, "pkcs1v15", "pss", "ecdsa"):
            self.fail("must be pkcs1v15, pss or ecdsa", "signer", "scheme")
        resolved = key if key.startswith("pkcs11:") else str(self.base / key)
        return SignerSpec(resolved, self.base / cert if cert else None,
                          tuple(self.base / c for c in chain), digest, scheme)

    # -- entries ----------------------------------------------------------------------------
    def defaults(self, t) -> dict:
        self.table(t, "defaults")
        self.check_keys(t, ATTRIBUTE_KEYS, "defaults")
        return self.attributes(t, "defaults", 0, None)

    def entries(self, tables, defaults) -> list[Entry]:
        if not isinstance(tables, list):
            self.fail("must be an array of tables ([[entry]])", None, "entry")
        out: list[Entry] = []
        seen: dict[bytes, int] = {}
        for index, table in enumerate(tables):
            if not isinstance(table, dict):
                self.fail("must be an array of tables ([[entry]])", None, "entry")
            for entry in self.entry(table, index, defaults):
                first = seen.get(entry.identifier)
                if first is not None:
                    self.fail(f"duplicate entry {entry.identifier.hex()} (first in entry "
                              f"#{first + 1}, line {self.where.table_line('entry', first)})",
                              "entry", index=index, entry=entry.label)
                seen[entry.identifier] = index
                out.append(entry)
        return out

    def entry(self, t, index, defaults):
        unknown = set(t) - ENTRY_KEYS
        if unknown:
            self.check_keys(t, ENTRY_KEYS, "entry", index)
        sources = [k for k in ("cert", "certs", "thumbprints") if k in t]
        if len(sources) > 1:
            self.fail(f"give one of cert, certs, thumbprints, not {' and '.join(sources)}", "entry", sources[1], index)
        many = next((k for k in ("certs", "thumbprints") if k in t), None)
        stray = next((k for k in sorted(SOURCE_KEYS - {"cert", "certs", "thumbprints"}) if k in t), None)
        if many and stray:
            self.fail(f"{stray} names one certificate; it cannot go with {many}, which names many "
                      "(give it its own [[entry]])", "entry", stray, index)
        attrs = {**defaults, **self.attributes(t, "entry", index, t)}
        if "certs" in t:
            return [self.from_cert(t, index, attrs, der, p) for p, der in self.cert_dir(t, index)]
        if "thumbprints" in t:
            return self.from_thumbprint_file(t, index, attrs)
        if "cert" in t:
            return [self.from_cert(t, index, attrs, *reversed(self.cert_file(t, index)))]
        return [self.from_hashes(t, index, attrs)]

    def identifier_field(self) -> str:
        return {HashAlg.SHA1: "sha1", HashAlg.SHA256: "sha256", HashAlg.DISALLOWED_HASH: "disallowed_hash"}[self.algorithm]

    def hex_field(self, t, key, index, size, label=None):
        value = t.get(key)
        if value is None:
            return None
        try:
            return parse_hex(value, size, what="thumbprint" if key in _IDENTIFIER_KEYS else "value")
        except ValueError as exc:
            self.fail(str(exc), "entry", key, index, entry=label)

    def from_hashes(self, t, index, attrs) -> Entry:
        """An entry for a certificate the operator does not hold: its identifier alone."""
        field_name = self.identifier_field()
        size = IDENTIFIER_SIZES[self.algorithm]
        identifier = self.hex_field(t, field_name, index, size, attrs.get("friendly_name"))
        if identifier is None:
            self.fail(f"needs cert, certs, thumbprints or {field_name} (the list's subject_algorithm "
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
        try:
            info = CertInfo.from_der(der, path=where)
        except FormatError as exc:
            self.fail(exc.message, "entry", "cert" if "cert" in t else "certs", index, entry=str(where))
        label = attrs.get("friendly_name") or info.subject
        identifier = info.identifier(self.algorithm)
        for key, size in (("sha1", 20), ("sha256", 32), ("disallowed_hash", 16), ("key_id", None),
                          ("subject_name_md5", 16)):
            given = self.hex_field(t, key, index, size, label)
            if given is None:
                continue
            if key == "disallowed_hash":
                if not info.matches(given, HashAlg.DISALLOWED_HASH):
                    self.fail("does not match the certificate's public-key or to-be-signed MD5",
                              "entry", key, index, entry=label)
                if self.algorithm == HashAlg.DISALLOWED_HASH:
                    identifier = given
            elif given != getattr(info, key):
                self.fail(f"{given.hex()} does not match the certificate ({getattr(info, key).hex()})",
                          "entry", key, index, entry=label)
        # Hash attributes: all of them when the list asks for cert_properties, else just
        # those the entry states (an imported list states exactly what the source had).
        computed = {key: getattr(info, key) for key in ("sha256", "key_id", "subject_name_md5")
                    if self.cert_properties or key in t}
        attrs = {"issuer": info.issuer, **attrs}
        return Entry(identifier=identifier, cert=der, sha1=info.sha1, **computed, **attrs)

    def cert_file(self, t, index):
        rel = self.string(t, "cert", "entry", index)
        path = self.base / rel
        try:
            data = read_cert_file(path, rel)
        except FileProblem as exc:
            self.fail(str(exc), "entry", "cert", index)
        try:
            ders = load_certificates(data, path=rel)
        except FormatError as exc:
            self.fail(exc.message, "entry", "cert", index, entry=rel)
        if len(ders) != 1:
            self.fail(f"{rel} holds {len(ders)} certificates; use certs = \"folder/\" for several",
                      "entry", "cert", index)
        return rel, ders[0]

    def cert_dir(self, t, index):
        rel = self.string(t, "certs", "entry", index)
        folder = self.base / rel
        if not folder.is_dir():
            self.fail(f"{rel} is not a folder", "entry", "certs", index)
        out = []
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            shown = f"{rel.rstrip('/')}/{path.name}"
            try:
                ders = load_certificates(read_cert_file(path, shown), path=shown)
            except (FormatError, FileProblem) as exc:
                self.fail(f"{shown} is not a certificate ({getattr(exc, 'message', exc)})",
                          "entry", "certs", index)
            out.extend((shown, d) for d in ders)
        if not out:
            self.fail(f"{rel} holds no certificates", "entry", "certs", index)
        return out

    def from_thumbprint_file(self, t, index, attrs) -> list[Entry]:
        rel = self.string(t, "thumbprints", "entry", index)
        path = self.base / rel
        try:
            lines = thumbprint_file_lines(path, rel)
        except FileProblem as exc:
            self.fail(str(exc), "entry", "thumbprints", index)
        size = IDENTIFIER_SIZES[self.algorithm]
        is_sha1 = self.algorithm == HashAlg.SHA1
        out = []
        try:
            for ident, name in _thumbprint_lines(lines, size):
                fields = attrs if name is None else {**attrs, "friendly_name": name}
                out.append(Entry(identifier=ident, sha1=ident if is_sha1 else None, **fields))
        except (_LineError, LineError) as exc:
            raise ListError(str(exc), path=path, line=exc.line) from None
        return out

    def attributes(self, t, table, index, entry_table) -> dict:
        """Entry attribute keys → Entry fields (identifiers and sources are handled apart)."""
        out = {}
        label = (entry_table or {}).get("friendly_name")
        for key, value in t.items():
            if key in SOURCE_KEYS:
                continue
            try:
                out[key] = _CONVERT[key](value)
            except (ValueError, TypeError) as exc:
                self.fail(str(exc), table, key, index, entry=label)
        return out


class _LineError(ValueError):
    def __init__(self, message, line):
        super().__init__(message)
        self.line = line


def _thumbprint_lines(lines, size):
    """(identifier, friendly name or None) per non-comment line. A line is a thumbprint
    (plain hex, spaced pairs or colons), then optionally a name (after a tab, or a space),
    then optionally a ``#`` comment."""
    seen: dict[bytes, int] = {}
    width = 2 * size
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if " #" in text or "\t#" in text:
            text = re.split(r"\s#", text, maxsplit=1)[0].rstrip()
        if "\t" in text:  # a tab ends the thumbprint, whatever its spelling
            head, _, rest = text.partition("\t")
            try:
                ident, name = parse_hex(head.strip(), size), rest.strip() or None
            except ValueError as exc:
                raise _LineError(str(exc), number) from None
        else:
            head, _, rest = text.partition(" ")
            if len(head) == width:
                try:
                    ident = bytes.fromhex(head)
                except ValueError:
                    raise _LineError(f"{head!r} is not a hexadecimal thumbprint", number) from None
                name = rest.strip() or None
            else:
                ident, name = _split_spaced(text, size, number)
        if ident in seen:
            raise _LineError(f"duplicate thumbprint {ident.hex()} (first on line {seen[ident]})", number)
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
        raise _LineError(f"expected a {size}-byte thumbprint at the start of the line, found {text[:60]!r}", number)
    letters = "".join(pairs).translate(str.maketrans("", "", "0123456789"))
    if rest and re.fullmatch(r"[0-9A-Fa-f]{2}", rest[0]) or letters not in (letters.lower(), letters.upper()):
        raise _LineError(f"ambiguous thumbprint {text[:60]!r}: pairs of mixed case or more than {size}; "
                         "write it as plain hex, or put the name after a tab", number)
    return bytes.fromhex("".join(pairs)), " ".join(rest) or None


# -- value conversions (shared by entries and [defaults]) ---------------------------------

def to_datetime(value) -> datetime:
    """TOML date/datetime or ISO string → aware UTC datetime; local times are refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()} has no time zone (add Z for UTC)")
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), timezone.utc)
    raise ValueError(f"must be a date or date-time, not {_type(value)}")


_FILETIMES: dict = {}


def _filetime(value) -> Filetime:
    # "" keeps Microsoft's empty FILETIME ("no date"); anything else is a date.
    if value == "":
        return Filetime(None)
    if not isinstance(value, (str, date)):
        return Filetime.from_datetime(to_datetime(value))  # raises, naming the type
    if to_datetime(value).year < 1601:
        raise ValueError(f"{value} is before 1601, where FILETIME begins")
    # 100k [[entry]] tables tend to share a handful of dates: convert each once.
    found = _FILETIMES.get(value)
    if found is None:
        found = Filetime.from_datetime(to_datetime(value))
        if len(_FILETIMES) < 4096:
            _FILETIMES[value] = found
    return found


_OID_TUPLES: dict = {}


def _ekus(value) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of EKU names or OIDs")
    key = tuple(value)
    cached = _OID_TUPLES.get(key)
    if cached is None:
        cached = _OID_TUPLES[key] = tuple(eku_oid(v) if isinstance(v, str) else _bad(v) for v in value)
    return cached


def _policies(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and is_oid(v) for v in value):
        raise ValueError("must be a list of policy OIDs")
    return tuple(value)


def _bad(value):
    raise ValueError(f"{value!r} is not an EKU name or OID")


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {_type(value)}")
    return value


def _updates(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings (e.g. [\"KB2607712\"])")
    return tuple(value)


def _raw_attributes(value) -> tuple[tuple[str, bytes], ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of {oid = \"…\", value_base64 = \"…\"} tables")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"oid", "value_base64"} or not is_oid(str(item.get("oid"))):
            raise ValueError("each raw attribute needs oid and value_base64")
        try:
            out.append((item["oid"], base64.b64decode(item.get("value_base64", ""), validate=True)))
        except ValueError:
            raise ValueError(f"value_base64 of {item['oid']} is not base64") from None
    return tuple(out)


def _l10n(value, fields=frozenset({"friendly_name", "issuer", "note"})) -> tuple[tuple[str, str, str], ...]:
    """{ "zh-CN" = { friendly_name = "…", issuer = "…" } } → (language, field, text) triples."""
    if not isinstance(value, dict):
        raise ValueError('must be a table of languages, e.g. { "zh-CN" = { friendly_name = "…" } }')
    out = []
    for lang, texts in value.items():
        if not isinstance(texts, dict):
            raise ValueError(f"{lang}: must be a table of {', '.join(sorted(fields))}")
        for name, text in texts.items():
            if name not in fields:
                raise ValueError(f"{lang}.{name}: not translatable (only {', '.join(sorted(fields))})")
            out.append((lang, name, _text(text)))
    return tuple(out)


_CONVERT = {
    "friendly_name": _text, "issuer": _text, "note": _text, "updates": _updates,
    "ekus": _ekus, "disallowed_ekus": _ekus, "not_before_ekus": _ekus,
    "disabled_since": _filetime, "not_before": _filetime,
    "ev_policies": _policies, "chain_policies": _ekus, "raw_attributes": _raw_attributes, "l10n": _l10n,
}


def _type(value) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _str(value):
    return None if value is None else str(value)

