"""Rows for hardened verification: a signed CTL carrying 10,000 junk certificates.

The junk is the signer's own certificate with other serial numbers (parseable, never
the signer): verify must still find the signer by index, not by trying each one.
The same file without the junk is verified in the same run as the baseline: <= 2x it.

A row function here takes the run's ``Bench`` and returns ``Row``s, each with the seconds
of a baseline measured in the same run and the ratio it must not exceed
(``benchmarks.common``); ``benchmarks.__main__`` lists it among its steps.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import CTLBUILD, REPO, Bench, Row

JUNK = 10_000
JUNK_RATIO = 2.0


def junk_file(stl: Path, target: Path, count: int = JUNK) -> None:
    """``stl`` with ``count`` copies of its signer certificate, each with another serial
    number, before the signer. Made at the byte level (the serial keeps its length, so
    nothing else moves): asn1crypto re-encoding 10k certificates took minutes here."""
    from ctlbuild.ctl import der

    data = stl.read_bytes()
    _t, cs, ce = der.read_tlv(data, 0)  # ContentInfo
    fields = list(der.children(data, cs, ce))  # contentType, [0] content
    _tag, sd_start, sd_end = der.read_tlv(data, fields[1][1])  # SignedData inside [0] EXPLICIT
    parts = [(tag, data[pos:e]) for tag, _s, e, pos in der.children(data, sd_start, sd_end)]
    certs_at = next(i for i, (tag, _b) in enumerate(parts) if tag == 0xA0)
    certs = parts[certs_at][1]
    _t, c_s, c_e = der.read_tlv(certs, 0)
    signer_end = der.read_tlv(certs, c_s, c_e)[2]
    signer = certs[c_s:signer_end]
    junk = [_with_serial(signer, i) for i in range(1, count + 1)]
    parts[certs_at] = (0xA0, der.tlv(0xA0, b"".join(junk) + certs[c_s:c_e]))
    signed_data = der.seq(*(b for _t, b in parts))
    target.write_bytes(der.seq(data[fields[0][3]:fields[0][2]], der.tlv(0xA0, signed_data)))


def _with_serial(cert: bytes, i: int) -> bytes:
    """The certificate with ``i`` added to the last bytes of its serial (same length)."""
    from ctlbuild.ctl import der

    _t, cs, _ce = der.read_tlv(cert, 0)
    _t, ts, _te = der.read_tlv(cert, cs)  # tbsCertificate
    tag, s, e = der.read_tlv(cert, ts)
    if tag == 0xA0:  # [0] version
        tag, s, e = der.read_tlv(cert, e)
    serial = bytearray(cert[s:e])
    low = (int.from_bytes(serial[-3:], "big") + i) % (1 << 24)
    serial[-3:] = low.to_bytes(3, "big")
    return cert[:s] + bytes(serial) + cert[e:]


def junk_verify_rows(bench: Bench) -> list[Row]:
    tmp = bench.tmp
    example = REPO / "examples" / "diginotar-kb2616676.toml"
    bench.run([CTLBUILD, "build", str(example), "--keys", "keys", "-o", "junk-out"], "build for junk row")
    stl = tmp / "junk-out" / "diginotar-kb2616676.stl"
    junked = tmp / "junk-out" / "junk.stl"
    junk_file(stl, junked)
    verify = [CTLBUILD, "verify", "--anchor", "keys/dev-root-ca.pem"]
    runs = bench.interleaved({"plain": verify + [str(stl)], "junk": verify + [str(junked)]}, rounds=3)
    base, run = runs["plain"], runs["junk"]
    return [Row("verify, 2 certificates", 11, base.seconds, base.peak_rss),
            Row(f"verify, {JUNK:,} junk certificates", 11, run.seconds, run.peak_rss, base.seconds,
                "verify, 2 certificates", JUNK_RATIO, note=f"+{run.seconds - base.seconds:.2f} s")]


EXPONENT_JUNK = 1_000
SIGNER_INFOS = 6


def exponent_junk_file(stl: Path, target: Path, count: int = EXPONENT_JUNK, infos: int = SIGNER_INFOS) -> None:
    """Issue 8's CPU case: ``count`` certificates named like the signer's issuer whose RSA keys
    have 3072-bit public exponents (each check with one costs a private-key operation), and the
    SignerInfo repeated ``infos`` times. ``count`` 0 gives the baseline: the same signatures."""
    import random

    from asn1crypto import cms, core, keys, x509

    import ctlbuild.ctl.asn1  # noqa: F401  registers the CTL content type

    rng = random.Random(8)
    info = cms.ContentInfo.load(stl.read_bytes())
    sd = info["content"]
    certs = [c.chosen for c in sd["certificates"]]
    sid = sd["signer_infos"][0]["sid"].chosen
    signer = next(c for c in certs if c.serial_number == sid["serial_number"].native and c.issuer == sid["issuer"])
    junk = []
    for i in range(count):
        tbs = x509.TbsCertificate.load(signer["tbs_certificate"].dump())
        tbs["subject"] = signer.issuer
        tbs["serial_number"] = 900_000 + i
        tbs["subject_public_key_info"] = keys.PublicKeyInfo({
            "algorithm": {"algorithm": "rsa", "parameters": core.Null()},
            "public_key": keys.RSAPublicKey({"modulus": rng.getrandbits(2048) | (1 << 2047) | 1,
                                             "public_exponent": rng.getrandbits(3072) | (1 << 3071) | 1})})
        junk.append(x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": signer["signature_algorithm"],
                                      "signature_value": signer["signature_value"]}))
    sd["certificates"] = [*junk, *certs]
    sd["signer_infos"] = [sd["signer_infos"][0]] * infos
    target.write_bytes(info.dump(force=True))


def _chained_ctl(folder: Path) -> tuple[Path, Path]:
    """The diginotar example signed through root → intermediate → signer (throw-away keys made
    here), so that the junk below competes with a real intermediate, as in issue 8."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.formats.stl import sign_ctl
    from ctlbuild.lists.reader import load_list
    from ctlbuild.oids import Usage
    from ctlbuild.signing.signer import FileSigner

    now = datetime.now(timezone.utc)
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    names = [x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n)]) for n in ("Bench Root", "Bench CA", "Bench Signer")]
    certs = []
    for i, (key, name) in enumerate(zip(keys, names)):
        issuer, issuer_key = (names[i - 1], keys[i - 1]) if i else (name, key)
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
             .serial_number(i + 1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30)))
        b = b.add_extension(x509.BasicConstraints(ca=i < 2, path_length=None), critical=True)
        if i == 2:
            b = b.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(Usage.CTL_SIGNING)]), critical=False)
        certs.append(b.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    ctl = encode_ctl(load_list(REPO / "examples" / "diginotar-kb2616676.toml").trust_list)
    stl = folder / "chained.stl"
    stl.write_bytes(sign_ctl(ctl, FileSigner(keys[2], certs[2], [certs[1]]), signing_time=now))
    anchor = folder / "bench-root.der"
    anchor.write_bytes(certs[0])
    return stl, anchor


def exponent_junk_rows(bench: Bench) -> list[Row]:
    """Issue 8's CPU case beside the same six signatures without the junk, one run:
    within 3x of that baseline (issue 8 also asks <= 2 s on its machine)."""
    folder = bench.tmp / "exponent-junk"
    folder.mkdir(exist_ok=True)
    stl, anchor = _chained_ctl(folder)
    baseline, hostile = folder / "six-signers.stl", folder / "exponent-junk.stl"
    exponent_junk_file(stl, baseline, count=0)
    exponent_junk_file(stl, hostile)
    verify = [CTLBUILD, "verify", "--anchor", str(anchor)]
    runs = bench.interleaved({"six": verify + [str(baseline)], "junk": verify + [str(hostile)]}, rounds=3)
    base, run = runs["six"], runs["junk"]
    label = f"verify, {SIGNER_INFOS} SignerInfos"
    return [Row(label, 11, base.seconds, base.peak_rss),
            Row(f"verify, {EXPONENT_JUNK:,} 3072-bit-exponent certs x {SIGNER_INFOS} SignerInfos", 11, run.seconds,
                run.peak_rss, base.seconds, label, 3.0, note=f"{run.wall:.2f} s wall")]
