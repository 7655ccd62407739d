"""build's .sst and .cab beside the .stl, and readers that refuse bad containers cleanly."""

import json
import struct

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.formats.cab import read_cab, write_cab
from ctlbuild.formats.sst import read_sst
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import fixture
from tests.peers import MICROSOFT

TRUSTED = f'''name = "roots"
kind = "trusted"
this_update = 2024-01-01T00:00:00Z
sst_include_ctl = true

[[entry]]
cert = "{MICROSOFT}/certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt"
friendly_name = "Microsoft Root Certificate Authority"
ekus = ["server_auth", "code_signing"]
disabled_since = 2021-08-01

[[entry]]
sha1 = "c060ed44cbd881bd0ef86c0ba287ddcf8167478c"
friendly_name = "DigiNotar Root CA"
'''


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def built(tmp_path, dev_keys):
    fixture("certs")  # needs the shared fixtures
    listed = tmp_path / "roots.toml"
    listed.write_text(TRUSTED)
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    return tmp_path / "out", result


def test_all_three_outputs_and_manifest(built):
    out, result = built
    stl = (out / "roots.stl").read_bytes()
    assert read_cab((out / "rootsstl.cab").read_bytes()) == [("roots.stl", stl)]
    store = read_sst((out / "roots.sst").read_bytes())
    assert len(store.certificates) == 1 and store.ctls[0].der == stl
    props = {p.prop_id: p.value for p in store.certificates[0].properties}
    assert props[11] == "Microsoft Root Certificate Authority\0".encode("utf-16-le")
    assert props[3].hex() == "cdd4eeae6000ac7f40c3802c171e30148030c072"
    assert {9, 104, 20, 29, 98} <= set(props)
    manifest = json.loads((out / "manifest.json").read_text())["lists"]["roots"]
    assert set(manifest["outputs"]) == {"roots.stl", "roots.sst", "rootsstl.cab"}
    assert manifest["ctl_only_entries"] == 1
    assert "CTL only (no certificate, so not in the .sst): DigiNotar Root CA" in result.stderr


def test_cab_is_reproducible_from_this_update(built, tmp_path, dev_keys):
    out, _ = built
    again = tmp_path / "again"
    result = run("build", tmp_path / "roots.toml", "-o", again, "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0
    assert (again / "rootsstl.cab").read_bytes() == (out / "rootsstl.cab").read_bytes()
    # DOS date in the CFFILE entry: 2024-01-01 from this_update, not the clock.
    cab = (out / "rootsstl.cab").read_bytes()
    date = struct.unpack_from("<H", cab, 36 + 8 + 10)[0]  # CFHEADER, CFFOLDER, then CFFILE.date
    assert ((date >> 9) + 1980, (date >> 5) & 0xF, date & 0x1F) == (2024, 1, 1)


def test_outputs_are_chosen_by_the_list(tmp_path, dev_keys):
    fixture("certs")  # the list names a fixture certificate
    listed = tmp_path / "only.toml"
    listed.write_text(TRUSTED.replace('name = "roots"', 'name = "only"\noutputs = ["stl"]'))
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["manifest.json", "only.stl"]


def test_show_and_verify_read_the_cab(built, dev_keys):
    out, _ = built
    assert "Entries:           2" in run("show", out / "rootsstl.cab").stdout
    result = run("verify", out / "rootsstl.cab", "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME)
    assert result.exit_code == 0, result.output


def _cab_with(members):
    from cabarchive import CabArchive, CabFile
    arc = CabArchive()
    for name, data in members:
        arc[name] = CabFile(data)
    return arc.save(compress=True)


@pytest.mark.parametrize("make, message", [
    (lambda: _cab_with([("readme.txt", b"hello")]), "no .stl member"),
    (lambda: _cab_with([("a.stl", b"\x30\x00"), ("b.stl", b"\x30\x00")]), "2 .stl members"),
    (lambda: fixture("rootsupd-roots.sst").read_bytes()[:1000], "truncated: element 0x20 at byte 162"),
    (lambda: fixture("rootsupd-roots.sst").read_bytes()[:8] + struct.pack("<III", 3, 1, 0xFFFFFFF0) + b"x" * 80,
     "truncated: element 0x3 at byte 8 needs"),
    (lambda: fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt").read_bytes()
     + b"garbage here\n" + fixture("certs/3B1EFD3A66EA28B16697394703A72CA340A05BD5.crt").read_bytes(),
     "unexpected text between PEM blocks"),
])
def test_bad_containers_are_one_line_and_write_nothing(tmp_path, make, message):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(make())
    for args in (["show", bad], ["import", bad, "-o", tmp_path / "l.toml", "--this-update", "2024-01-01"]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(bad) in lines[0] and message in lines[0], lines
    assert not (tmp_path / "l.toml").exists() and not (tmp_path / "certs").exists()


def test_folder_with_a_non_certificate(tmp_path):
    folder = tmp_path / "roots"
    folder.mkdir()
    (folder / "a.crt").write_bytes(fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt").read_bytes())
    (folder / "notes.txt").write_text("just notes")
    result = run("import", folder, "-o", tmp_path / "l.toml", "--this-update", "2024-01-01")
    assert result.exit_code == 2 and "notes.txt" in result.stderr
    assert not (tmp_path / "l.toml").exists()


def test_write_cab_round_trip():
    data = b"\x30\x03\x02\x01\x01" * 1000
    from datetime import datetime, timezone
    cab = write_cab("x.stl", data, datetime(2020, 2, 3, 4, 5, 6, tzinfo=timezone.utc))
    assert read_cab(cab) == [("x.stl", data)]
