"""Row for hardened verification: a signed CTL carrying 10,000 junk certificates.

The junk is the signer's own certificate with other serial numbers (parseable, never
the signer): verify must still find the signer by index, not by trying each one.
The same file without the junk is verified in the same run as the baseline.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import CTLBUILD, REPO, Row, _run

JUNK = 10_000


def junk_file(stl: Path, target: Path, count: int = JUNK) -> None:
    from asn1crypto import cms, x509

    import ctlbuild.ctl.asn1  # noqa: F401  registers the CTL content type

    info = cms.ContentInfo.load(stl.read_bytes())
    sd = info["content"]
    signer = sd["certificates"][0].chosen
    serial = signer.serial_number
    junk = []
    for i in range(1, count + 1):
        tbs = x509.TbsCertificate.load(signer["tbs_certificate"].dump())
        tbs["serial_number"] = serial + i
        junk.append(x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": signer["signature_algorithm"],
                                      "signature_value": signer["signature_value"]}))
    sd["certificates"] = [*junk, signer]
    target.write_bytes(info.dump(force=True))


def junk_verify_rows(tmp: Path) -> list[Row]:
    example = REPO / "examples" / "diginotar-kb2616676.toml"
    _run([CTLBUILD, "build", str(example), "--keys", "keys", "-o", "junk-out"], "build for junk row", tmp)
    stl = tmp / "junk-out" / "diginotar-kb2616676.stl"
    junked = tmp / "junk-out" / "junk.stl"
    junk_file(stl, junked)
    verify = [CTLBUILD, "verify", "--anchor", "keys/dev-root-ca.pem"]
    base = _run(verify + [str(stl)], "verify baseline", tmp)
    run = _run(verify + [str(junked)], "verify with junk", tmp)
    return [Row("verify, 2 certificates (baseline)", 11, base.seconds, base.peak_rss, "baseline", True, "-"),
            Row(f"verify, {JUNK:,} junk certificates", 11, run.seconds, run.peak_rss, "<= 3 s",
                run.seconds <= 3, f"{'met' if run.seconds <= 3 else 'MISSED'}; "
                f"+{run.seconds - base.seconds:.2f} s over baseline")]
