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
from datetime import datetime

from asn1crypto import core
from asn1crypto import x509 as ax509

from .findings import AlgorithmId, CertInfo
from .pool import name_of

#: RFC 4514 §3: the attribute types written by name; all others by OID.
_SHORT = {"2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
          "2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
          "0.9.2342.19200300.100.1.1": "UID"}
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
            return f"{_SHORT.get(oid, oid)}={_escape(text)}"
    except (ValueError, TypeError, UnicodeDecodeError):
        pass
    return f"{_SHORT.get(oid, oid)}=#{value.dump().hex()}"


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


def cert_info(der: bytes, cert: ax509.Certificate | None = None) -> CertInfo:
    """The facts of one certificate (DER, with its asn1crypto parse when the caller has it)."""
    cert = cert if cert is not None else ax509.Certificate.load(der)
    tbs = cert["tbs_certificate"]
    algorithm, size, curve = _key(cert)
    return CertInfo(
        subject=_safe(lambda: rfc4514(tbs["subject"])), issuer=_safe(lambda: rfc4514(tbs["issuer"])),
        name=_safe(lambda: name_of(tbs["subject"])) or "(undecodable name)",
        serial=_safe(lambda: tbs["serial_number"].contents.hex()) or "",
        sha256=hashlib.sha256(der).digest(), sha1=hashlib.sha1(der).digest(),
        not_before=_safe(lambda: _time(tbs["validity"]["not_before"].native)),
        not_after=_safe(lambda: _time(tbs["validity"]["not_after"].native)),
        key_algorithm=algorithm, key_size=size, curve=curve, ekus=_safe(lambda: _ekus(cert)))


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
