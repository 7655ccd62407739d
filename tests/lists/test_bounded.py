"""The list's files within their caps: TOML errors located by rtoml, thumbprint files streamed."""

import pytest

from ctlbuild.errors import ListError
from ctlbuild.lists import bounded
from ctlbuild.lists.bounded import FileProblem, LineError, read_cert_file, thumbprint_file_lines
from ctlbuild.lists.locator import parse_toml


def test_rtoml_error_is_located_by_line():
    with pytest.raises(ListError) as caught:
        parse_toml('name = "x"\nkind = = 2\n', "a.toml")
    assert str(caught.value).startswith("a.toml:2: TOML syntax: ") and "line 2" not in str(caught.value)


def test_thumbprint_lines_strip_bom_and_line_ends(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xef\xbb\xbfab\r\ncd\n\nef")
    assert list(thumbprint_file_lines(path, "t.txt")) == ["ab", "cd", "", "ef"]


def test_a_line_past_the_cap_is_refused_by_number(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "MAX_THUMBPRINT_LINE", 8)
    path = tmp_path / "t.txt"
    path.write_text("12345678\n123456789\n")
    lines = thumbprint_file_lines(path, "t.txt")
    assert next(lines) == "12345678"
    with pytest.raises(LineError) as caught:
        next(lines)
    assert caught.value.line == 2 and "longer than 8 characters" in str(caught.value)


def test_bad_utf8_is_named_by_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"ab\n\xff\xfe\n")
    with pytest.raises(LineError) as caught:
        list(thumbprint_file_lines(path, "t.txt"))
    assert "not UTF-8" in str(caught.value)


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "MAX_THUMBPRINT_FILE", 10)
    path = tmp_path / "t.txt"
    path.write_text("x" * 11)
    with pytest.raises(FileProblem, match="larger than the 10 bytes limit"):
        thumbprint_file_lines(path, "t.txt")


def test_certificate_files_are_capped_even_without_a_size(monkeypatch):
    monkeypatch.setattr(bounded, "MAX_CERT_FILE", 1000)
    with pytest.raises(FileProblem, match="/dev/zero is larger than the 1000 bytes limit"):
        read_cert_file("/dev/zero", "/dev/zero")
    with pytest.raises(FileProblem, match="cannot read nowhere.pem"):
        read_cert_file("/nonexistent/nowhere.pem", "nowhere.pem")
