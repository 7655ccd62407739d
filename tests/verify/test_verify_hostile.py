"""Hostile CTLs: each must fail verify with a finding that names the cause.

The files are made by tests/hostile.py from our own signed output (and Microsoft's
fixtures in test_verify.py): one thing wrong at a time, everything else valid."""

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ctlbuild.ctl.decode import decode_ctl
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.model import Entry
from ctlbuild.oids import ContentType, Usage
from ctlbuild.verify.verifier import FAIL, verify_ctl
from tests import hostile as h

NOW = h.NOW


def failed(report) -> set[str]:
    return {f.check for f in report.findings if f.status == FAIL}


def message(report, check) -> str:
    return " | ".join(f.message for f in report.findings if f.check == check and f.status == FAIL)


class PKI:
    def __init__(self):
        self.root_key = h.rsa_key()
        self.root = h.make_cert("Hostile Test Root", h.name("Hostile Test Root"), self.root_key.public_key(),
                                self.root_key, ca=True, days=3650)
        self.key = h.rsa_key()
        self.signer = h.make_cert("CTL signer", self.root.subject, self.key.public_key(), self.root_key,
                                  serial=1000, ca=False, ekus=[Usage.CTL_SIGNING])
        self.ctl = encode_ctl(load_list("examples/diginotar-kb2616676.toml").trust_list)

    def sign(self, ctl=None, *, key=None, cert=None, certs=None, digest="sha256", **attr_options):
        ctl = ctl or self.ctl
        key, cert = key or self.key, cert or self.signer
        attrs = h.signed_attrs(h.content_octets(ctl), digest, **attr_options)
        info = h.signer_info(key, cert, attrs, digest)
        return h.assemble(ctl, [info], certs if certs is not None else [h.der(cert)], digests=(digest,))

    def verify(self, stl, **options):
        return verify_ctl(stl, [h.der(self.root)], NOW, **options)


@pytest.fixture(scope="module")
def pki():
    return PKI()


def test_baseline_verifies(pki):
    report = pki.verify(pki.sign())
    assert report.ok, [f.message for f in report.findings if f.status == FAIL]


# -- content changed after signing: the digest check -------------------------------------------

def _with_entries(ctl, mutate):
    tl = decode_ctl(ctl)
    return encode_ctl(replace(tl, entries=mutate(list(tl.entries))))


@pytest.mark.parametrize("mutate", [
    lambda es: [replace(es[0], identifier=bytes([es[0].identifier[0] ^ 1]) + es[0].identifier[1:])] + es[1:],
    lambda es: es + [Entry(identifier=b"\x11" * 20, friendly_name="appended")],
    lambda es: es[1:],
], ids=["one-byte", "entry-appended", "entry-removed"])
def test_content_changed_after_signing(pki, mutate):
    tampered = h.replace_ctl(pki.sign(), _with_entries(pki.ctl, mutate))
    report = pki.verify(tampered)
    assert failed(report) == {"digest"}
    assert "changed after signing" in message(report, "digest")


# -- signed attributes changed: the signature check -------------------------------------------

def test_message_digest_rewritten_to_match_new_content(pki):
    stl = pki.sign()
    new_ctl = _with_entries(pki.ctl, lambda es: es[1:])
    good_attrs = h.signed_attrs(h.content_octets(pki.ctl))
    forged = h.signed_attrs(h.content_octets(new_ctl))  # digest matches, signature is the old one
    old_sig = h.sign_bytes(pki.key, good_attrs.dump())
    info = h.signer_info(pki.key, pki.signer, forged, signature=old_sig)
    report = pki.verify(h.assemble(new_ctl, [info], [h.der(pki.signer)]))
    assert failed(report) == {"signature"}
    assert stl  # the honest file exists; only the forged attributes fail


@pytest.mark.parametrize("change", ["signing_time", "content_type"])
def test_signed_attribute_changed_after_signing(pki, change):
    honest = h.signed_attrs(h.content_octets(pki.ctl))
    sig = h.sign_bytes(pki.key, honest.dump())
    options = {"when": NOW + timedelta(hours=1)} if change == "signing_time" else {"content_type": ContentType.DATA}
    info = h.signer_info(pki.key, pki.signer, h.signed_attrs(h.content_octets(pki.ctl), **options), signature=sig)
    report = pki.verify(h.assemble(pki.ctl, [info], [h.der(pki.signer)]))
    assert "signature" in failed(report)
    if change == "content_type":
        assert "content-type" in failed(report)


# -- content type, signed attributes -----------------------------------------------------------

def test_content_type_attribute_not_ctl(pki):
    report = pki.verify(pki.sign(content_type=ContentType.DATA))
    assert failed(report) == {"content-type"}
    assert "not 1.3.6.1.4.1.311.10.1" in message(report, "content-type")


def test_content_type_attribute_missing(pki):
    report = pki.verify(pki.sign(drop=("content_type",)))
    assert failed(report) == {"content-type"}
    assert "0 contentType attributes" in message(report, "content-type")


def test_no_signed_attributes_is_refused(pki):
    content = h.content_octets(pki.ctl)
    info = h.signer_info(pki.key, pki.signer, None, content=content)  # a valid signature over raw content
    report = pki.verify(h.assemble(pki.ctl, [info], [h.der(pki.signer)]))
    assert failed(report) == {"signed-attributes"}


# -- who signed ---------------------------------------------------------------------------------

def test_signer_swapped_for_same_issuer_and_serial(pki):
    """An impostor with the real issuer's name and the real signer's serial, issued by a
    look-alike root: the signature verifies with the impostor's key, the chain does not."""
    fake_root_key = h.rsa_key()
    fake_root = h.make_cert("Hostile Test Root", pki.root.subject, fake_root_key.public_key(), fake_root_key,
                            ca=True)
    impostor_key = h.rsa_key()
    impostor = h.make_cert("CTL signer", pki.root.subject, impostor_key.public_key(), fake_root_key,
                           serial=pki.signer.serial_number, ca=False, ekus=[Usage.CTL_SIGNING])
    report = pki.verify(pki.sign(key=impostor_key, cert=impostor, certs=[h.der(impostor), h.der(fake_root)]))
    assert failed(report) == {"chain"}
    assert "no path to the anchor" in message(report, "chain")


def test_impostor_certificate_with_the_real_key_missing(pki):
    """The embedded certificate is swapped but the signature is the real signer's."""
    impostor_key = h.rsa_key()
    impostor = h.make_cert("CTL signer", pki.root.subject, impostor_key.public_key(), pki.root_key,
                           serial=pki.signer.serial_number, ca=False, ekus=[Usage.CTL_SIGNING])
    stl = pki.sign()
    info = h.signer_info(pki.key, pki.signer, h.signed_attrs(h.content_octets(pki.ctl)))
    report = pki.verify(h.assemble(pki.ctl, [info], [h.der(impostor)]))
    assert "signature" in failed(report)
    assert stl


def test_signer_without_ctl_signing_eku(pki):
    cert = h.make_cert("no EKU", pki.root.subject, pki.key.public_key(), pki.root_key, serial=5, ca=False,
                       ekus=["1.3.6.1.5.5.7.3.3"])
    report = pki.verify(pki.sign(cert=cert))
    assert failed(report) == {"signer-eku"}


def test_ca_without_basic_constraints_in_chain(pki):
    mid_key = h.rsa_key()
    mid = h.make_cert("Intermediate without BC", pki.root.subject, mid_key.public_key(), pki.root_key, serial=9)
    leaf = h.make_cert("CTL signer under it", mid.subject, pki.key.public_key(), mid_key, serial=10, ca=False,
                       ekus=[Usage.CTL_SIGNING])
    report = pki.verify(pki.sign(cert=leaf, certs=[h.der(leaf), h.der(mid)]))
    assert failed(report) == {"chain"}
    assert "not a CA" in message(report, "chain")


def test_ec_key_with_explicit_curve_parameters(pki):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cert_der = h.explicit_curve_cert(pki.root_key, pki.root.subject, ec_key)
    from cryptography import x509
    attrs = h.signed_attrs(h.content_octets(pki.ctl))
    info = h.signer_info(ec_key, x509.load_der_x509_certificate(cert_der), attrs)
    report = pki.verify(h.assemble(pki.ctl, [info], [cert_der]))
    # Left out of the pool before any signature is checked, and said why.
    assert failed(report) == {"signer"}
    assert "explicit curve parameters" in message(report, "signer")


@pytest.mark.parametrize("digest, allowed", [("sha1", False), ("sha1", True), ("md5", True)])
def test_weak_digests(pki, digest, allowed):
    report = pki.verify(pki.sign(digest=digest), allow_sha1=allowed)
    if digest == "sha1" and allowed:
        assert report.ok
        assert any(f.check == "algorithm" and "--allow-sha1" in f.message for f in report.findings)
    else:
        assert failed(report) == {"algorithm"}


def test_sha1_certificate_signature_in_chain(pki):
    cert = h.resign_cert(h.make_cert("SHA-1 signed signer", pki.root.subject, pki.key.public_key(), pki.root_key,
                                     serial=12, ca=False, ekus=[Usage.CTL_SIGNING]), pki.root_key, "sha1")
    report = pki.verify(pki.sign(cert=cert))
    assert failed(report) == {"algorithm"}
    assert "signature on SHA-1 signed signer" in message(report, "algorithm")


def test_two_signer_infos_only_one_verifies(pki):
    attrs = h.signed_attrs(h.content_octets(pki.ctl))
    good = h.signer_info(pki.key, pki.signer, attrs)
    bad = h.signer_info(pki.key, pki.signer, attrs, signature=b"\x00" * 256)
    report = pki.verify(h.assemble(pki.ctl, [good, bad], [h.der(pki.signer)]))
    assert not report.ok
    # SET OF order decides which is "signature 1"; one fails its signature, the other passes all.
    failing = {f.signature for f in report.findings if f.status == FAIL}
    assert len(failing) == 1 and failed(report) == {"signature"}


def test_ten_thousand_junk_certificates(pki):
    """Junk certificates (the signer's bytes with another serial) do not confuse the
    lookup; the cost is one dict insert each (the bench row measures the time)."""
    signer = h.der(pki.signer)
    serial_at = signer.index(b"\x02\x02\x03\xe8")  # INTEGER 1000, the signer's serial
    junk = [signer[:serial_at + 2] + i.to_bytes(2, "big") + signer[serial_at + 4:] for i in range(1001, 11001)]
    report = pki.verify(pki.sign(certs=[*junk, signer]))
    assert report.ok


# -- time ---------------------------------------------------------------------------------------

def test_next_update_in_the_past(pki):
    tl = replace(decode_ctl(pki.ctl), next_update=NOW - timedelta(hours=12), this_update=NOW - timedelta(days=30))
    stl = pki.sign(encode_ctl(tl), when=NOW - timedelta(hours=20))
    report = pki.verify(stl)
    assert failed(report) == {"next-update"}
    assert pki.verify(stl, allow_expired=True).ok


def test_signing_time_after_next_update(pki):
    tl = replace(decode_ctl(pki.ctl), next_update=NOW + timedelta(days=1))
    report = pki.verify(pki.sign(encode_ctl(tl), when=NOW + timedelta(days=2)))
    assert "signing-time" in failed(report)
    assert "after the list's nextUpdate" in message(report, "signing-time")


def test_signing_time_before_signer_validity(pki):
    report = pki.verify(pki.sign(when=NOW - timedelta(days=5)), at=NOW)
    assert "signing-time" in failed(report)
    assert "outside the signer certificate's validity" in message(report, "signing-time")


# -- countersignatures (2006–2010 timestamps) ------------------------------------------------------

def _countersigned(pki, tsa_key, tsa_cert, covered: bytes | None = None):
    from asn1crypto import cms
    attrs = h.signed_attrs(h.content_octets(pki.ctl))
    outer = h.signer_info(pki.key, pki.signer, attrs)
    signature = outer["signature"].native
    ts_attrs = h.signed_attrs(covered if covered is not None else signature, content_type=ContentType.DATA)
    counter = h.signer_info(tsa_key, tsa_cert, ts_attrs)
    outer["unsigned_attrs"] = cms.CMSAttributes([{"type": "counter_signature", "values": [counter]}])
    return h.assemble(pki.ctl, [outer], [h.der(pki.signer), h.der(tsa_cert)])


@pytest.fixture(scope="module")
def tsa(pki):
    key = h.rsa_key()
    root = h.make_cert("Timestamp Root", h.name("Timestamp Root"), key.public_key(), key, ca=True)
    return key, h.make_cert("Timestamp Root", root.subject, key.public_key(), key, serial=3,
                            ekus=["1.3.6.1.5.5.7.3.8"])


def test_countersignature_verifies_and_its_chain_is_only_reported(pki, tsa):
    report = pki.verify(_countersigned(pki, *tsa))
    assert report.ok, [f.message for f in report.findings if f.status == FAIL]
    labels = {f.signature for f in report.findings}
    assert "signature 1, countersignature 1" in labels
    assert any(f.check == "chain" and f.status == "warn" and f.signature.endswith("countersignature 1")
               for f in report.findings)


def test_countersignature_over_something_else_fails(pki, tsa):
    report = pki.verify(_countersigned(pki, *tsa, covered=b"not the outer signature"))
    assert failed(report) == {"digest"}
    assert {f.signature for f in report.findings if f.status == FAIL} == {"signature 1, countersignature 1"}


@pytest.mark.parametrize("hidden", ["md5", "sha1"])
def test_weak_hash_hidden_in_pss_parameters(pki, hidden):
    """A SHA-256 digestAlgorithm with PSS parameters naming MD5 or SHA-1: refused."""
    from asn1crypto import algos
    from cryptography.hazmat.primitives.asymmetric import padding
    attrs = h.signed_attrs(h.content_octets(pki.ctl))
    algorithm = h.HASHES[hidden]()
    signature = pki.key.sign(attrs.dump(), padding.PSS(mgf=padding.MGF1(algorithm), salt_length=16), algorithm)
    info = h.signer_info(pki.key, pki.signer, attrs, signature=signature)
    info["signature_algorithm"] = {"algorithm": "rsassa_pss", "parameters": algos.RSASSAPSSParams({
        "hash_algorithm": {"algorithm": hidden},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hidden}},
        "salt_length": 16})}
    report = pki.verify(h.assemble(pki.ctl, [info], [h.der(pki.signer)]), allow_sha1=True)
    assert failed(report) == {"signature"}
    assert "RSA-PSS parameters use" in message(report, "signature")
