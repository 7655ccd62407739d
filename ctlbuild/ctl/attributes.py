"""Every certificate property a CTL entry or a store can carry, declared once (FORMATS.md §3, §5).

>>> from ctlbuild.ctl.attributes import BY_FIELD, BY_ID, read_typed
>>> ekus = BY_FIELD["ekus"]
>>> ekus.prop_id, ekus.oid, ekus.kind, ekus.shared
(9, '1.3.6.1.4.1.311.10.11.9', 'set', True)
>>> BY_ID[11].codec.encode("DigiNotar Root CA")[:4]
b'D\\x00i\\x00'
>>> read_typed(11, "A\\0".encode("utf-16-le"))
'A'

A CTL entry attribute is ``1.3.6.1.4.1.311.10.11.<id>`` with one OCTET STRING value,
and the value's bytes are exactly what Windows stores as CERT_<id>_PROP_ID in a
serialized store, so one table serves both. Its columns:

* ``prop_id`` and ``name`` — the number, and the name lists, reports and JSON use;
* ``codec`` — how the value's bytes read and write (text, OID list, policies, FILETIME,
  hash or key bytes); a reading counts only when writing it back gives the same bytes;
* ``field`` — the ``model.Entry`` field it fills (None for store-only properties);
* ``kind`` — how a diff compares it: ``set`` (order is not a change), ``date``, ``value``;
* ``shared`` — whether entries tend to share the value ([defaults] put one EKU list or
  date on every entry), so encoders and decoders remember readings of it;
* ``sst_order`` — where ``build`` writes it among a certificate's properties in a .sst.

This is asn1crypto's ``_oid_specs`` idea: the encoder (``ctl.encode``), the decoder
(``ctl.decode``), stores (``formats.sst``), lists (``lists.reader``/``lists.writer``),
import, diff and show all read this table; none of them spells a property id.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

from ..oids import ROOT_PROGRAM_FLAGS
from ..timeutil import Filetime
from . import der

PREFIX = "1.3.6.1.4.1.311.10.11."
#: Ids 0x20–0x22 are reserved for the contexts themselves (wincrypt's CERT_CERT_PROP_ID,
#: CERT_CRL_PROP_ID, CERT_CTL_PROP_ID): in a store they are the certificate, CRL and CTL elements.
CONTEXT_IDS = {"cert": 0x20, "crl": 0x21, "ctl": 0x22}
MAX_ID = 0xFFFF


# -- codecs: value bytes <-> readings -----------------------------------------------------------

def encode_text(text: str) -> bytes:
    """Text as Windows stores it (names, list identifiers): UTF-16LE with one NUL terminator."""
    return (text + "\0").encode("utf-16-le")


def decode_text(raw: bytes) -> str:
    """The inverse of ``encode_text``; ValueError for bytes without the terminator."""
    if len(raw) < 2 or raw[-2:] != b"\0\0" or len(raw) % 2:
        raise ValueError("text without its UTF-16 NUL terminator")
    return raw[:-2].decode("utf-16-le")


def text_or_none(raw: bytes | None) -> str | None:
    """The text ``raw`` holds when it is exactly ``encode_text`` of some text, else None."""
    if raw is None:
        return None
    try:
        text = decode_text(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return text if "\0" not in text else None


def display_text(raw: bytes) -> str:
    """Text for people even when the bytes are not quite Windows' form: undecodable UTF-16
    replaced, one trailing NUL dropped."""
    text = raw.decode("utf-16-le", errors="replace")
    return text[:-1] if text.endswith("\0") else text


def encode_oids(oids: Iterable[str]) -> bytes:
    """ExtKeyUsageSyntax: SEQUENCE OF OBJECT IDENTIFIER (also the chain-policy lists)."""
    return _encode_oid_tuple(tuple(oids))


@lru_cache(maxsize=1024)  # a list's entries share a few EKU sets
def _encode_oid_tuple(oids: tuple[str, ...]) -> bytes:
    return der.seq(*(der.oid(o) for o in oids))


def decode_oids(value: bytes) -> tuple[str, ...]:
    s, e = der.expect(value, 0, der.SEQUENCE)
    if e != len(value):
        raise ValueError("bytes after the OID list")
    return tuple(der.oids_in(value, s, e))


#: The qualifier every root-program policy carries in Microsoft's files (FORMATS.md §3):
#: CERT_ROOT_PROGRAM_FLAG_ORG | _LSC as a BIT STRING.
_ROOT_PROGRAM_QUALIFIER = der.seq(der.oid(ROOT_PROGRAM_FLAGS), b"\x03\x02\x00\xc0")


def encode_policies(oids: Iterable[str]) -> bytes:
    """CertificatePolicies as ROOT_PROGRAM_CERT_POLICIES values carry them."""
    return der.seq(*(der.seq(der.oid(o), der.seq(_ROOT_PROGRAM_QUALIFIER)) for o in oids))


def decode_policies(value: bytes) -> tuple[str, ...]:
    s, e = der.expect(value, 0, der.SEQUENCE)
    out = []
    for _tag, ps, pe, _pos in der.children(value, s, e):
        o_s, o_e = der.expect(value, ps, der.OID, pe)
        out.append(der.decode_oid(bytes(value[o_s:o_e])))
    return tuple(out)


@dataclass(frozen=True)
class Codec:
    """How a property value's bytes are read (``decode``) and written (``encode``)."""

    name: str
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


TEXT = Codec("text", encode_text, decode_text)
OIDS = Codec("oids", encode_oids, decode_oids)
POLICIES = Codec("policies", encode_policies, decode_policies)
FILETIME = Codec("filetime", Filetime.to_bytes, Filetime.from_bytes)
#: Hashes and key identifiers: the bytes are the value.
BYTES = Codec("bytes", bytes, bytes)


# -- the table ----------------------------------------------------------------------------------

SET, DATE, VALUE = "set", "date", "value"


@dataclass(frozen=True)
class Property:
    prop_id: int
    name: str
    codec: Codec | None = None
    field: str | None = None
    kind: str = VALUE
    shared: bool = False
    sst_order: int | None = None

    @property
    def oid(self) -> str:
        """The CTL attribute type that carries it."""
        return PREFIX + str(self.prop_id)


PROPERTIES = (
    # Entry attributes: each fills an Entry field of the same name.
    Property(9, "ekus", OIDS, "ekus", SET, shared=True, sst_order=0),
    Property(11, "friendly_name", TEXT, "friendly_name", VALUE, sst_order=1),
    Property(20, "key_id", BYTES, "key_id", VALUE, sst_order=8),
    Property(29, "subject_name_md5", BYTES, "subject_name_md5", VALUE, sst_order=9),
    Property(83, "ev_policies", POLICIES, "ev_policies", SET, shared=True, sst_order=2),
    Property(98, "sha256", BYTES, "sha256", VALUE, sst_order=10),
    Property(104, "disabled_since", FILETIME, "disabled_since", DATE, shared=True, sst_order=3),
    Property(105, "chain_policies", OIDS, "chain_policies", SET, shared=True, sst_order=7),
    Property(122, "disallowed_ekus", OIDS, "disallowed_ekus", SET, shared=True, sst_order=4),
    Property(126, "not_before", FILETIME, "not_before", DATE, shared=True, sst_order=5),
    Property(127, "not_before_ekus", OIDS, "not_before_ekus", SET, shared=True, sst_order=6),
    # Store properties a CTL entry never carries (wincrypt.h), named for ``show``.
    Property(2, "key_prov_info"),
    Property(3, "sha1", BYTES),
    Property(4, "md5", BYTES),
    Property(6, "key_spec"),
    Property(13, "description", TEXT),
    Property(15, "signature_hash", BYTES),
    Property(25, "public_key_md5", BYTES),
    Property(28, "issuer_serial_md5", BYTES),
    Property(107, "cert_sha256", BYTES),
    Property(128, "disallowed_ca_since", FILETIME),
    Property(129, "sha1_sha256", BYTES),
)

BY_ID = {p.prop_id: p for p in PROPERTIES}
BY_NAME = {p.name: p for p in PROPERTIES}
#: The entry attributes, by Entry field, in the order reports list them.
BY_FIELD = {p.field: p for p in PROPERTIES if p.field is not None}
ENTRY_ATTRIBUTES = tuple(BY_FIELD.values())
SHARED = tuple(p for p in ENTRY_ATTRIBUTES if p.shared)
UNIQUE = tuple(p for p in ENTRY_ATTRIBUTES if not p.shared)
#: The order ``build`` writes a certificate's properties in a .sst, after its SHA-1
#: (Windows' own files are not consistent: 3,9,11,83 / 3,11,105 / 11,9,3 …, FORMATS.md §5).
SST_ORDER = tuple(sorted((p for p in ENTRY_ATTRIBUTES if p.sst_order is not None), key=lambda p: p.sst_order))
#: The SHA-1 of the certificate, which every store entry carries first.
SHA1 = BY_NAME["sha1"]
FRIENDLY_NAME = BY_NAME["friendly_name"]
DESCRIPTION = BY_NAME["description"]
#: Attribute fields compared as sets, as dates and as values (diff), in report order.
SET_FIELDS = ("ekus", "disallowed_ekus", "not_before_ekus", "ev_policies", "chain_policies")
DATE_FIELDS = tuple(p.field for p in ENTRY_ATTRIBUTES if p.kind == DATE)
VALUE_FIELDS = ("friendly_name", "sha256", "key_id", "subject_name_md5")
assert set(SET_FIELDS) == {p.field for p in ENTRY_ATTRIBUTES if p.kind == SET}
assert set(VALUE_FIELDS) == {p.field for p in ENTRY_ATTRIBUTES if p.kind == VALUE}


def name_of(prop_id: int) -> str:
    """The property's name, or ``prop_<id>`` for one this table does not know."""
    found = BY_ID.get(prop_id)
    return found.name if found else f"prop_{prop_id}"


def prop_id_of(oid: str) -> int | None:
    """The property id a CTL attribute type names, when it names one a store can hold."""
    if not oid.startswith(PREFIX):
        return None
    tail = oid[len(PREFIX):]
    if not tail.isdigit():
        return None
    prop_id = int(tail)
    return prop_id if 1 <= prop_id <= MAX_ID and prop_id not in CONTEXT_IDS.values() else None


def read_typed(prop_id: int, value: bytes):
    """The reading of a property value, or None when the table has no codec for it or the
    reading would not write back to exactly ``value`` (so the bytes must be kept as they are)."""
    prop = BY_ID.get(prop_id)
    if prop is None or prop.codec is None:
        return None
    try:
        typed = prop.codec.decode(value)
    except (ValueError, UnicodeDecodeError, IndexError):  # der.DerError is a ValueError
        return None
    return typed if prop.codec.encode(typed) == value else None
