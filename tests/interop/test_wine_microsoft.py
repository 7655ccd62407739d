"""Wine's crypt32 reads Microsoft's own CTLs the way an independent asn1crypto parse does.

These tests check the harness itself (ctlclient.c + wine.py) against the real
Microsoft files before it is pointed at ctlbuild's output.

Findings on Wine 8.0 (Debian 12), which the tests pin down:

* CMSG_CTRL_VERIFY_SIGNATURE never compares the messageDigest signed attribute
  with the content: with signed attributes present it only checks the RSA
  signature over DER(signedAttrs).  So a CTL whose content was changed after
  signing still gives "verify ok" (test_wine_ignores_message_digest).  Wine's
  own content hash (CMSG_COMPUTED_HASH_PARAM) is taken over the CTL's full TLV
  ("30 len ..."), while Microsoft's messageDigest covers only the content
  octets (PKCS#7 v1.5 rule for non-data content) -- were Wine to compare them,
  it would reject every genuine Microsoft CTL.  The messageDigest has to be
  checked independently, as test_signature_verifies does.
* Wine's CTL decoder treats TrustedSubject.subjectAttributes as mandatory, so
  disallowedcert.stl (entries without attributes) fails CertCreateCTLContext
  with 0x80093103 CRYPT_E_ASN1_CORRUPT; real Windows reads it.  Its signature
  still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import cms, core, parser, x509

from tests import peers
from tests.interop import wine

FIXTURES = [
    "authroot-2018-05-18.stl",
    "authroot-2018-06-19.stl",
    "disallowedcert-2012-05-30.stl",
]
SZOID_CTL = "1.3.6.1.4.1.311.10.1"
NO_ATTRS_WINE_BUG = "disallowedcert-2012-05-30.stl"


# ---------------------------------------------------------------- independent parse
# A local spec of CertificateTrustList (FORMATS.md §2); the CTL is carried as
# [0] EXPLICIT ANY, so we cut it out of eContent ourselves.

class _OctetStrings(core.SetOf):
    _child_spec = core.OctetString


class _Attribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", _OctetStrings)]


class _Attributes(core.SetOf):
    _child_spec = _Attribute


class _TrustedSubject(core.Sequence):
    _fields = [
        ("subject_identifier", core.OctetString),
        ("subject_attributes", _Attributes, {"optional": True}),
    ]


class _TrustedSubjects(core.SequenceOf):
    _child_spec = _TrustedSubject


class _Oids(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


class _AlgorithmIdentifier(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _CertificateTrustList(core.Sequence):
    _fields = [
        ("version", core.Integer, {"default": 0}),
        ("subject_usage", _Oids),
        ("list_identifier", core.OctetString, {"optional": True}),
        ("sequence_number", core.Integer, {"optional": True}),
        ("this_update", x509.Time),
        ("next_update", x509.Time, {"optional": True}),
        ("subject_algorithm", _AlgorithmIdentifier),
        ("trusted_subjects", _TrustedSubjects, {"optional": True}),
        ("ctl_extensions", x509.Extensions, {"explicit": 0, "optional": True}),
    ]


class Parsed:
    def __init__(self, data: bytes):
        self.data = data
        self.signed_data = cms.ContentInfo.load(data)["content"]
        eci = self.signed_data["encap_content_info"]
        assert eci["content_type"].dotted == SZOID_CTL
        cls, _, tag, _, inner, _ = parser.parse(eci["content"].dump())  # [0] EXPLICIT
        assert (cls, tag) == (2, 0)
        _, _, _, header, contents, _ = parser.parse(inner)
        self.ctl_tlv = header + contents
        self.ctl_contents = contents
        self.ctl = _CertificateTrustList.load(self.ctl_tlv)
        self.signer = self.signed_data["signer_infos"][0]
        self.hash_name = self.signer["digest_algorithm"]["algorithm"].native  # sha1 / sha256

    def subjects(self) -> list[str]:
        ts = self.ctl["trusted_subjects"]
        return [] if ts.native is None else [t["subject_identifier"].native.hex() for t in ts]

    def entry_attrs(self) -> list[list[tuple[str, list[str]]]]:
        """Per entry: (oid, [DER of each value]) -- crypt32 hands values out as DER."""
        out = []
        for t in self.ctl["trusted_subjects"]:
            attrs = t["subject_attributes"]
            out.append([] if attrs.native is None else
                       [(a["type"].dotted, [v.dump().hex() for v in a["values"]]) for a in attrs])
        return out

    def signer_cert_sha1(self) -> str:
        sid = self.signer["sid"].chosen
        for choice in self.signed_data["certificates"]:
            cert = choice.chosen
            if (cert.issuer == sid["issuer"]
                    and cert.serial_number == sid["serial_number"].native):
                return hashlib.sha1(cert.dump()).hexdigest()
        raise AssertionError("signer certificate not in the message")

    def signed_message_digest(self) -> str:
        for attr in self.signer["signed_attrs"]:
            if attr["type"].native == "message_digest":
                return attr["values"][0].native.hex()
        raise AssertionError("no messageDigest attribute")


def filetime(t: dt.datetime) -> int:
    delta = t - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**7 + delta.microseconds * 10


def fixture_path(name: str):
    peers.require_fixtures()
    path = peers.MICROSOFT / name
    if not path.is_file():
        pytest.skip(f"fixture {path} not found")
    return path


def run(exe, path) -> dict:
    """run_ctl, but keep the signature result when only the CTL decode failed."""
    try:
        return wine.run_ctl(exe, path)
    except wine.CtlDecodeError as exc:
        return exc.result


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("name", FIXTURES)
def test_ctl_matches_asn1crypto(wine_client, name):
    path = fixture_path(name)
    ref = Parsed(path.read_bytes())
    try:
        got = wine.run_ctl(wine_client, path)
    except wine.CtlDecodeError as exc:
        if name == NO_ATTRS_WINE_BUG and exc.code == wine.CRYPT_E_ASN1_CORRUPT:
            pytest.xfail("Wine's CTL decoder requires subjectAttributes (OPTIONAL in the "
                         "ASN.1; Windows accepts their absence)")
        raise
    ctl = ref.ctl

    assert got["entries"] == len(ref.subjects())
    assert got["subjects"] == ref.subjects()
    assert got["version"] == ctl["version"].native
    # DER INTEGER content octets == crypt32's little-endian blob, printed reversed.
    assert got["sequence"] == ctl["sequence_number"].contents.hex()
    listid = ctl["list_identifier"].native
    assert got["listid"] == (listid.hex() if listid is not None else None)
    assert got["usages"] == [o.dotted for o in ctl["subject_usage"]]
    assert got["algorithm"] == ctl["subject_algorithm"]["algorithm"].dotted
    params = ctl["subject_algorithm"]["parameters"]
    assert got["algparams"] == (params.dump().hex() or None)  # absent: core.Void, b""
    assert got["thisupdate"] == filetime(ctl["this_update"].native)
    assert got["nextupdate"] == (0 if ctl["next_update"].native is None
                                 else filetime(ctl["next_update"].native))
    exts = ctl["ctl_extensions"]
    assert len(got["extensions"]) == (0 if exts.native is None else len(exts))
    assert [e["attrs"] for e in got["entry_list"]] == ref.entry_attrs()
    assert got["innertype"] == SZOID_CTL


@pytest.mark.parametrize("name", FIXTURES)
def test_signature_verifies(wine_client, name):
    path = fixture_path(name)
    ref = Parsed(path.read_bytes())
    got = run(wine_client, path)

    assert got["verify"] is True, f"verify failed: 0x{got['verify_error']:08x}"
    assert got["signers"] == 1
    assert got["signercert"] == ref.signer_cert_sha1()
    # What Wine does NOT check, checked here: messageDigest = H(CTL content octets).
    assert got["messagedigest"] == ref.signed_message_digest()
    assert got["messagedigest"] == hashlib.new(ref.hash_name, ref.ctl_contents).hexdigest()
    # Wine's own content hash covers the full CTL TLV, header included.
    assert got["computeddigest"] == hashlib.new(ref.hash_name, ref.ctl_tlv).hexdigest()


@pytest.mark.parametrize("name", FIXTURES)
def test_flipped_signature_byte_fails(wine_client, name, tmp_path):
    path = fixture_path(name)
    data = bytearray(path.read_bytes())
    sig = Parsed(bytes(data)).signer["signature"].native
    # The last bytes of the file may be a nested signature in the unsigned
    # attributes: find the outer SignerInfo's own signature value.
    assert data.count(sig) == 1
    off = data.find(sig) + len(sig) - 1
    data[off] ^= 0x01
    bad = tmp_path / name
    bad.write_bytes(bytes(data))

    got = run(wine_client, bad)
    assert got["verify"] is False
    assert got["verify_error"] != 0


def test_wine_ignores_message_digest(wine_client, tmp_path):
    """Characterisation of Wine: a CTL changed after signing still "verifies".

    If this starts failing, Wine began comparing messageDigest: then turn it into
    a negative test (expect verify False, like real Windows).
    """
    path = fixture_path("authroot-2018-05-18.stl")
    data = bytearray(path.read_bytes())
    ref = Parsed(bytes(data))
    first = bytes.fromhex(ref.subjects()[0])
    start = data.find(ref.ctl_tlv)
    off = data.find(first, start, start + len(ref.ctl_tlv))
    assert off > 0
    data[off] ^= 0x01
    tampered = tmp_path / "tampered.stl"
    tampered.write_bytes(bytes(data))
    tref = Parsed(bytes(data))

    got = wine.run_ctl(wine_client, tampered)
    assert got["subjects"][0] != first.hex()
    assert got["subjects"][0] == tref.subjects()[0]
    # The signed messageDigest no longer matches the content ...
    assert got["messagedigest"] != hashlib.new(tref.hash_name, tref.ctl_contents).hexdigest()
    # ... yet Wine accepts the signature.
    assert got["verify"] is True
