"""ctlbuild.limits and the DER shape check every signed-CTL read starts with."""

import os
from pathlib import Path

import pytest

from ctlbuild.ctl import der
from ctlbuild.limits import TooBig, describe, read_capped


def test_read_capped_refuses_a_regular_file_by_its_size(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 101)
    assert read_capped(path, 101) == b"x" * 101
    with pytest.raises(TooBig) as caught:
        read_capped(path, 100)
    assert caught.value.size == 101 and str(caught.value) == "larger than the 100 bytes limit"


def test_read_capped_stops_reading_an_endless_file():
    with pytest.raises(TooBig):
        read_capped("/dev/zero", 1 << 20)


def test_read_capped_reads_a_pipe_up_to_the_cap():
    r, w = os.pipe()
    os.write(w, b"abc")
    os.close(w)
    assert read_capped(f"/proc/self/fd/{r}", 3) == b"abc"
    os.close(r)


def test_describe():
    assert describe(64 << 20) == "64 MiB" and describe(4096) == "4096 bytes"


def nest(depth: int) -> bytes:
    out = b"\x05\x00"
    for _ in range(depth):
        out = der.seq(out)
    return out


def test_check_shape_depth_and_elements():
    der.check_shape(nest(10), 0, len(nest(10)), max_depth=10, max_elements=11)
    with pytest.raises(der.DerLimitError, match="nested deeper than 9"):
        der.check_shape(nest(10), 0, len(nest(10)), max_depth=9, max_elements=100)
    with pytest.raises(der.DerLimitError, match="more than 10 DER elements"):
        der.check_shape(nest(10), 0, len(nest(10)), max_depth=99, max_elements=10)


def test_check_shape_skips_the_element_it_is_told_to():
    data = der.seq(nest(50), der.integer(1))
    # the inner 50 levels start at offset 2; counted as one element, not entered
    der.check_shape(data, 0, len(data), max_depth=2, max_elements=3, skip_at=2)


def test_check_shape_walks_siblings_after_a_nested_one():
    # 4 levels in the first child, 5 in the second: the walk must come back up and go down again
    data = der.seq(der.seq(der.seq(der.seq())), der.seq(der.integer(1), der.seq(der.seq(der.seq()))))
    with pytest.raises(der.DerLimitError) as caught:
        der.check_shape(data, 0, len(data), max_depth=4, max_elements=99)
    assert caught.value.offset > 8  # in the second child
    der.check_shape(data, 0, len(data), max_depth=5, max_elements=99)


def test_a_file_named_stdin_is_read_as_a_file(tmp_path, monkeypatch):
    """``<stdin>`` is only how messages name standard input; ``-`` alone reads it."""
    import io
    import sys

    from click.testing import CliRunner

    from ctlbuild._cli import main
    from ctlbuild.limits import is_stdin

    toml = Path("examples/diginotar-kb2607712.toml").read_bytes()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "<stdin>").write_bytes(b"from the file")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin")))
    assert not is_stdin("<stdin>") and is_stdin("-")
    assert read_capped("<stdin>", 100) == b"from the file"
    (tmp_path / "<stdin>").write_bytes(toml)
    shown = CliRunner().invoke(main, ["show", "--json", "<stdin>"], input=b"not a list")
    assert shown.exit_code == 0, shown.output
    assert '"file": "<stdin>"' in shown.stdout and "DigiNotar" in shown.stdout


def test_check_shape_skips_several_elements():
    """The envelope walk leaves both the CTL and SignedData.certificates out (issue 11)."""
    first, second = nest(50), nest(40)
    data = der.seq(first, der.integer(1), second)
    at = der.read_tlv(data, 0)[1]  # where the first child starts
    der.check_shape(data, 0, len(data), max_depth=2, max_elements=4, skip_at=at, skip=(at + len(first) + 3,))
    with pytest.raises(der.DerLimitError, match="nested deeper than 2"):
        der.check_shape(data, 0, len(data), max_depth=2, max_elements=99, skip_at=at)


def test_check_shape_of_a_part_is_held_to_the_whole_files_depth():
    """A part walked on its own at ``depth`` gives the verdict, and the words, of the whole walk."""
    inner = nest(7)
    data = der.seq(der.seq(der.seq(inner)))  # inner starts 3 levels down, at offset 6
    for limit in (9, 10, 11):
        whole = part = None
        try:
            der.check_shape(data, 0, len(data), max_depth=limit, max_elements=99)
        except der.DerLimitError as exc:
            whole = (str(exc), exc.offset)
        try:
            der.check_shape(data, 6, len(data), max_depth=limit, max_elements=99, depth=3)
        except der.DerLimitError as exc:
            part = (str(exc), exc.offset)
        assert whole == part, limit
    assert whole is None and part is None  # 10 levels in all: only 9 refuses


def test_a_file_named_dash_is_reached_as_dot_slash_dash(tmp_path, monkeypatch, dev_keys):
    """pathlib folds ``./-`` into ``-``; the command line keeps it the file of that name,
    for reading (show) and for writing (extract -o), while ``-`` stays standard input."""
    from click.testing import CliRunner

    from ctlbuild._cli import main

    toml = Path("examples/diginotar-kb2607712.toml").resolve()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_bytes(toml.read_bytes())
    runner = CliRunner()
    from_file = runner.invoke(main, ["show", "--json", "./-"], input=b"not a list")
    assert from_file.exit_code == 0, from_file.output
    assert "DigiNotar" in from_file.stdout and str(tmp_path / "-") in from_file.stdout
    from_stdin = runner.invoke(main, ["show", "--json", "-"], input=b"not a list")
    assert from_stdin.exit_code == 2 and "<stdin>" in from_stdin.output
    (tmp_path / "-").unlink()
    built = runner.invoke(main, ["build", str(toml), "-o", "out", "--keys", str(dev_keys.signer_key.parent),
                                 "--signing-time", "2024-01-01T00:00:00Z"])
    assert built.exit_code == 0, built.output
    stl = next((tmp_path / "out").glob("*.stl"))
    written = runner.invoke(main, ["extract", str(stl), "--content", "-o", "./-"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "-").stat().st_size > 0 and written.stdout == ""


def test_read_capped_reads_a_file_whose_size_says_nothing(tmp_path):
    """/proc files are regular with st_size 0: they are read whole all the same, under the limit.
    (read_capped asks for the size fstat gives plus one, and reads on when there is more.)"""
    import os

    from ctlbuild.limits import TooBig, read_capped

    status = "/proc/self/status"
    if not os.path.exists(status) or os.stat(status).st_size != 0:
        pytest.skip("no /proc with size-0 files here")
    data = read_capped(status, 1 << 20)
    assert b"Name:" in data and len(data) > 100
    with pytest.raises(TooBig):
        read_capped(status, 10)
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_capped(path, 100) == b"x" * 100
    with pytest.raises(TooBig):
        read_capped(path, 99)
