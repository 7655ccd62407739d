"""A file cut short gets one message from every reader (issue 12, item 8):
"FILE: truncated: element at byte N needs M bytes, file has K"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.errors import TruncatedError
from ctlbuild.formats.sst import read_sst
from tests.fixtures_ms import anchor_paths, fixture

THUMBPRINT = "2e03931cd19c3ff5985fb87aadc153eb5dbdf1e3"


def _readers(bad, good, tmp_path):
    return {
        "verify": ["verify", bad, "--anchor", anchor_paths()[0]],
        "show": ["show", bad],
        "show --json": ["show", bad, "--json"],
        "diff old": ["diff", bad, good],
        "diff new": ["diff", good, bad],
        "import": ["import", bad, "-o", tmp_path / "l.toml"],
        "changelog": ["changelog", good, bad],
        "history": ["history", good, bad],
        "status": ["status", bad],
        "trust": ["trust", THUMBPRINT, "--in", bad],
        "export": ["export", bad, "--to", "json", "-o", tmp_path / "x.json"],
    }


def _messages(bad, good, tmp_path):
    out = {}
    for name, args in _readers(bad, good, tmp_path).items():
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 2, (name, result.output)
        out[name] = result.stderr
    return out


@pytest.mark.parametrize("cut", [5, 2000, 60000, 129000])
def test_a_truncated_stl_gets_one_message_from_every_reader(tmp_path, cut):
    good = fixture("authroot-2018-05-18.stl")
    bad = tmp_path / "authroot.stl"
    bad.write_bytes(good.read_bytes()[:cut])
    expected = f"ctlbuild: error: {bad}: truncated: element at byte 0 needs {good.stat().st_size} bytes, " \
               f"file has {cut}\n"
    assert _messages(bad, good, tmp_path) == dict.fromkeys(_readers(bad, good, tmp_path), expected)


def test_a_truncated_cabinet_gets_one_message_from_every_reader(tmp_path):
    good = fixture("disallowedcertstl-2012-05-30.cab")
    bad = tmp_path / "d.cab"
    bad.write_bytes(good.read_bytes()[:3000])
    expected = f"ctlbuild: error: {bad}: truncated: cabinet at byte 0 needs {good.stat().st_size} bytes, " \
               "file has 3000\n"
    assert set(_messages(bad, fixture("disallowedcert-2012-05-30.stl"), tmp_path).values()) == {expected}


def test_a_truncated_store_says_which_element_falls_short():
    data = fixture("rootsupd-roots.sst").read_bytes()[:2000]
    with pytest.raises(TruncatedError, match=r"truncated: element 0x20 at byte 1815 needs 1058 bytes, "
                                             r"file has 185 from there") as caught:
        read_sst(data)
    assert caught.value.offset == 1815


def test_a_truncated_certificate_is_called_truncated(tmp_path):
    der = tmp_path / "root.der"
    from ctlbuild.formats.certificates import load_certificates
    der.write_bytes(load_certificates(anchor_paths()[0].read_bytes())[0][:500])
    result = CliRunner().invoke(main, ["verify", str(fixture("authroot-2018-05-18.stl")), "--anchor", str(der)])
    assert result.exit_code == 2 and f"{der}: truncated: element at byte 0 needs" in result.stderr


@pytest.mark.parametrize("data, truncated", [(b"\x30", True), (b"\x30\x82\x01", True), (b"\x30\x05ab", True),
                                             (b"\x30\x80ab", False), (b"\x30\x85\x01\x02\x03\x04\x05ab", False),
                                             (b"\x30\x02ab", False)])
def test_only_a_file_that_ends_early_is_called_truncated(data, truncated):
    from ctlbuild.ctl.der import check_whole
    if truncated:
        with pytest.raises(TruncatedError):
            check_whole(data, "x")
    else:
        check_whole(data, "x")  # malformed or whole: the parsers say what is wrong with it
