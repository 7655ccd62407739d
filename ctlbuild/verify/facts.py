"""Facts a verification report states about certificates and algorithms, read off asn1crypto.

>>> from ctlbuild.verify.facts import rfc4514
>>> from asn1crypto import x509
>>> rfc4514(x509.Name.build({"common_name": "Evil, CA\\n", "country_name": "NL"}))
'CN=Evil\\\\, CA\\\\0A,C=NL'

Every reader of a hostile file may see these: nothing here raises for an odd certificate
(a field that cannot be read is None), and the RFC 4514 strings escape control, C1 and
bidi characters as hex pairs (RFC 4514 §2.4 allows any character so), so a name can
neither forge a line nor reorder one, wherever the string is printed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from asn1crypto import core
from asn1crypto import x509 as ax509

from ..formats.certificates import UNDECODABLE_NAME
from ..formats.names import RFC4514_NAMES
from .pool import name_of

_SPECIAL = set('"+,;<>\\')
#: What a terminal or a line-oriented reader would obey: C0, DEL, C1, line separators, bidi controls.
_UNSAFE = {*range(32), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
           *range(0xD800, 0xE000)}


def rfc4514(name: ax509.Name) -> str | None:
    """The name as RFC 4514 writes it (last RDN first), every special and unsafe character
    escaped; a value that is not a string, or does not decode, as ``#`` and its DER in hex
    (lossless either way). None when the name is not an RDNSequence at all."""
    try:
        rdns = list(name.chosen)
    except (ValueError, TypeError, AttributeError):
        return None
    return ",".join("+".join(_ava(ava) for ava in rdn) for rdn in reversed(rdns))


def _ava(ava) -> str:
    oid = ava["type"].dotted
    value = ava["value"]
    try:
        text = value.native
        if isinstance(value, core.Choice):
            value = value.chosen
        if isinstance(value, core.AbstractString) and isinstance(text, str):
            return f"{RFC4514_NAMES.get(oid, oid)}={_escape(text)}"
    except (ValueError, TypeError, UnicodeDecodeError):
        pass
    return f"{RFC4514_NAMES.get(oid, oid)}=#{value.dump().hex()}"


def _escape(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        if ord(ch) in _UNSAFE:
            out.append("".join(f"\\{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        elif ch in _SPECIAL or (ch == "#" and i == 0) or (ch == " " and i in (0, len(text) - 1)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class AlgorithmId:
    oid: str
    #: asn1crypto's name for it ("sha256", "sha256_rsa", "rsassa_pss"), or the OID when unknown.
    name: str


class CertFacts:
    """One certificate as a report states it, each fact read when first asked for (the text
    output asks for none of them). ``subject`` and ``issuer`` are RFC 4514 strings (None
    when the name does not decode); ``name`` the CN as people know it."""

    def __init__(self, der: bytes, cert: ax509.Certificate | None = None):
        self.der = der
        self._cert = cert

    def __eq__(self, other) -> bool:
        return isinstance(other, CertFacts) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"CertFacts({self.name!r}, sha256={self.sha256.hex()})"

    @cached_property
    def _tbs(self):
        # asn1crypto parses lazily: a field of a hostile certificate can fail on first use,
        # which is why every reader of _tbs goes through _safe.
        if self._cert is None:
            self._cert = ax509.Certificate.load(self.der)
        return self._cert["tbs_certificate"]

    def _parsed(self) -> ax509.Certificate:
        self._tbs  # noqa: B018 - loads self._cert
        return self._cert

    @cached_property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @cached_property
    def sha1(self) -> bytes:
        return hashlib.sha1(self.der).digest()

    @cached_property
    def subject(self) -> str | None:
        return _safe(lambda: rfc4514(self._tbs["subject"]))

    @cached_property
    def issuer(self) -> str | None:
        return _safe(lambda: rfc4514(self._tbs["issuer"]))

    @cached_property
    def name(self) -> str:
        return _safe(lambda: name_of(self._tbs["subject"])) or UNDECODABLE_NAME

    @cached_property
    def serial(self) -> str:
        """The serialNumber INTEGER's content octets, hex (a leading 00 and negative serials as encoded)."""
        return _safe(lambda: self._tbs["serial_number"].contents.hex()) or ""

    @cached_property
    def not_before(self) -> datetime | None:
        return _safe(lambda: _time(self._tbs["validity"]["not_before"].native))

    @cached_property
    def not_after(self) -> datetime | None:
        return _safe(lambda: _time(self._tbs["validity"]["not_after"].native))

    @cached_property
    def _key_facts(self) -> tuple[str, int | None, str | None]:
        return _safe(lambda: _key(self._parsed())) or ("unknown", None, None)

    @property
    def key_algorithm(self) -> str:
        return self._key_facts[0]

    @property
    def key_size(self) -> int | None:
        return self._key_facts[1]

    @property
    def curve(self) -> str | None:
        return self._key_facts[2]

    @cached_property
    def ekus(self) -> tuple[str, ...] | None:
        """EKU OIDs; None when the certificate has no EKU extension (any usage)."""
        return _safe(lambda: _ekus(self._parsed()))


def _key(cert) -> tuple[str, int | None, str | None]:
    try:
        spki = cert.public_key
        algorithm = spki.algorithm
    except (ValueError, TypeError, KeyError):
        return "unknown", None, None
    size = _safe(lambda: spki.bit_size)
    curve = _safe(lambda: spki.curve[1] if spki["algorithm"]["parameters"].name == "named"
                  else "explicit") if algorithm == "ec" else None
    return algorithm, size, curve


def _ekus(cert) -> tuple[str, ...] | None:
    value = cert.extended_key_usage_value
    return None if value is None else tuple(oid.dotted for oid in value)


def _time(value) -> datetime | None:
    # asn1crypto gives an extended_datetime for year 0, which no ISO 8601 writer here takes.
    return value if isinstance(value, datetime) else None


def _safe(read):
    try:
        return read()
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None


def algorithm_id(algorithm) -> AlgorithmId:
    """A DigestAlgorithm or SignedDigestAlgorithm as OID and asn1crypto's name for it."""
    oid = algorithm["algorithm"].dotted
    name = _safe(lambda: algorithm["algorithm"].native)
    return AlgorithmId(oid, name if isinstance(name, str) else oid)
