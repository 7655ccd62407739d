"""Issue 11: the certificate pool judges a certificate (key, extensions, asn1crypto bound)
only when a lookup meets it. For every certificate a path meets, the findings are the
ones the pool gave when it judged all of them up front: each case here is verified twice,
lazily and with every certificate judged at once, and the findings must be equal, and
equal to what the eager pool wrote (the messages below are its words)."""

from __future__ import annotations

import pytest
from asn1crypto import x509 as ax509

from ctlbuild.ctl import der
from ctlbuild.verify.findings import FAIL, WARN
from ctlbuild.verify.pool import CertPool
from tests import hostile as h
from tests.verify.test_verify_chain_rules import CTL, Chain, failed, messages


@pytest.fixture(scope="module")
def pki():
    return Chain()


def _findings(report) -> list[tuple]:
    return [(f.check, f.status, f.message, f.signature) for f in report.findings]


def both_ways(pki, stl: bytes, monkeypatch, **options):
    """The report as verify gives it, after checking that judging every certificate up
    front (the pool before issue 11) gives the very same findings."""
    lazy = pki.verify(stl, **options)
    built = CertPool.__init__

    def judge_all(self, certs, extra=()):
        built(self, certs, extra)
        for group in list(self.by_subject.values()):
            self._usable(group)

    with monkeypatch.context() as m:
        m.setattr(CertPool, "__init__", judge_all)
        eager = pki.verify(stl, **options)
    assert _findings(lazy) == _findings(eager)
    assert lazy.malformed == eager.malformed
    return lazy


def _notes(report) -> list[str]:
    return [f.message for f in report.findings if f.check == "certificates"]


def test_junk_nobody_uses_is_left_out_and_counted(pki, monkeypatch):
    """Certificate-shaped TLVs that are no certificate: cryptography refuses it on loading,
    which every certificate still goes through, so it is counted though no path names it."""
    junk = der.seq(der.seq(der.integer(5)), der.seq(der.oid("1.2.3.4")), der.tlv(0x03, b"\x00\x01"))
    report = both_ways(pki, pki.sign(certs=[junk, h.der(pki.signer), h.der(pki.mid)]), monkeypatch)
    assert report.ok, messages(report)
    notes = _notes(report)
    assert len(notes) == 1
    assert notes[0].startswith("1 certificate(s) in the file left out of path building: a certificate does not parse (")
    # Where it always stood: after the structure, before the strict-DER verdict and the signatures.
    assert [f.check for f in report.findings][:3] == ["structure", "certificates", "der"]


def _with_duplicate_extension(pki) -> bytes:
    """The signer's certificate (same issuer, serial and key) carrying its EKU twice:
    cryptography loads it, and refuses its extensions only when they are read."""
    cert = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=3, ekus=[CTL])
    tbs = ax509.TbsCertificate.load(cert.tbs_certificate_bytes)
    extensions = list(tbs["extensions"])
    tbs["extensions"] = [*extensions, extensions[0]]
    tbs_der = tbs.dump(force=True)
    return ax509.Certificate({"tbs_certificate": ax509.TbsCertificate.load(tbs_der),
                              "signature_algorithm": {"algorithm": "sha256_rsa"},
                              "signature_value": h.sign_bytes(pki.mid_key, tbs_der)}).dump()


def test_broken_signer_candidate(pki, monkeypatch):
    broken = _with_duplicate_extension(pki)
    report = both_ways(pki, pki.sign(certs=[broken, h.der(pki.mid)]), monkeypatch)
    why = "a certificate does not parse (Duplicate 2.5.29.37 extension found)"
    assert _notes(report) == [f"1 certificate(s) in the file left out of path building: {why}"]
    assert failed(report) == {"signer"}
    assert f"signer certificate not among the embedded certificates (1 left out: {why})" in messages(report)
    assert [f.check for f in report.findings][:3] == ["structure", "certificates", "der"]
    # Beside the good certificate of the same issuer and serial: left out, and the good one signs.
    report = both_ways(pki, pki.sign(certs=[broken, h.der(pki.signer), h.der(pki.mid)]), monkeypatch)
    assert report.ok, messages(report)
    assert _notes(report) == [f"1 certificate(s) in the file left out of path building: {why}"]


def test_decoy_with_the_signers_issuer_and_serial(pki, monkeypatch):
    other = h.rsa_key()
    decoy = h.signer_cert("Rules Signer", pki.mid.subject, other.public_key(), other, serial=3, ekus=[CTL])
    report = both_ways(pki, pki.sign(certs=[h.der(decoy), h.der(pki.signer), h.der(pki.mid)]), monkeypatch)
    assert report.ok, messages(report)
    assert "signature valid (Rules Signer); 1 other certificate(s) with that identifier ignored" in \
        messages(report, "pass")
    # The decoy alone: its key does not verify the signature.
    report = both_ways(pki, pki.sign(certs=[h.der(decoy), h.der(pki.mid)]), monkeypatch)
    assert failed(report) == {"signature"}


def test_refused_keys_on_the_path(pki, monkeypatch):
    """A weak RSA intermediate (refused by policy, named in the chain's finding), and the
    only intermediate with a 3072-bit exponent (refused by the pool: no path)."""
    weak = h.small_rsa_key()
    weak_mid = h.ca_cert("Rules Intermediate", pki.root.subject, weak.public_key(), pki.root_key, serial=2)
    signer = h.signer_cert("Rules Signer", weak_mid.subject, pki.key.public_key(), weak, serial=3, ekus=[CTL])
    report = both_ways(pki, pki.sign(signer=signer, certs=[h.der(signer), h.der(weak_mid)]), monkeypatch)
    assert failed(report) == {"key"}
    assert "Rules Intermediate has a RSA-512 (below 2048 bits) key: refused" in messages(report)
    assert both_ways(pki, pki.sign(signer=signer, certs=[h.der(signer), h.der(weak_mid)]), monkeypatch,
                     allow_weak_keys=True).ok

    junk = h.huge_exponent_junk(pki.mid.subject, pki.root.subject, 3)
    report = both_ways(pki, pki.sign(certs=[*junk, h.der(pki.signer)]), monkeypatch)
    assert failed(report) == {"chain"}
    notes = _notes(report)
    assert notes and notes[0].startswith("3 certificate(s) in the file left out of path building: Rules "
                                         "Intermediate: RSA public exponent of 3072 bits")


def test_ber_inside_a_certificate_is_the_files_structure_failure(pki):
    """cryptography refuses the certificate; the DER rules of the whole file then name it,
    as when the envelope walk read every certificate: bad input, exit 2."""
    from tests.verify.test_verify_chain_rules import _mutated
    for n in (0, 1):  # the signer's certificate and the intermediate
        stl = _mutated(pki, lambda r, n=n: setattr(
            r.children[1].children[0].children[3].children[n].children[0].children[4], "long_length", True))
        report = pki.verify(stl)
        assert report.malformed and failed(report) == {"structure"}
        assert "not a signed CTL: non-minimal length is not DER" in messages(report)


def test_certificates_no_lookup_meets_are_not_judged(pki, monkeypatch):
    """The bench row's junk (the signer's certificate under other serials) and a refused
    key nobody names cost their loading only: none is judged, none is noted."""
    judged = []
    judge = CertPool._judge
    monkeypatch.setattr(CertPool, "_judge", lambda self, entry: judged.append(entry.serial) or judge(self, entry))
    junk = [h.der(h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key,
                                serial=1000 + i, ekus=[CTL])) for i in range(50)]
    refused = h.huge_exponent_junk(h.name("Nobody's CA"), pki.root.subject, 1)
    report = pki.verify(pki.sign(certs=[*junk, *refused, h.der(pki.signer), h.der(pki.mid)]))
    assert report.ok, messages(report)
    assert sorted(judged) == [2, 3]  # the intermediate and the signer
    assert _notes(report) == [] and not [f for f in report.findings if f.status == WARN]


def test_a_judged_copy_is_not_noted_twice(pki, monkeypatch):
    """Copies of a usable certificate are dropped unnoted; copies of a refused one are each
    noted, as the eager pool did."""
    junk = h.huge_exponent_junk(pki.mid.subject, pki.root.subject, 1)
    certs = [h.der(pki.signer), h.der(pki.signer), *junk, *junk, h.der(pki.mid), h.der(pki.mid)]
    report = both_ways(pki, pki.sign(certs=certs), monkeypatch)
    assert report.ok, messages(report)
    assert _notes(report)[0].startswith("2 certificate(s) in the file left out")
    assert [f.status for f in report.findings if f.check == "certificates"] == [WARN]
    assert FAIL not in {f.status for f in report.findings}


def _deeply_nested_copy(cert_der: bytes, depth: int = 70) -> bytes:
    """The certificate with its outer signatureAlgorithm's parameters nested ``depth`` levels:
    cryptography loads it (it does not enter unknown parameters), asn1crypto would recurse."""
    inner = b"\x05\x00"
    for _ in range(depth):
        inner = der.seq(inner)
    _t, s, e = der.read_tlv(cert_der, 0)
    tbs_end = der.read_tlv(cert_der, s)[2]
    algorithm_end = der.read_tlv(cert_der, tbs_end)[2]
    return der.seq(cert_der[s:tbs_end], der.seq(der.oid("1.3.6.1.4.1.55555.9"), inner), cert_der[algorithm_end:e])


def test_deep_nesting_inside_a_certificate_is_bounded_where_asn1crypto_would_read_it(pki):
    from cryptography import x509

    from ctlbuild.errors import FormatError
    from ctlbuild.formats.stl import parse_signed_ctl

    deep = _deeply_nested_copy(h.der(pki.signer))
    x509.load_der_x509_certificate(deep)  # cryptography reads it: only the pool's bound stops it
    nobody = h.ca_cert("Nobody's CA", h.name("Elsewhere"), h.rsa_key().public_key(), pki.root_key, serial=99)
    unused = pki.sign(certs=[_deeply_nested_copy(h.der(nobody)), h.der(pki.signer), h.der(pki.mid)])
    signed = parse_signed_ctl(unused)  # the envelope's walk leaves the certificates out
    with pytest.raises(FormatError, match="nested deeper than 64 levels"):
        signed.certificates  # noqa: B018 - every certificate for asn1crypto: bounded first, as before
    report = pki.verify(unused)
    assert report.ok and _notes(report) == []  # no path meets it
    # As the signer's only candidate: left out, and the strict-DER walk names the nesting (the
    # eager pool's whole-file walk refused the file instead: exit 2 then, 1 now; it fails either way).
    report = pki.verify(pki.sign(certs=[deep, h.der(pki.mid)]))
    assert failed(report) == {"signer", "der"} and not report.malformed
    assert "nesting deeper than 64" in messages(report)
    assert _notes(report) == ["1 certificate(s) in the file left out of path building: a certificate does "
                              "not parse (DER nested deeper than 64 levels (the limit))"]
