"""Trust list model → a declarative list (TOML) a person can read, edit and rebuild.

>>> from ctlbuild.lists.writer import write_list
>>> text, warnings = write_list(trust_list, cert_paths={})    # doctest: +SKIP
>>> load_list(path, text).trust_list == trust_list             # what import promises  # doctest: +SKIP

Every attribute becomes its list-format field; what ctlbuild does not model (an
unknown attribute or CTL extension, a value whose bytes a field would not
reproduce) is kept verbatim as base64 with its OID, and named in a warning.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import fields
from datetime import datetime, timezone

from ..ctl import attributes
from ..errors import OutputError
from ..model import DEFAULT_USAGES, IDENTIFIER_FIELDS, Entry, TrustList, derive_sequence
from ..oids import USAGE_NAMES, HashAlg, eku_name
from ..timeutil import Filetime, iso

#: What TOML forbids raw in a basic string or a comment that JSON leaves raw: DEL.
_TOML_EXTRA_ESCAPES = {0x7F: "\\u007f"}
_SURROGATE = re.compile("[\ud800-\udfff]")


#: Text that needs no escape at all (most of a list: hex, OID names, file names, names).
_PLAIN = re.compile('[^"\\\\\x00-\x1f\x7f\ud800-\udfff]*')


def toml_string(text: str) -> str:
    """A TOML basic string that reads back as ``text``, whatever it holds: JSON's
    escapes (quote, backslash, U+0000–U+001F) are a subset of TOML's, plus DEL."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    if _SURROGATE.search(text):
        # A lone surrogate (an undecodable file name) has no TOML spelling at all.
        raise OutputError(f"{text.encode('utf-8', 'backslashreplace').decode()[:80]!r} is not Unicode "
                          "text; a list cannot hold it")
    return json.dumps(text, ensure_ascii=False).translate(_TOML_EXTRA_ESCAPES)


def toml_comment(text: str) -> str:
    """``text`` inside a ``#`` comment: quoted and escaped like a string, so that no
    newline or control character in it (a file name is anyone's) ends the comment."""
    return toml_string(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _array(items) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def _when(when: datetime) -> str:
    when = when.astimezone(timezone.utc)
    if when.hour == when.minute == when.second == when.microsecond == 0:
        return when.date().isoformat()
    return iso(when)


def write_list(tl: TrustList, cert_paths: dict[bytes, str] | None = None,
               source: str | None = None) -> tuple[str, list[str]]:
    """The TOML text and the warnings (one per kind of thing kept verbatim).
    ``cert_paths`` maps an entry identifier to the certificate file written for it."""
    cert_paths = cert_paths or {}
    warnings: list[str] = []
    out = []
    if source:
        out.append(f"# Imported by ctlbuild from {toml_comment(source)}.")
    out += _header(tl, warnings)
    for entry in tl.entries:
        out.append("")
        out += _entry(entry, tl.subject_algorithm, cert_paths.get(entry.identifier), warnings)
    return "\n".join(out) + "\n", sorted(set(warnings))


def _header(tl: TrustList, warnings: list[str]) -> list[str]:
    lines = [f"name = {toml_string(tl.name)}", f"kind = {toml_string(tl.kind)}"]
    lines += _identifier(tl.identifier)
    lines.append(f"this_update = {iso(tl.this_update)}")
    if tl.sequence != derive_sequence(tl.kind, tl.this_update):
        lines.append(f"sequence = {tl.sequence}")
    if tl.next_update is not None:
        lines.append(f"next_update = {iso(tl.next_update)}")
    if tuple(tl.usages) != DEFAULT_USAGES[tl.kind]:
        lines.append(f"usages = {_array(USAGE_NAMES.get(u, u) for u in tl.usages)}")
    if tl.subject_algorithm != HashAlg.SHA1:
        lines.append(f"subject_algorithm = {toml_string(IDENTIFIER_FIELDS[tl.subject_algorithm])}")
    # Imported entries state each hash attribute they carry; nothing is added on rebuild.
    lines.append("cert_properties = false")
    if not 1980 <= tl.this_update.year <= 2107:
        lines.append('outputs = ["stl", "sst"]  # a cabinet\'s DOS date cannot hold this_update')
    if tl.advisory:
        lines += ["", "[advisory]"] + _table(tl.advisory)
        for revision in tl.advisory.revisions:
            lines += ["", "[[advisory.revisions]]"] + _table(revision)
    if tl.opus:
        lines += ["", "[opus]"] + _table(tl.opus)
    for ext in tl.extensions:
        warnings.append(f"CTL extension {ext.oid} kept verbatim (base64)")
        lines += ["", "[[extensions]]", f"oid = {toml_string(ext.oid)}",
                  f"value_base64 = {toml_string(base64.b64encode(ext.value).decode())}"]
        if ext.critical:
            lines.append("critical = true")
    return lines


def _table(item) -> list[str]:
    """The fields of a slotted dataclass (Advisory, Opus) as TOML key/value lines."""
    lines = []
    for f in fields(item):
        value = getattr(item, f.name)
        if f.name == "revisions":
            continue  # tables of their own, after this one
        if f.name == "l10n":
            if value:
                langs = {}
                for lang, name, text in value:
                    langs.setdefault(lang, []).append(f"{name} = {toml_string(text)}")
                inner = ", ".join(f"{toml_string(lang)} = {{ {', '.join(items)} }}" for lang, items in langs.items())
                lines.append(f"l10n = {{ {inner} }}")
        elif value is not None:
            lines.append(f"{f.name} = {toml_string(value)}")
    return lines


def _identifier(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    text = attributes.text_or_none(raw)
    if text is not None:
        return [f"identifier = {toml_string(text)}"]
    return [f"identifier_hex = {toml_string(raw.hex())}"]


def _entry(e: Entry, algorithm: str, cert_path: str | None, warnings: list[str]) -> list[str]:
    lines = ["[[entry]]"]
    if cert_path:
        lines.append(f"cert = {toml_string(cert_path)}")
    lines.append(f"{IDENTIFIER_FIELDS[algorithm]} = {toml_string(e.identifier.hex())}")
    if e.sha1 and algorithm != HashAlg.SHA1 and not cert_path:
        lines.append(f"sha1 = {toml_string(e.sha1.hex())}")
    if e.friendly_name is not None:
        lines.append(f"friendly_name = {toml_string(e.friendly_name)}")
    for name in ("sha256", "key_id", "subject_name_md5"):
        value = getattr(e, name)
        if value is not None and not (name == "sha256" and algorithm == HashAlg.SHA256):
            lines.append(f"{name} = {toml_string(value.hex())}")
    for name in ("ekus", "disallowed_ekus", "not_before_ekus", "chain_policies"):
        value = getattr(e, name)
        if value is not None:
            lines.append(f"{name} = {_array(eku_name(o) for o in value)}")
    if e.ev_policies is not None:
        lines.append(f"ev_policies = {_array(e.ev_policies)}")
    raw = list(e.raw_attributes)
    for name in ("disabled_since", "not_before"):
        value: Filetime | None = getattr(e, name)
        if value is None:
            continue
        if value.ticks is not None and (value.ticks % 10 or not value.representable):
            raw.append((attributes.BY_FIELD[name].oid, value.to_bytes()))  # finer than a microsecond: keep bytes
        else:
            lines.append(f"{name} = {toml_string('') if value.ticks is None else _when(value.datetime)}")
    for attr in ("issuer", "note"):
        value = getattr(e, attr)
        if value and not cert_path:
            lines.append(f"{attr} = {toml_string(value)}")
    if e.updates:
        lines.append(f"updates = {_array(e.updates)}")
    if raw:
        for oid, _value in raw:
            warnings.append(f"entry attribute {oid} kept verbatim (base64)")
        items = ", ".join(f"{{ oid = {toml_string(o)}, value_base64 = "
                          f"{toml_string(base64.b64encode(v).decode())} }}" for o, v in raw)
        lines.append(f"raw_attributes = [{items}]")
    return lines
