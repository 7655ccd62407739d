"""ctlbuild's own CTLs, read back by Windows' crypt32 as Wine implements it.

Each list is built with the real CLI (``ctlbuild keys init`` / ``ctlbuild build``)
and handed to ctlclient.exe (CertCreateCTLContext + CryptMsgControl
CMSG_CTRL_VERIFY_SIGNATURE).  What crypt32 reports is compared three ways: with
ctlbuild's own decode (``readers.read_ctl``), with the list as loaded
(``listfile.load_list``), and with values worked out here independently of
ctlbuild (FILETIME arithmetic, UTF-16LE, asn1crypto, hashlib).

Lists (``LISTS``) x signatures (``SIGNINGS``):

* ``diginotar``: examples/diginotar-kb2616676.toml -- disallowed, SHA-1
  thumbprints with friendly names, a list identifier.
* ``trusted``: a trusted list built here from fixture certificates, with EKUs,
  disabled_since, not_before (also Microsoft's empty FILETIME), EV policies, a
  non-ASCII friendly name and an entry without one; no list identifier.
* ``rsa`` (RSA-3072, PKCS#1 v1.5), ``ec`` (ECDSA P-256), ``pss`` (RSA-PSS).

Findings on Wine 8.0 (Debian 12), pinned by the tests:

* Every variant decodes: entries, identifiers, order, sequence number, list
  identifier, usages, times and all attribute values match.
* CMSG_CTRL_VERIFY_SIGNATURE verifies only RSA PKCS#1 v1.5.  Wine's msg.c
  imports the signer key with the legacy CryptImportPublicKeyInfo and checks
  with CryptVerifySignatureW; the SignerInfo's signature algorithm is ignored.
  So an ECDSA signature fails with 0x8009310B CRYPT_E_ASN1_BADTAG (the EC point
  is parsed as an RSA public key) and an RSA-PSS signature with 0x80090006
  NTE_BAD_SIGNATURE (checked as PKCS#1 v1.5).  Real Windows verifies both (CNG).
  Both signatures are valid: OpenSSL verifies them (tests/interop/test_openssl.py).
  The positive tests are xfail(strict) on exactly those codes; if Wine learns
  ECDSA/PSS they XPASS and fail, and the marks should go.
* As for Microsoft's own files (test_wine_microsoft.py), Wine does not compare
  messageDigest with the content; it is checked here against H(content octets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import core, x509
from click.testing import CliRunner

from ctlbuild._cli import main as ctlbuild_cli
from ctlbuild.formats.stl import parse_signed_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.lists.sources import read_ctl
from tests import peers
from tests.interop import wine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# `keys init` makes keys valid from yesterday, and build refuses a signing time outside
# the signer's validity: sign at today's midnight (UTC).
SIGNING_TIME = datetime.now(timezone.utc).strftime("%Y-%m-%dT00:00:00Z")

CTL_USAGE = {"disallowed": "1.3.6.1.4.1.311.10.3.30", "trusted": "1.3.6.1.4.1.311.10.3.9"}
SHA1 = "1.3.14.3.2.26"
SERVER_AUTH, CLIENT_AUTH = "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"
EV_POLICY = "2.23.140.1.1"  # CA/B Forum EV guidelines
PROP = "1.3.6.1.4.1.311.10.11."
#: Entry field -> CERT_*_PROP_ID (FORMATS.md §3).
FIELD_PROPS = {
    "ekus": 9, "friendly_name": 11, "key_id": 20, "subject_name_md5": 29, "ev_policies": 83,
    "sha256": 98, "disabled_since": 104, "chain_policies": 105, "disallowed_ekus": 122,
    "not_before": 126, "not_before_ekus": 127,
}

NTE_BAD_SIGNATURE = 0x80090006
CRYPT_E_ASN1_BADTAG = 0x8009310B


# ---------------------------------------------------------------- what gets built

@dataclass(frozen=True)
class Signing:
    key_algorithm: str        # ctlbuild keys init --algorithm
    scheme: str | None        # ctlbuild build --scheme (None: the key's default)
    label: str                # what the SignerInfo carries


SIGNINGS = {
    "rsa": Signing("rsa", None, "RSA PKCS#1 v1.5"),
    "ec": Signing("ec", None, "ECDSA P-256"),
    "pss": Signing("rsa", "pss", "RSASSA-PSS"),
}
LISTS = ("diginotar", "trusted")
VARIANTS = [f"{lst}-{sig}" for lst in LISTS for sig in SIGNINGS]


@dataclass(frozen=True)
class Built:
    variant: str
    stl: Path
    list_path: Path
    keys: Path
    signing: Signing

    @property
    def root_ca(self) -> Path:
        return self.keys / "dev-root-ca.pem"

    @property
    def signer_cert(self) -> Path:
        return self.keys / "dev-signer.pem"


TRUSTED_TOML = """\
# Built by tests/interop: a small trusted-root list from fixture certificates.
name = "interop-trusted"
kind = "trusted"
this_update = 2024-01-01T00:00:00Z

[defaults]
ekus = ["server_auth", "client_auth"]

[[entry]]
cert = '{c0}'
friendly_name = "Racine d'interopérabilité ✓"
ev_policies = ["{ev}"]

[[entry]]
cert = '{c1}'
friendly_name = "Interop root 2 (not before)"
not_before = 2023-06-01

[[entry]]
cert = '{c2}'
ekus = ["server_auth"]
disabled_since = 2020-01-01

[[entry]]
cert = '{c3}'
friendly_name = "Interop root 4 (empty FILETIMEs)"
disabled_since = ""
not_before = ""
"""


def fixture_certs(n: int = 4) -> list[Path]:
    peers.require_fixtures()
    certs = sorted((peers.MICROSOFT / "certs").glob("*.crt"))
    if len(certs) < n:
        pytest.skip(f"need {n} certificates in {peers.MICROSOFT / 'certs'}")
    return certs[:n]


def cli(*args: str) -> str:
    """Run the ctlbuild CLI in-process; fail with its output when it does not exit 0."""
    result = CliRunner().invoke(ctlbuild_cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, f"ctlbuild {' '.join(map(str, args))} exited {result.exit_code}:\n{result.output}"
    return result.output


def build_all(base: Path) -> dict[str, Built]:
    """Make dev keys (RSA and EC) once, then build every list with every signing."""
    lists = {"diginotar": EXAMPLES / "diginotar-kb2616676.toml", "trusted": base / "interop-trusted.toml"}
    certs = fixture_certs()
    lists["trusted"].write_text(
        TRUSTED_TOML.format(**{f"c{i}": c for i, c in enumerate(certs)}, ev=EV_POLICY), encoding="utf-8")
    keys = {}
    for algorithm in ("rsa", "ec"):
        keys[algorithm] = base / f"keys-{algorithm}"
        cli("keys", "init", "--dir", keys[algorithm], "--algorithm", algorithm)
    built = {}
    for sig_name, signing in SIGNINGS.items():
        out = base / f"out-{sig_name}"
        extra = ["--scheme", signing.scheme] if signing.scheme else []
        cli("build", *lists.values(), "--keys", keys[signing.key_algorithm], "-o", out,
            "--signing-time", SIGNING_TIME, *extra)
        for list_name, list_path in lists.items():
            stl = out / f"{load_list(list_path).trust_list.name}.stl"
            assert stl.is_file(), f"ctlbuild build did not write {stl}"
            variant = f"{list_name}-{sig_name}"
            built[variant] = Built(variant, stl, list_path, keys[signing.key_algorithm], signing)
    return built


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Built]:
    return build_all(tmp_path_factory.mktemp("ctlbuild-interop"))


@pytest.fixture(scope="module")
def crypt32(wine_client, built):
    """variant -> run_ctl result, each file run through Wine once per module."""
    cache: dict[str, dict] = {}

    def get(variant: str) -> dict:
        if variant not in cache:
            cache[variant] = wine.run_ctl(wine_client, built[variant].stl)
        return cache[variant]

    return get


# ---------------------------------------------------------------- independent helpers

def filetime(t: dt.datetime) -> int:
    delta = t - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**7 + delta.microseconds * 10


def der_integer_contents(n: int) -> str:
    """Content octets of a DER INTEGER (n >= 0), hex: what ctlclient prints as ``sequence``."""
    return n.to_bytes(n.bit_length() // 8 + 1, "big").hex()


def expected_sequence(list_path: Path) -> int:
    """FORMATS.md §2: FILETIME(thisUpdate), prefixed with 0x14 for trusted lists."""
    data = tomllib.loads(list_path.read_text(encoding="utf-8"))
    if "sequence" in data:
        return data["sequence"]
    ticks = filetime(data["this_update"])
    return (0x14 << 64) | ticks if data["kind"] == "trusted" else ticks


def expected_list_identifier(list_path: Path) -> str | None:
    data = tomllib.loads(list_path.read_text(encoding="utf-8"))
    if "identifier_hex" in data:
        return bytes.fromhex(data["identifier_hex"].replace(" ", "").replace(":", "")).hex()
    text = data.get("identifier")
    return None if text is None else (text + "\0").encode("utf-16-le").hex()


def wine_attributes(entry: dict) -> dict[str, bytes]:
    """crypt32's attributes of one entry: OID -> property bytes (the OCTET STRING content)."""
    out = {}
    for oid, values in entry["attrs"]:
        assert len(values) == 1, f"{oid}: {len(values)} values (Microsoft always has one)"
        assert oid not in out, f"{oid} twice"
        out[oid] = core.OctetString.load(bytes.fromhex(values[0])).native
    return out


def key_identifier(cert: x509.Certificate) -> bytes:
    """CERT_KEY_IDENTIFIER_PROP_ID: the SKI, else SHA-1 of the whole SPKI DER (FORMATS.md §3.1)."""
    ski = cert.key_identifier_value
    if ski is not None:
        return ski.native
    return hashlib.sha1(cert["tbs_certificate"]["subject_public_key_info"].dump()).digest()


def filetime_bytes(value) -> bytes:
    """A model Filetime -> the 8-byte little-endian value, b'' for Microsoft's empty "no date"."""
    if value.ticks is None:
        return b""
    return filetime(value.datetime).to_bytes(8, "little")


def check_attribute(field: str, value, prop: bytes, entry) -> None:
    """One attribute as crypt32 handed it out, against the loaded list's value."""
    if field == "friendly_name":
        assert prop == (value + "\0").encode("utf-16-le")
    elif field in ("ekus", "disallowed_ekus", "not_before_ekus", "chain_policies"):
        assert [o.dotted for o in x509.ExtKeyUsageSyntax.load(prop)] == list(value)
    elif field == "ev_policies":
        policies = x509.CertificatePolicies.load(prop)
        assert [p["policy_identifier"].dotted for p in policies] == list(value)
    elif field in ("disabled_since", "not_before"):
        assert prop == filetime_bytes(value)
    elif field in ("sha256", "subject_name_md5", "key_id"):
        assert prop == value
        if entry.cert is not None:  # worked out again from the certificate
            cert = x509.Certificate.load(entry.cert)
            assert prop == {
                "sha256": lambda: hashlib.sha256(entry.cert).digest(),
                "subject_name_md5": lambda: hashlib.md5(cert["tbs_certificate"]["subject"].dump()).digest(),
                "key_id": lambda: key_identifier(cert),
            }[field]()
    else:  # pragma: no cover - a field added to FIELD_PROPS without a check
        raise AssertionError(f"no check for {field}")


def pem_der(path: Path) -> bytes:
    from asn1crypto import pem
    _, _, der = pem.unarmor(path.read_bytes())
    return der


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("variant", VARIANTS)
def test_crypt32_reads_ctl(crypt32, built, variant):
    b = built[variant]
    got = crypt32(variant)
    decoded = read_ctl(b.stl).trust_list
    loaded = load_list(b.list_path).trust_list

    subjects = [e.identifier.hex() for e in decoded.entries]
    assert subjects == [e.identifier.hex() for e in loaded.entries]
    assert got["entries"] == len(decoded.entries) == len(loaded.entries)
    assert got["subjects"] == subjects

    assert decoded.sequence == loaded.sequence == expected_sequence(b.list_path)
    assert got["sequence"] == der_integer_contents(decoded.sequence)

    listid = expected_list_identifier(b.list_path)
    assert got["listid"] == (decoded.identifier.hex() if decoded.identifier is not None else None) == listid

    assert got["usages"] == list(decoded.usages) == list(loaded.usages) == [CTL_USAGE[loaded.kind]]
    assert got["algorithm"] == decoded.subject_algorithm == SHA1
    assert got["algparams"] == "0500"
    assert got["version"] == 0
    assert got["thisupdate"] == filetime(decoded.this_update) == filetime(loaded.this_update)
    assert got["nextupdate"] == 0
    assert got["extensions"] == []
    assert got["innertype"] == "1.3.6.1.4.1.311.10.1"


@pytest.mark.parametrize("variant", VARIANTS)
def test_crypt32_entry_attributes(crypt32, built, variant):
    """Each entry carries exactly the attributes the list asks for, with the right bytes."""
    b = built[variant]
    got = crypt32(variant)
    loaded = load_list(b.list_path).trust_list
    assert len(got["entry_list"]) == len(loaded.entries)
    for wine_entry, entry in zip(got["entry_list"], loaded.entries):
        attrs = wine_attributes(wine_entry)
        expected = {PROP + str(FIELD_PROPS[f]): f for f in FIELD_PROPS if getattr(entry, f) is not None}
        raw = dict(entry.raw_attributes)
        assert set(attrs) == set(expected) | set(raw), entry.label
        for oid, field in expected.items():
            check_attribute(field, getattr(entry, field), attrs[oid], entry)
        for oid, value in raw.items():
            assert attrs[oid] == value


def test_trusted_list_values_as_written(built):
    """The hand-written trusted list means what it says (guards the comparisons above)."""
    e0, e1, e2, e3 = load_list(built["trusted-rsa"].list_path).trust_list.entries
    assert e0.friendly_name == "Racine d'interopérabilité ✓" and e0.ev_policies == (EV_POLICY,)
    assert e0.ekus == e1.ekus == e3.ekus == (SERVER_AUTH, CLIENT_AUTH) and e2.ekus == (SERVER_AUTH,)
    assert filetime_bytes(e1.not_before) == _le(dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc))
    assert filetime_bytes(e2.disabled_since) == _le(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert e2.friendly_name is None
    assert filetime_bytes(e3.disabled_since) == filetime_bytes(e3.not_before) == b""
    assert all(e.cert is not None and e.sha256 is not None for e in (e0, e1, e2, e3))


def _le(t: dt.datetime) -> bytes:
    return filetime(t).to_bytes(8, "little")


#: Wine 8 checks only RSA PKCS#1 v1.5 signatures (see the module docstring).
WINE_SIGNATURE_GAPS = {
    "ec": (CRYPT_E_ASN1_BADTAG, "Wine's CryptMsgControl imports the signer key as RSA "
                                "(CryptImportPublicKeyInfo): ECDSA fails 0x8009310B CRYPT_E_ASN1_BADTAG"),
    "pss": (NTE_BAD_SIGNATURE, "Wine's CryptMsgControl ignores the SignerInfo's rsassaPss algorithm and "
                               "checks PKCS#1 v1.5: fails 0x80090006 NTE_BAD_SIGNATURE"),
}


class WineSignatureGap(AssertionError):
    """Verification failed with exactly the documented Wine error code."""


def _signature_params():
    for variant in VARIANTS:
        gap = WINE_SIGNATURE_GAPS.get(variant.rsplit("-", 1)[1])
        marks = [pytest.mark.xfail(strict=True, raises=WineSignatureGap, reason=gap[1])] if gap else []
        yield pytest.param(variant, marks=marks, id=variant)


@pytest.mark.parametrize("variant", list(_signature_params()))
def test_signature_verifies(crypt32, built, variant):
    b = built[variant]
    got = crypt32(variant)
    signed = parse_signed_ctl(b.stl.read_bytes())

    assert got["signers"] == 1
    assert got["certs"] == len(signed.certificates)
    assert got["signercert"] == hashlib.sha1(pem_der(b.signer_cert)).hexdigest()
    # What Wine does not check: messageDigest = H(CTL content octets) (FORMATS.md §1).
    assert got["messagedigest"] == hashlib.sha256(signed.content_octets).hexdigest()
    if got["verify"] is not True:
        gap = WINE_SIGNATURE_GAPS.get(variant.rsplit("-", 1)[1])
        if gap and got["verify_error"] == gap[0]:
            raise WineSignatureGap(f"{b.signing.label}: {gap[1]}")
    assert got["verify"] is True, f"verify failed: 0x{got['verify_error']:08x}"


def _signature_offset(data: bytes) -> int:
    sig = parse_signed_ctl(data).signer_infos[0]["signature"].native
    assert data.count(sig) == 1
    return data.find(sig)


def _signed_attrs_offset(data: bytes) -> int:
    """Offset of the signingTime/messageDigest bytes inside the signed attributes."""
    attrs = parse_signed_ctl(data).signer_infos[0]["signed_attrs"]
    digest = next(a for a in attrs if a["type"].native == "message_digest")["values"][0].native
    assert data.count(digest) == 1
    return data.find(digest)


@pytest.mark.parametrize("variant", ["diginotar-rsa", "trusted-rsa"])
@pytest.mark.parametrize("where", ["signature", "signed-attribute"])
def test_tampered_signature_fails(wine_client, built, tmp_path, variant, where):
    """A flipped bit in the signature value or in the signed attributes is rejected."""
    data = bytearray(built[variant].stl.read_bytes())
    off = _signature_offset(bytes(data)) + 17 if where == "signature" else _signed_attrs_offset(bytes(data))
    data[off] ^= 0x01
    bad = tmp_path / f"{variant}-{where}.stl"
    bad.write_bytes(bytes(data))

    got = wine.run_ctl(wine_client, bad)  # the CTL itself is intact: it still decodes
    assert got["entries"] == len(read_ctl(built[variant].stl).trust_list.entries)
    assert got["verify"] is False
    assert got["verify_error"] == NTE_BAD_SIGNATURE
