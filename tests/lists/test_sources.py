"""read_source: a big signed CTL's header is read from a mapped file, and says what the read
file says."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.errors import FormatError
from ctlbuild.lists import sources
from tests.conftest import SIGNING_TIME


@pytest.fixture
def stl(tmp_path, dev_keys):
    result = CliRunner().invoke(main, ["build", "examples/diginotar-kb2616676.toml", "--keys",
                                       str(dev_keys.root_cert.parent), "-o", str(tmp_path),
                                       "--signing-time", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    return tmp_path / "diginotar-kb2616676.stl"


def _read(path, mapped: bool, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(sources, "_MAP_FROM", 0 if mapped else 1 << 62)
        return sources.read_source(path, entries=False)


def test_mapped_header_equals_the_read_one(stl, monkeypatch):
    mapped, read = _read(stl, True, monkeypatch), _read(stl, False, monkeypatch)
    assert isinstance(mapped.signed.ctl_der, memoryview)  # the mapped path was taken
    assert isinstance(read.signed.ctl_der, bytes)
    assert mapped.trust_list == read.trust_list and not mapped.trust_list.entries
    assert mapped.entry_count == read.entry_count == len(sources.read_source(stl).trust_list.entries) > 0
    assert mapped.signers() == read.signers()
    assert bytes(mapped.signed.content_octets) == bytes(read.signed.content_octets)


@pytest.mark.parametrize("damage", [
    lambda b: b[:-10],  # truncated: the outer length runs past the end
    lambda b: b + b"\0",  # a trailing byte
    lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:],  # a header byte inside the CTL
])
def test_a_damaged_mapped_file_is_refused_as_the_read_one_is(stl, tmp_path, monkeypatch, damage):
    bad = tmp_path / "bad.stl"
    bad.write_bytes(damage(stl.read_bytes()))
    errors = []
    for mapped in (True, False):
        try:
            _read(bad, mapped, monkeypatch)
            errors.append(None)
        except FormatError as exc:
            errors.append(str(exc))
    assert errors[0] == errors[1]


def test_only_signed_ctls_are_mapped(tmp_path, monkeypatch):
    toml = tmp_path / "list.toml"
    toml.write_text('name = "x"\nkind = "disallowed"\n', encoding="utf-8")
    monkeypatch.setattr(sources, "_MAP_FROM", 0)
    assert sources._mapped_signed_ctl(toml) is None
    assert sources._mapped_signed_ctl(tmp_path) is None  # a folder
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    assert sources._mapped_signed_ctl(empty) is None


def _verify(stl, dev_keys, mapped: bool, monkeypatch, *, stdin: bytes | None = None):
    with monkeypatch.context() as m:
        m.setattr(sources, "_MAP_FROM", 0 if mapped else 1 << 62)
        args = ["verify", "-" if stdin is not None else str(stl), "--anchor", str(dev_keys.root_cert), "--json"]
        return CliRunner().invoke(main, args, input=stdin)


def test_verify_maps_a_big_signed_file_and_reports_what_the_read_one_does(stl, dev_keys, monkeypatch):
    monkeypatch.setattr(sources, "_MAP_FROM", 0)
    assert not isinstance(sources.signed_view(stl), bytes)  # mapped
    monkeypatch.undo()
    assert isinstance(sources.signed_view(stl), bytes)  # small: read
    mapped, read = _verify(stl, dev_keys, True, monkeypatch), _verify(stl, dev_keys, False, monkeypatch)
    assert mapped.exit_code == read.exit_code == 0, mapped.output
    assert mapped.output == read.output


@pytest.mark.parametrize("damage", [
    lambda b: b[:-10],  # truncated
    lambda b: b + b"\0",  # a trailing byte
    lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:],  # a header byte inside the CTL
    lambda b: b[:-40] + bytes([b[-40] ^ 0x01]) + b[-39:],  # a signature byte
])
def test_verify_of_a_damaged_mapped_file_says_what_the_read_one_says(stl, dev_keys, tmp_path, monkeypatch,
                                                                     damage):
    bad = tmp_path / "bad.stl"
    bad.write_bytes(damage(stl.read_bytes()))
    mapped, read = _verify(bad, dev_keys, True, monkeypatch), _verify(bad, dev_keys, False, monkeypatch)
    assert mapped.exit_code == read.exit_code != 0
    assert mapped.output == read.output
