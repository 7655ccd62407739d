"""X.501 Names from their DER (formats.names): read as cryptography reads them, refused
where it refuses them; the walk refuses what is not a Name. Every real certificate's
signer name is held to cryptography's in tests/formats/test_stl_signers.py."""

import pytest

from ctlbuild.ctl.der import DerError
from ctlbuild.formats.names import attributes


def _name_der(attributes, multi=()):
    from cryptography import x509 as cx509

    rdns = [cx509.RelativeDistinguishedName([a]) for a in attributes]
    if multi:
        rdns.append(cx509.RelativeDistinguishedName(multi))
    return cx509.Name(rdns)


def test_a_name_without_a_cn_is_cryptographys_rfc4514_string():
    from cryptography.x509 import NameAttribute, ObjectIdentifier
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import NameOID

    from ctlbuild.formats.certificates import common_name
    from ctlbuild.formats.names import common_name as from_der
    names = [
        _name_der([NameAttribute(NameOID.COUNTRY_NAME, "US"),
                   NameAttribute(NameOID.ORGANIZATION_NAME, ' #Acme, "Ltd" +;<>\\ '),
                   NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Ünïcode BMP", _ASN1Type.BMPString)],
                  multi=[NameAttribute(NameOID.LOCALITY_NAME, "x"), NameAttribute(NameOID.DOMAIN_COMPONENT, "y")]),
        _name_der([NameAttribute(ObjectIdentifier("1.2.3.4"), "#odd"), NameAttribute(NameOID.USER_ID, " ")]),
        _name_der([NameAttribute(NameOID.STREET_ADDRESS, "a\0b", _ASN1Type.UTF8String),
                   NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\x01", _ASN1Type.BitString)]),
        _name_der([NameAttribute(NameOID.ORGANIZATION_NAME, "O"), NameAttribute(NameOID.COMMON_NAME, "The CN")]),
    ]
    for name in names:
        assert from_der(name.public_bytes()) == common_name(name)


def test_a_name_value_cryptography_refuses_is_refused():
    from ctlbuild.formats.names import common_name
    for bad in (b"\x13\x02a*", b"\x0c\x01\xff", b"\x1e\x01a", b"\x02\x01\x01"):  # '*', UTF-8, odd BMP, INTEGER
        atv = b"\x30" + bytes([5 + len(bad)]) + b"\x06\x03\x55\x04\x03" + bad
        name = b"\x30" + bytes([2 + len(atv)]) + b"\x31" + bytes([len(atv)]) + atv
        with pytest.raises(ValueError):
            common_name(name)


@pytest.mark.parametrize("name", [
    b"\x31\x00",  # a SET, not a SEQUENCE
    b"\x30\x02\x30\x00",  # an RDN that is not a SET
    b"\x30\x04\x31\x02\x31\x00",  # an attribute that is not a SEQUENCE
    b"\x30\x0c\x31\x0a\x30\x08\x06\x01\x55\x0c\x01\x61\x05\x00",  # more than a type and a value
    b"\x30\x07\x31\x05\x30\x03\x0c\x01\x61",  # no type
])
def test_the_walk_refuses_what_is_not_a_name(name):
    with pytest.raises(DerError):
        attributes(name)


def test_the_walk_gives_each_attribute_raw():
    name = b"\x30\x12\x31\x10\x30\x06\x06\x01\x55\x0c\x01\x61\x30\x06\x06\x01\x56\x13\x01\x62"
    assert attributes(name) == [[(b"\x55", 0x0C, b"a", name[4:12]), (b"\x56", 0x13, b"b", name[12:])]]


def _one_rdn(*atvs: bytes) -> bytes:
    from ctlbuild.ctl import der
    return der.seq(der.set_of(list(atvs)) if atvs else der.tlv(0x31, b""))


@pytest.mark.parametrize("name, why", [
    (_one_rdn(), "empty"),
    (b"\x30\x12\x31\x10" + b"\x30\x06\x06\x01\x55\x0c\x01\x61" * 2, "twice"),
    (_one_rdn(b"\x30\x0a\x06\x03\x55\x04\x03\x03\x03\x00\x61\x62"), "BIT STRING"),  # a CN as a BIT STRING
    (_one_rdn(b"\x30\x0a\x06\x04\x55\x80\x04\x03\x0c\x02\x61\x62"), "minimally"),  # 2.5.4.3 as 55 80 04 03
])
def test_names_cryptography_refuses_are_refused(name, why):
    from ctlbuild.formats.names import common_name
    with pytest.raises(ValueError, match=why):
        common_name(name)


def test_a_unique_identifier_is_a_bit_string_in_hex():
    from ctlbuild.formats.names import common_name
    uid = b"\x30\x09\x06\x03\x55\x04\x2d\x03\x02\x00\x61"
    assert common_name(_one_rdn(uid)) == "2.5.4.45=#0061"
