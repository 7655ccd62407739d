"""Trust list model → CertificateTrustList DER, byte for byte as Microsoft writes it.

>>> from ctlbuild.encode import encode_ctl, content_octets
>>> der = encode_ctl(trust_list)            # doctest: +SKIP
>>> content_octets(der)                     # what messageDigest covers   # doctest: +SKIP

Built from DER primitives (``ctlbuild.der``) rather than asn1crypto native values:
on 100k entries that is ~30x faster, and tests check both give the same bytes.
Repeated attribute values (list-level defaults) are encoded once and reused.
"""

from __future__ import annotations

from typing import Callable, Iterable

from . import der
from .der import OCTET_STRING, SEQUENCE, SET
from .model import Entry, Extension, TrustList
from .oids import ROOT_PROGRAM_FLAGS, Prop
from .timeutil import asn1_time

#: The qualifier every root-program policy carries in Microsoft's files (FORMATS.md §3):
#: CERT_ROOT_PROGRAM_FLAG_ORG | _LSC as a BIT STRING.
_ROOT_PROGRAM_QUALIFIER = der.seq(der.oid(ROOT_PROGRAM_FLAGS), b"\x03\x02\x00\xc0")


def eku_value(oids: Iterable[str]) -> bytes:
    """ExtKeyUsageSyntax: SEQUENCE OF OBJECT IDENTIFIER (also the policy-OID lists of 105)."""
    return der.seq(*(der.oid(o) for o in oids))


def policies_value(oids: Iterable[str]) -> bytes:
    """CertificatePolicies as ROOT_PROGRAM_CERT_POLICIES values carry them."""
    return der.seq(*(der.seq(der.oid(o), der.seq(_ROOT_PROGRAM_QUALIFIER)) for o in oids))


def friendly_name_value(name: str) -> bytes:
    # Windows stores the property with exactly one UTF-16 NUL terminator.
    return (name + "\0").encode("utf-16-le")


def attribute(prop_oid: str, value: bytes) -> bytes:
    return der.seq(der.oid(prop_oid), der.tlv(SET, der.tlv(OCTET_STRING, value)))


# (field, prop id, value encoder) in the order fields are looked at; the SET is sorted anyway.
_TYPED = (
    ("ekus", Prop.ENHKEY_USAGE, eku_value),
    ("friendly_name", Prop.FRIENDLY_NAME, friendly_name_value),
    ("key_id", Prop.KEY_IDENTIFIER, bytes),
    ("subject_name_md5", Prop.SUBJECT_NAME_MD5_HASH, bytes),
    ("ev_policies", Prop.ROOT_PROGRAM_CERT_POLICIES, policies_value),
    ("sha256", Prop.AUTH_ROOT_SHA256_HASH, bytes),
    ("disabled_since", Prop.DISALLOWED_FILETIME, lambda ft: ft.to_bytes()),
    ("chain_policies", Prop.ROOT_PROGRAM_CHAIN_POLICIES, eku_value),
    ("disallowed_ekus", Prop.DISALLOWED_ENHKEY_USAGE, eku_value),
    ("not_before", Prop.NOT_BEFORE_FILETIME, lambda ft: ft.to_bytes()),
    ("not_before_ekus", Prop.NOT_BEFORE_ENHKEY_USAGE, eku_value),
)
TYPED_PROPS = {prop: (name, encoder) for name, prop, encoder in _TYPED}


class _AttributeCache:
    """Encodes each distinct structured value (EKU lists, dates, policies) once: a
    1M-entry list with list-level defaults shares a handful of them. Names and
    hashes are unique per entry and not worth keeping."""

    def __init__(self):
        self._memo: dict = {}

    def get(self, prop: int, value, encoder: Callable) -> bytes:
        if isinstance(value, (bytes, str)):
            return attribute(Prop.oid(prop), encoder(value))
        key = (prop, value)
        encoded = self._memo.get(key)
        if encoded is None:
            encoded = self._memo[key] = attribute(Prop.oid(prop), encoder(value))
        return encoded


def entry_attributes(entry: Entry, cache: _AttributeCache | None = None) -> list[bytes]:
    """The DER of every attribute the entry carries, unsorted."""
    cache = cache or _AttributeCache()
    out = []
    for name, prop, encoder in _TYPED:
        value = getattr(entry, name)
        if value is not None:
            out.append(cache.get(prop, value, encoder))
    for oid, raw in entry.raw_attributes:
        out.append(attribute(oid, raw))
    return out


def encode_entry(entry: Entry, cache: _AttributeCache | None = None) -> bytes:
    ident = der.tlv(OCTET_STRING, entry.identifier)
    attrs = entry_attributes(entry, cache)
    if not attrs:
        return der.tlv(SEQUENCE, ident)
    attrs.sort()  # DER SET OF order
    return der.tlv(SEQUENCE, ident + der.tlv(SET, b"".join(attrs)))


def encode_extension(ext: Extension) -> bytes:
    critical = b"\x01\x01\xff" if ext.critical else b""
    return der.seq(der.oid(ext.oid), critical, der.tlv(OCTET_STRING, ext.value))


def encode_ctl(tl: TrustList, progress: Callable[[int], None] | None = None) -> bytes:
    """The CertificateTrustList DER (version v1 is the DEFAULT, so never encoded)."""
    parts = [der.seq(*(der.oid(u) for u in tl.usages))]
    if tl.identifier is not None:
        parts.append(der.tlv(OCTET_STRING, tl.identifier))
    parts.append(der.integer(tl.sequence))
    parts.append(asn1_time(tl.this_update))
    if tl.next_update is not None:
        parts.append(asn1_time(tl.next_update))
    parts.append(der.algorithm_id(tl.subject_algorithm))
    if tl.entries:
        parts.append(der.tlv(SEQUENCE, b"".join(_encode_entries(tl.entries, progress))))
    if tl.extensions:
        parts.append(der.tlv(0xA0, der.seq(*(encode_extension(e) for e in tl.extensions))))
    return der.tlv(SEQUENCE, b"".join(parts))


def _encode_entries(entries, progress):
    cache = _AttributeCache()
    step = 10_000
    for i, entry in enumerate(entries):
        if progress is not None and i % step == 0:
            progress(i)
        yield encode_entry(entry, cache)
    if progress is not None:
        progress(len(entries))


def content_octets(ctl_der: bytes) -> bytes:
    """The CTL without its SEQUENCE header: the span the outer messageDigest covers."""
    _tag, start, _end = der.read_tlv(ctl_der, 0)
    return ctl_der[start:]
