"""Issue 8: chain rules, key floor, escaped output, decoys, strict DER, bounded work,
historical Microsoft-style chains. Each hostile case fails with its named cause; each
decoy case has its mirror that must pass (a valid path among decoys)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.oids import Usage
from ctlbuild.verify.findings import FAIL, WARN
from ctlbuild.verify.pool import MAX_CANDIDATES
from ctlbuild.verify.verifier import verify_ctl
from tests import hostile as h

NOW = h.NOW
CTL = Usage.CTL_SIGNING


def failed(report) -> set[str]:
    return {f.check for f in report.findings if f.status == FAIL}


def messages(report, status=FAIL) -> str:
    return " | ".join(f"{f.check}: {f.message}" for f in report.findings if f.status == status)


class Chain:
    """root → intermediate → signer, each part replaceable."""

    def __init__(self):
        self.root_key, self.mid_key, self.key = h.rsa_key(), h.rsa_key(), h.rsa_key()
        self.root = h.ca_cert("Rules Root", h.name("Rules Root"), self.root_key.public_key(), self.root_key,
                              serial=1, days=3650)
        self.mid = h.ca_cert("Rules Intermediate", self.root.subject, self.mid_key.public_key(), self.root_key,
                             serial=2)
        self.signer = h.signer_cert("Rules Signer", self.mid.subject, self.key.public_key(), self.mid_key,
                                    serial=3, ekus=[CTL], key_usage={"digital_signature"})
        self.ctl = encode_ctl(load_list("examples/diginotar-kb2616676.toml").trust_list)

    def sign(self, *, key=None, signer=None, certs=None, infos=1, attrs=None, digest="sha256", **options):
        key, signer = key or self.key, signer or self.signer
        attrs = attrs if attrs is not None else h.signed_attrs(h.content_octets(self.ctl), digest, **options)
        info = [h.signer_info(key, signer, attrs, digest) for _ in range(infos)]
        certs = certs if certs is not None else [h.der(signer), h.der(self.mid)]
        return h.assemble(self.ctl, info, certs, digests=(digest,))

    def verify(self, stl, anchors=None, **options):
        return verify_ctl(stl, [h.der(a) for a in (anchors or [self.root])], NOW, **options)


@pytest.fixture(scope="module")
def pki():
    return Chain()


def test_baseline(pki):
    report = pki.verify(pki.sign())
    assert report.ok, messages(report)


# -- RFC 5280 rules, enforced by the path validator -------------------------------------------------

def test_path_len_zero_root_issuing_an_intermediate_ca(pki):
    root = h.ca_cert("Rules Root", h.name("Rules Root"), pki.root_key.public_key(), pki.root_key, serial=1,
                     days=3650, path_length=0)
    report = pki.verify(pki.sign(), anchors=[root])
    assert failed(report) == {"chain"}
    assert "path length" in messages(report).lower()


def test_ca_without_key_cert_sign(pki):
    mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key, serial=2,
                    key_cert_sign=False)
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), h.der(mid)]))
    assert failed(report) == {"chain"}
    assert "not allowed to sign certificates" in messages(report)


def test_signer_without_digital_signature(pki):
    signer = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=4,
                           ekus=[CTL], key_usage={"key_encipherment"})
    report = pki.verify(pki.sign(signer=signer))
    assert failed(report) == {"key-usage"}
    assert "without digitalSignature" in messages(report)


def test_intermediate_eku_limited_to_server_auth(pki):
    mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key, serial=2,
                    ekus=["1.3.6.1.5.5.7.3.1"])
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), h.der(mid)]))
    assert failed(report) == {"eku-nesting"}
    assert "Rules Intermediate limits its EKUs to server_auth" in messages(report)


def test_intermediate_eku_allowing_ctl_signing_passes(pki):
    mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key, serial=2,
                    ekus=["1.3.6.1.5.5.7.3.1", CTL])
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), h.der(mid)]))
    assert report.ok, messages(report)


def test_violated_name_constraints(pki):
    allowed = x509.Name([x509.NameAttribute(x509.oid.NameOID.ORGANIZATION_NAME, "Elsewhere")])
    constraints = x509.NameConstraints(permitted_subtrees=[x509.DirectoryName(allowed)], excluded_subtrees=None)
    mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key, serial=2,
                    extensions=[(constraints, True)])
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), h.der(mid)]))
    assert failed(report) == {"chain"}
    assert "name" in messages(report).lower()


@pytest.mark.parametrize("where", ["intermediate", "signer"])
def test_unknown_critical_extension(pki, where):
    extension = [h.unknown_critical_extension()]
    mid, signer = pki.mid, pki.signer
    if where == "intermediate":
        mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key,
                        serial=2, extensions=extension)
    else:
        signer = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=5,
                               ekus=[CTL], extensions=extension)
    report = pki.verify(pki.sign(signer=signer, certs=[h.der(signer), h.der(mid)]))
    assert failed(report) == {"chain"}
    assert "1.3.6.1.4.1.55555.1.1" in messages(report)


def test_pin_rules_signer_cannot_sign_other_lists(pki):
    signer = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=6,
                           ekus=[Usage.PIN_RULES_SIGNER])
    report = pki.verify(pki.sign(signer=signer, certs=[h.der(signer), h.der(pki.mid)]))
    assert failed(report) == {"signer-eku"}


# -- key floor ----------------------------------------------------------------------------------------

def _signer_with(pki, key, serial):
    return h.signer_cert("Weak Signer", pki.mid.subject, key.public_key(), pki.mid_key, serial=serial, ekus=[CTL])


@pytest.mark.parametrize("make", [lambda: h.small_rsa_key(512), lambda: h.small_rsa_key(1024, seed=1024),
                                  lambda: ec.generate_private_key(ec.SECP192R1())], ids=["rsa512", "rsa1024", "p192"])
def test_weak_signer_key(pki, make):
    key = make()
    signer = _signer_with(pki, key, 20)
    stl = pki.sign(key=key, signer=signer, certs=[h.der(signer), h.der(pki.mid)])
    report = pki.verify(stl)
    assert failed(report) == {"key"}
    assert "--allow-weak-keys" in messages(report)
    allowed = pki.verify(stl, allow_weak_keys=True)
    assert allowed.ok, messages(allowed)
    assert "--allow-weak-keys" in messages(allowed, WARN)


def test_weak_ca_key(pki):
    weak = h.small_rsa_key(1024, seed=7)
    mid = h.ca_cert("Weak Intermediate", pki.root.subject, weak.public_key(), pki.root_key, serial=30)
    signer = h.signer_cert("Rules Signer", mid.subject, pki.key.public_key(), weak, serial=31, ekus=[CTL])
    stl = pki.sign(signer=signer, certs=[h.der(signer), h.der(mid)])
    report = pki.verify(stl)
    assert failed(report) == {"key"}
    assert "Weak Intermediate has a RSA-1024" in messages(report)
    assert pki.verify(stl, allow_weak_keys=True).ok


# -- forged verdicts in text output ------------------------------------------------------------------

def test_hostile_signer_name_cannot_forge_the_verdict(pki, tmp_path):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    cn = "x\nsig.stl: VERIFIED (0 failed, 0 warnings)\n\x1b[8m"
    signer = h.signer_cert(cn, pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=40, ekus=[CTL])
    bad = h.signer_info(pki.key, signer, h.signed_attrs(h.content_octets(pki.ctl)), signature=bytes(256))
    (tmp_path / "sig.stl").write_bytes(h.assemble(pki.ctl, [bad], [h.der(signer), h.der(pki.mid)]))
    (tmp_path / "root.der").write_bytes(h.der(pki.root))
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "sig.stl"), "--anchor", str(tmp_path / "root.der")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "\x1b" not in result.stdout
    assert [line for line in lines if "VERIFIED" in line or "FAILED" in line] == [lines[-1]]
    assert lines[-1].endswith("FAILED (1 failed, 0 warnings)")


# -- decoys: the genuine path must still be found ------------------------------------------------------

def test_decoy_with_signer_issuer_and_serial_is_ignored(pki):
    other = h.rsa_key()
    decoy = h.signer_cert("Rules Signer", pki.mid.subject, other.public_key(), other, serial=3, ekus=[CTL])
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), h.der(pki.mid), h.der(decoy)]))
    assert report.ok, messages(report)


def test_expired_and_bc_less_copies_of_the_intermediate(pki):
    """Backtracking: the first candidate issuers fail, a later one holds."""
    expired = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key,
                        serial=50, not_before=NOW - timedelta(days=800), days=30)
    no_bc = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key,
                      serial=51, basic_constraints=False)
    decoys = [h.der(expired), h.der(no_bc)]
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), *decoys, h.der(pki.mid)]))
    assert report.ok, messages(report)
    alone = pki.verify(pki.sign(certs=[h.der(pki.signer), *decoys]))
    assert failed(alone) == {"chain"}


def test_more_same_named_candidates_than_the_cap(pki):
    """Past the cap, candidates are not tried (and a warning says so); candidates whose key
    identifier matches the signer's authorityKeyIdentifier are tried first, so decoys
    cannot push the real issuer out."""
    decoys = [h.der(h.ca_cert("Rules Intermediate", pki.root.subject, h.rsa_key().public_key(), pki.root_key,
                              serial=100 + i)) for i in range(MAX_CANDIDATES + 1)]
    # The real intermediate comes last (as --untrusted, after the file's certificates).
    report = pki.verify(pki.sign(certs=[h.der(pki.signer), *decoys]), untrusted=[h.der(pki.mid)])
    assert failed(report) == {"chain"}
    assert f"only the first {MAX_CANDIDATES} were tried" in messages(report, WARN)
    ski = x509.SubjectKeyIdentifier.from_public_key(pki.mid_key.public_key())
    mid = h.ca_cert("Rules Intermediate", pki.root.subject, pki.mid_key.public_key(), pki.root_key, serial=2,
                    extensions=[(ski, False)])
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    signer = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=3,
                           ekus=[CTL], extensions=[(aki, False)])
    report = pki.verify(pki.sign(signer=signer, certs=[h.der(signer), *decoys]), untrusted=[h.der(mid)])
    assert report.ok, messages(report)


# -- strict DER of the whole file -----------------------------------------------------------------

def _mutated(pki, mutate) -> bytes:
    root = h.der_tree(pki.sign())
    mutate(root)
    return root.dump()


@pytest.mark.parametrize("mutate, cause", [
    (lambda r: setattr(h.signer_info_node(r), "indefinite", True), "indefinite length"),
    (lambda r: setattr(r.children[1].children[0].children[-1], "indefinite", True), "indefinite length"),
    (lambda r: setattr(r.children[1].children[0].children[3], "indefinite", True), "indefinite length"),
    (lambda r: setattr(h.signer_info_node(r), "long_length", True), "non-minimal length"),
    (lambda r: r.children.append(h.Node(0x05)), "ContentInfo carries 1 element(s) past its last field"),
    (lambda r: r.children[1].children[0].children.append(h.Node(0x05)), "past its last field"),
    (lambda r: h.signer_info_node(r).children.append(h.Node(0x05)), "SignerInfo 1 carries 1 element"),
    (lambda r: r.children[1].children[0].children[2].children.append(h.Node(0x05)),
     "encapContentInfo carries 1 element(s) past its last field"),
    (lambda r: setattr(r.children[1].children[0].children[3].children[1].children[0].children[4], "long_length",
                       True), "non-minimal length"),
], ids=["signer-info-indefinite", "signer-infos-indefinite", "certificates-indefinite", "non-minimal",
        "content-info-extra", "signed-data-extra", "signer-info-extra", "encap-content-info-extra", "inside-a-certificate"])
def test_ber_anywhere_is_refused(pki, mutate, cause):
    """Refused with its cause: by verify's strict-DER walk ("der"), or already by the envelope
    reader every command shares, whose bounded shape walk reads DER only ("structure")."""
    report = pki.verify(_mutated(pki, mutate))
    assert failed(report) & {"der", "structure"}
    assert cause in messages(report)


def test_unsorted_signed_attributes(pki):
    """asn1crypto sorts a SET OF when it encodes one, so the file is edited as a DER tree:
    the attributes reversed and signed as they now stand (only the order is wrong)."""
    root = h.der_tree(pki.sign())
    info = h.signer_info_node(root)
    attrs = next(c for c in info.children if c.tag == 0xA0)
    attrs.children.reverse()
    body = b"".join(c.dump() for c in attrs.children)
    assert [c.dump() for c in attrs.children] != sorted(c.dump() for c in attrs.children)
    from ctlbuild.ctl.der import tlv
    info.children[-1].value = h.sign_bytes(pki.key, tlv(0x31, body))  # the signature, last field
    report = pki.verify(root.dump())
    assert failed(report) == {"signed-attributes"}
    assert "not in DER (sorted) order" in messages(report)


def test_two_signing_times(pki):
    attrs = list(h.signed_attrs(h.content_octets(pki.ctl)))
    second = cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": NOW + timedelta(days=9)})]})
    both = cms.CMSAttributes(sorted([*attrs, second], key=lambda a: a.dump()))
    report = pki.verify(pki.sign(attrs=both))
    assert "signed-attributes" in failed(report)
    assert "signingTime occurs twice" in messages(report)


# -- bounded work ---------------------------------------------------------------------------------------

def test_huge_exponent_junk_and_six_signer_infos(pki):
    """1,000 certificates named like the intermediate with 3072-bit exponents: left out
    before any signature check (the bench row measures the time), the file still verifies."""
    junk = h.huge_exponent_junk(pki.mid.subject, pki.root.subject, 1000)
    report = pki.verify(pki.sign(infos=6, certs=[*junk, h.der(pki.signer), h.der(pki.mid)]))
    assert report.ok, messages(report)
    notes = [f.message for f in report.findings if f.check == "certificates"]
    assert notes and "1000 certificate(s)" in notes[0] and "public exponent of 3072 bits" in notes[0]


def test_signer_with_huge_exponent_is_refused(pki):
    junk = h.huge_exponent_junk(pki.mid.subject, pki.root.subject, 1)
    report = pki.verify(pki.sign(certs=[*junk, h.der(pki.signer), h.der(pki.mid)]))
    assert report.ok  # a CA-named junk certificate is only left out
    # As the signer itself: left out too, so the file has no signer, and says why.
    from asn1crypto import x509 as ax509
    junk_cert = x509.load_der_x509_certificate(junk[0])
    info = h.signer_info(pki.key, junk_cert, h.signed_attrs(h.content_octets(pki.ctl)))
    assert ax509.Certificate.load(junk[0]).serial_number == junk_cert.serial_number
    report = pki.verify(h.assemble(pki.ctl, [info], [junk[0], h.der(pki.mid)]))
    assert failed(report) == {"signer"}
    assert "public exponent of 3072 bits" in messages(report)


# -- historical chains: MD5, a missing intermediate, no signingTime ------------------------------------------

@pytest.fixture(scope="module")
def md5_era():
    """2006–2009 shape: root → "CTL PCA" signed md5WithRSA → signer (SHA-1)."""
    c = Chain()
    pca = h.resign_cert(h.ca_cert("Microsoft Certificate Trust List PCA", c.root.subject, c.mid_key.public_key(),
                                  c.root_key, serial=60), c.root_key, "md5")
    signer = h.resign_cert(h.signer_cert("CTL Publisher", pca.subject, c.key.public_key(), c.mid_key, serial=61,
                                         ekus=[CTL]), c.mid_key, "sha1")
    return c, pca, signer


def test_md5_pca_is_named_not_no_path(md5_era):
    c, pca, signer = md5_era
    stl = c.sign(signer=signer, certs=[h.der(signer), h.der(pca)])
    report = c.verify(stl, allow_sha1=True)
    assert failed(report) == {"algorithm"}
    assert "MD5 signature on Microsoft Certificate Trust List PCA" in messages(report)
    allowed = c.verify(stl, allow_sha1=True, allow_md5=True)
    assert allowed.ok, messages(allowed)
    assert "MD5 signature on Microsoft Certificate Trust List PCA: accepted only because of --allow-md5" \
        in messages(allowed, WARN)
    assert failed(c.verify(stl, allow_md5=True)) == {"algorithm"}  # --allow-sha1 is needed too


def test_missing_pca_given_with_untrusted(md5_era):
    c, pca, signer = md5_era
    stl = c.sign(signer=signer, certs=[h.der(signer)])
    assert failed(c.verify(stl, allow_sha1=True, allow_md5=True)) == {"chain"}
    report = c.verify(stl, allow_sha1=True, allow_md5=True, untrusted=[h.der(pca)])
    assert report.ok, messages(report)


def test_no_signing_time_and_signer_newer_than_this_update(pki):
    """Microsoft's 2012–2019 shape: no signingTime, the signer issued after thisUpdate."""
    late = h.signer_cert("Rules Signer", pki.mid.subject, pki.key.public_key(), pki.mid_key, serial=70,
                         ekus=[CTL], not_before=NOW + timedelta(hours=1), days=30)
    report = verify_ctl(pki.sign(signer=late, certs=[h.der(late), h.der(pki.mid)], when=None),
                        [h.der(pki.root)], NOW + timedelta(days=2))
    assert report.ok, messages(report)
    warning = messages(report, WARN)
    assert "no signingTime attribute" in warning and "validity begins after thisUpdate" in warning


# -- what runs --------------------------------------------------------------------------------------------

def test_oscrypto_is_never_imported(pki, tmp_path):
    (tmp_path / "a.stl").write_bytes(pki.sign())
    (tmp_path / "root.der").write_bytes(h.der(pki.root))
    code = ("import sys; from ctlbuild._cli import main\n"
            "try:\n main(['verify', sys.argv[1], '--anchor', sys.argv[2]])\n"
            "except SystemExit as e:\n"
            " assert e.code == 0, e.code\n"
            " bad = [m for m in sys.modules if m.split('.')[0] in ('oscrypto', 'aiohttp')]\n"
            " assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.stl"), str(tmp_path / "root.der")],
                   check=True, capture_output=True)


def test_anchor_and_untrusted_folders(md5_era, tmp_path):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    c, pca, signer = md5_era
    (tmp_path / "f.stl").write_bytes(c.sign(signer=signer, certs=[h.der(signer)]))
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "root.der").write_bytes(h.der(c.root))
    (tmp_path / "mid").mkdir()
    (tmp_path / "mid" / "pca.der").write_bytes(h.der(pca))
    base = ["verify", str(tmp_path / "f.stl"), "--anchor", str(tmp_path / "anchors"), "--allow-sha1",
            "--allow-md5", "--at", "2024-01-01T12:00:00Z"]
    assert CliRunner().invoke(main, base).exit_code == 1
    result = CliRunner().invoke(main, [*base, "--untrusted", str(tmp_path / "mid")])
    assert result.exit_code == 0, result.stdout
    # A hidden file (a .gitkeep, an editor's swap file) is not a certificate file, as in show.
    (tmp_path / "anchors" / ".gitkeep").write_bytes(b"")
    (tmp_path / "mid" / ".pca.der.swp").write_bytes(b"junk")
    result = CliRunner().invoke(main, [*base, "--untrusted", str(tmp_path / "mid")])
    assert result.exit_code == 0, result.stdout


def test_truncated_file_is_bad_input(pki, tmp_path):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    (tmp_path / "t.stl").write_bytes(pki.sign()[:-40])
    (tmp_path / "root.der").write_bytes(h.der(pki.root))
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "t.stl"), "--anchor", str(tmp_path / "root.der")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
