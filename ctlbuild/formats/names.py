"""X.501 Names read from their DER, without loading a certificate library.

``attributes`` is the one walk of a Name's RDNs. Two readings are built on it, each the
reading its callers had from a library before and keep byte for byte:

* ``common_name``: a signer's name as show, diff and history print it: the CN, else the
  RFC 4514 string, with values decoded and refused as cryptography decodes and refuses
  them (``formats.certificates.common_name`` of cryptography's parse; tests hold the two
  equal over every real certificate in the fixtures), so naming a signer does not import
  cryptography (60 ms of ``show --header-only``).
* ``formats.certificates.CertInfo``'s display names, which read the values asn1crypto
  decodes with a plain codec and leave every other value to asn1crypto.
"""

from __future__ import annotations

from ..ctl import der
from ..ctl.der import DerError

#: One attribute of an RDN: its type's OID (content octets), its value's tag and content
#: octets, and the whole AttributeTypeAndValue as encoded (what a SET's DER order compares).
Attribute = tuple[bytes, int, bytes, bytes]


def attributes(name: bytes) -> list[list[Attribute]]:
    """The RDNs of a DER Name, in order. DerError unless it is a SEQUENCE OF SET OF
    SEQUENCE holding exactly an OBJECT IDENTIFIER and one value."""
    s, e = der.expect(name, 0, der.SEQUENCE)
    rdns = []
    for tag, rs, re_, at in der.children(name, s, e):
        if tag != der.SET:
            raise DerError("RelativeDistinguishedName is not a SET", at)
        rdn = []
        for tag, vs, ve, at in der.children(name, rs, re_):
            if tag != der.SEQUENCE:
                raise DerError("AttributeTypeAndValue is not a SEQUENCE", at)
            os_, oe = der.expect(name, vs, der.OID, ve)
            vtag, cs, ce = der.read_tlv(name, oe, ve)
            if ce != ve:
                raise DerError("AttributeTypeAndValue holds more than a type and a value", oe)
            rdn.append((bytes(name[os_:oe]), vtag, bytes(name[cs:ce]), bytes(name[at:ve])))
        rdns.append(rdn)
    return rdns


#: What X.680 lets a PrintableString hold; cryptography refuses a certificate with another byte in one.
_PRINTABLE = frozenset(b" '()+,-./0123456789:=?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: The string types (and BIT/OCTET STRING, times) cryptography takes as a name attribute's value.
_NAME_VALUE_TAGS = frozenset({0x03, 0x04, 0x0C, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1A, 0x1C, 0x1E})
#: RFC 4514 §3's short names (as cryptography's ``Name.rfc4514_string`` uses them): the
#: attribute types written by name; all others by OID.
RFC4514_NAMES = {"2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
                 "2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
                 "0.9.2342.19200300.100.1.1": "UID"}
_COMMON_NAME = bytes.fromhex("550403")  # 2.5.4.3, content octets
_UNIQUE_IDENTIFIER = bytes.fromhex("55042d")  # 2.5.4.45, x500UniqueIdentifier: a BIT STRING


def common_name(name: bytes) -> str:
    """The CN, as people name CAs; the whole name (RFC 4514) when there is none: what
    ``formats.certificates.common_name`` gives of cryptography's parse of the same Name.
    ValueError (DerError) for a Name cryptography refuses: a value of a type it does not
    take as a name's, or not what its type says."""
    rdns = [_rdn(rdn) for rdn in attributes(name)]
    for rdn in rdns:
        for oid, value in rdn:
            if oid == _COMMON_NAME:
                return str(value)
    return ",".join("+".join(f"{_rfc4514_type(oid)}={_escape_dn(value)}" for oid, value in rdn)
                    for rdn in reversed(rdns))


def _rdn(rdn: list[Attribute]) -> list[tuple[bytes, str | bytes]]:
    """One RDN's (OID, value) pairs, refused (ValueError) where cryptography refuses it: an
    empty SET, one attribute twice, a multi-valued SET out of DER order, a non-minimal OID."""
    if not rdn:
        raise ValueError("an empty RelativeDistinguishedName")
    if len(rdn) > 1:
        raws = [raw for *_, raw in rdn]
        if raws != sorted(raws):
            raise ValueError("RelativeDistinguishedName not in DER SET order")
        if len(set(raws)) != len(raws):
            raise ValueError("an attribute twice in one RelativeDistinguishedName")
    out = []
    for oid, tag, value, _raw in rdn:
        if not oid or oid[0] == 0x80 or any(b == 0x80 and oid[i - 1] < 0x80 for i, b in enumerate(oid) if i):
            raise ValueError("an attribute type OID not minimally encoded")
        if tag == 0x03 and oid != _UNIQUE_IDENTIFIER:  # cryptography takes bytes only there
            raise ValueError("a BIT STRING value of an attribute other than x500UniqueIdentifier")
        out.append((oid, _name_value(tag, value)))
    return out


def _rfc4514_type(oid: bytes) -> str:
    dotted = der.decode_oid(oid)
    return RFC4514_NAMES.get(dotted, dotted)


def _name_value(tag: int, content: bytes) -> str | bytes:
    """A value as cryptography decodes it: BMPString UTF-16, UniversalString UTF-32, BIT
    STRING bytes, any other UTF-8; ValueError for what it refuses."""
    if tag not in _NAME_VALUE_TAGS:
        raise ValueError("name attribute value is not a string")
    if tag == 0x03:
        return content
    if tag == 0x1E:
        return content.decode("utf_16_be")
    if tag == 0x1C:
        return content.decode("utf_32_be")
    if tag == 0x13 and not _PRINTABLE.issuperset(content):
        raise ValueError("PrintableString holds a character it may not")
    return content.decode("utf-8")


def _escape_dn(value: str | bytes) -> str:
    """RFC 4514 §2.4 escaping, character for character as cryptography's ``_escape_dn_value``."""
    if not value:
        return ""
    if isinstance(value, bytes):
        return "#" + value.hex()
    for char in '\\"+,;<>':
        value = value.replace(char, "\\" + char)
    value = value.replace("\0", "\\00")
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value
