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
