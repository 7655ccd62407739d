"""OpenSSL reads and verifies ctlbuild's CTLs (the same builds as test_wine_ctlbuild.py).

* ``openssl asn1parse`` walks every file to its last byte without an error and
  finds the CTL content type 1.3.6.1.4.1.311.10.1.
* ``openssl smime -verify -inform DER -content OCTETS -CAfile dev-root-ca.pem``
  succeeds when OCTETS are the CTL's content octets (what messageDigest covers,
  FORMATS.md §1) and fails on a tampered content file or signature.  The harness
  is proved on Microsoft's authroot-2018-06-19.stl (``-noverify``: its chain is
  built for other purposes).

Findings on OpenSSL 3.0 (Debian 12):

* ``openssl smime`` (the PKCS#7 API) verifies RSA PKCS#1 v1.5 and ECDSA but not
  RSASSA-PSS: PKCS7_signatureVerify checks every RSA signature as PKCS#1 v1.5
  ("RSA_padding_check_PKCS1_type_1:invalid padding", "signature failure"), so
  the PSS variants are xfail(strict) there.  ``openssl cms`` does PSS, but it
  cannot parse a CTL carried PKCS#7-style (eContent is [0] EXPLICIT ANY, not an
  OCTET STRING).  test_cms_verify_detached therefore drops eContent (signed
  attributes and signature untouched) and hands the content octets to
  ``openssl cms -verify -binary -content``: that verifies every variant,
  PSS included, so ctlbuild's PSS signatures are valid.
* The message digest is compared before the signature: a tampered content
  file gives "digest failure" whatever the signature scheme.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from asn1crypto import parser

from ctlbuild.formats.stl import parse_signed_ctl
from tests import peers
from tests.interop.test_wine_ctlbuild import SIGNINGS, VARIANTS, Built, build_all

SZOID_CTL = "1.3.6.1.4.1.311.10.1"
TIMEOUT = 60


@pytest.fixture(scope="module")
def openssl() -> str:
    return peers.require_tool("openssl")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Built]:
    return build_all(tmp_path_factory.mktemp("ctlbuild-openssl"))


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=TIMEOUT)


def content_file(stl: Path, dest: Path, tamper: bool = False) -> Path:
    octets = bytearray(parse_signed_ctl(stl.read_bytes()).content_octets)
    if tamper:
        octets[len(octets) // 2] ^= 0x01
    dest.write_bytes(bytes(octets))
    return dest


def smime_verify(openssl, stl: Path, content: Path | None, *extra) -> subprocess.CompletedProcess:
    cmd = [openssl, "smime", "-verify", "-inform", "DER", "-in", stl]
    if content is not None:
        cmd += ["-content", content]
    return run(*cmd, *extra, "-purpose", "any", "-out", "/dev/null")


def scheme_of(variant: str) -> str:
    return variant.rsplit("-", 1)[1]


# ---------------------------------------------------------------- DER surgery (independent of ctlbuild)

def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def _children(contents: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(contents):
        n = parser.peek(contents[i:])
        out.append(contents[i:i + n])
        i += n
    return out


def _contents(tlv: bytes) -> bytes:
    return parser.parse(tlv)[4]


def detached(data: bytes) -> bytes:
    """The same SignedData with eContent removed: eContentType, certificates,
    signed attributes and signature are kept byte for byte."""
    content_type, explicit = _children(_contents(data))
    signed_data = _children(_contents(_contents(explicit)))
    eci = _children(_contents(signed_data[2]))
    signed_data[2] = _tlv(0x30, eci[0])
    return _tlv(0x30, content_type + _tlv(0xA0, _tlv(0x30, b"".join(signed_data))))


# ---------------------------------------------------------------- tests

ASN1_LINE = re.compile(r"^\s*(\d+):d=\s*(\d+)\s+hl=\s*(\d+)\s+l=\s*(\d+)\s")


@pytest.mark.parametrize("variant", VARIANTS)
def test_asn1parse_walks_whole_file(openssl, built, variant):
    stl = built[variant].stl
    size = stl.stat().st_size
    proc = run(openssl, "asn1parse", "-inform", "DER", "-in", stl)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in (proc.stdout + proc.stderr).lower()
    items = [tuple(map(int, m.groups())) for line in proc.stdout.splitlines() if (m := ASN1_LINE.match(line))]
    tops = [(off, hl, length) for off, depth, hl, length in items if depth == 0]
    assert tops == [(0, tops[0][1], size - tops[0][1])], "one top-level object spanning the file"
    assert max(off + hl + length for off, _d, hl, length in items) == size
    assert f":{SZOID_CTL}" in proc.stdout


def _smime_params():
    for variant in VARIANTS:
        marks = []
        if SIGNINGS[scheme_of(variant)].scheme == "pss":
            marks = [pytest.mark.xfail(strict=True, raises=OpenSSLPkcs7NoPss,
                                       reason="openssl smime (PKCS7_signatureVerify) checks RSA signatures "
                                              "as PKCS#1 v1.5 only; RSASSA-PSS fails 'invalid padding'")]
        yield pytest.param(variant, marks=marks, id=variant)


class OpenSSLPkcs7NoPss(AssertionError):
    """openssl smime failed on a PSS signature the documented way."""


@pytest.mark.parametrize("variant", list(_smime_params()))
def test_smime_verify(openssl, built, tmp_path, variant):
    b = built[variant]
    content = content_file(b.stl, tmp_path / "content.bin")
    proc = smime_verify(openssl, b.stl, content, "-CAfile", b.root_ca)
    if (proc.returncode != 0 and SIGNINGS[scheme_of(variant)].scheme == "pss"
            and "RSA_padding_check_PKCS1_type_1" in proc.stderr):
        raise OpenSSLPkcs7NoPss(proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert "Verification successful" in proc.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_cms_verify_detached(openssl, built, tmp_path, variant):
    """Signature and messageDigest checked by OpenSSL's CMS code, which knows PSS."""
    b = built[variant]
    p7 = tmp_path / "detached.p7"
    p7.write_bytes(detached(b.stl.read_bytes()))
    content = content_file(b.stl, tmp_path / "content.bin")
    args = [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-CAfile", b.root_ca,
            "-purpose", "any", "-out", "/dev/null"]
    proc = run(*args, "-content", content)
    assert proc.returncode == 0, proc.stderr
    assert "Verification successful" in proc.stderr
    bad = content_file(b.stl, tmp_path / "tampered.bin", tamper=True)
    proc = run(*args, "-content", bad)
    assert proc.returncode != 0
    assert "verification failure" in proc.stderr.lower()


@pytest.mark.parametrize("variant", VARIANTS)
def test_smime_rejects_tampered_content(openssl, built, tmp_path, variant):
    b = built[variant]
    content = content_file(b.stl, tmp_path / "tampered.bin", tamper=True)
    proc = smime_verify(openssl, b.stl, content, "-CAfile", b.root_ca)
    assert proc.returncode != 0
    assert "digest failure" in proc.stderr


@pytest.mark.parametrize("variant", [v for v in VARIANTS if scheme_of(v) in ("rsa", "ec")])
def test_smime_rejects_tampered_signature(openssl, built, tmp_path, variant):
    b = built[variant]
    data = bytearray(b.stl.read_bytes())
    sig = parse_signed_ctl(bytes(data)).signer_infos[0]["signature"].native
    assert data.count(sig) == 1
    data[data.find(sig) + len(sig) // 2] ^= 0x01
    bad = tmp_path / "bad-signature.stl"
    bad.write_bytes(bytes(data))
    proc = smime_verify(openssl, bad, content_file(b.stl, tmp_path / "content.bin"), "-CAfile", b.root_ca)
    assert proc.returncode != 0
    assert "signature failure" in proc.stderr


def test_smime_rejects_wrong_root(openssl, built, tmp_path):
    """The chain is checked: the EC keys' root does not anchor the RSA signer."""
    b = built["trusted-rsa"]
    proc = smime_verify(openssl, b.stl, content_file(b.stl, tmp_path / "content.bin"),
                        "-CAfile", built["trusted-ec"].root_ca)
    assert proc.returncode != 0
    assert "unable to get local issuer certificate" in proc.stderr


# ---------------------------------------------------------------- the harness on Microsoft's own file

@pytest.fixture(scope="module")
def authroot() -> Path:
    peers.require_fixtures()
    path = peers.MICROSOFT / "authroot-2018-06-19.stl"
    if not path.is_file():
        pytest.skip(f"fixture {path} not found")
    return path


def test_harness_verifies_microsoft_authroot(openssl, authroot, tmp_path):
    content = content_file(authroot, tmp_path / "content.bin")
    proc = smime_verify(openssl, authroot, content, "-noverify")
    assert proc.returncode == 0, proc.stderr
    assert "Verification successful" in proc.stderr


@pytest.mark.parametrize("content", ["tampered", "full-tlv", "none"])
def test_harness_rejects_wrong_content_for_microsoft_authroot(openssl, authroot, tmp_path, content):
    """Only the content octets verify: not a changed byte, not the CTL with its
    30 LL header, not the file alone (FORMATS.md §1)."""
    if content == "tampered":
        path = content_file(authroot, tmp_path / "content.bin", tamper=True)
    elif content == "full-tlv":
        path = tmp_path / "ctl.der"
        path.write_bytes(parse_signed_ctl(authroot.read_bytes()).ctl_der)
    else:
        path = None
    proc = smime_verify(openssl, authroot, path, "-noverify")
    assert proc.returncode != 0
    assert "digest failure" in proc.stderr


def test_harness_asn1parse_microsoft_authroot(openssl, authroot):
    proc = run(openssl, "asn1parse", "-inform", "DER", "-in", authroot)
    assert proc.returncode == 0 and "error" not in proc.stdout.lower()
    assert f":{SZOID_CTL}" in proc.stdout
