"""Thumbprint files: the one-call fast path for plain files reads exactly what the line
reader reads, and hands everything else (and every error) to it."""

import pytest

from ctlbuild.errors import ListError
from ctlbuild.lists.entries import _plain_thumbprints
from ctlbuild.lists.reader import load_list

A, B = "ab" * 20, "cd" * 20


def write_list(tmp_path, text):
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "l.toml"
    path.write_text('name = "l"\nkind = "disallowed"\nthis_update = 2024-01-01\n'
                    '[defaults]\ndisabled_since = 2020-01-01\n[[entry]]\nthumbprints = "t.txt"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("text, count", [(f"{A}\n{B}\n", 2), (f"{A}\n{B}", 2), (f"{A.upper()}\n", 1),
                                         (f"{A}\r\n{B}\r\n", 2), (f"# c\n{A}\n\n{B}  name\n", 2),
                                         (f"{A}\t x\n", 1), ("ab " * 19 + "ab\n", 1)])
def test_plain_and_other_files_read_the_same(tmp_path, text, count):
    entries = load_list(write_list(tmp_path, text)).trust_list.entries
    assert [e.identifier for e in entries] == [bytes.fromhex(A), bytes.fromhex(B)][:count]
    assert all(e.sha1 == e.identifier and e.disabled_since is not None for e in entries)


@pytest.mark.parametrize("text", ["", "\n", f"{A}\n{A}\n", f"{A[:-2]}\n{B}ab\n", f"{A[:-1]} \n{B}\n",
                                  f"{A}\n\n{B}", "zz" * 20 + "\n"])
def test_anything_but_plain_lines_goes_to_the_line_reader(text):
    assert _plain_thumbprints(text, 20) is None


def test_a_duplicate_in_a_plain_file_is_named_by_line(tmp_path):
    with pytest.raises(ListError, match="line 3.*duplicate|duplicate.*line 1"):
        load_list(write_list(tmp_path, f"{A}\n{B}\n{A}\n"))


def _tables_list(tmp_path, before: str = "", after: str = ""):
    (tmp_path / "t.txt").write_text(f"{A}\n{B}\n", encoding="utf-8")
    path = tmp_path / "l.toml"
    path.write_text('name = "l"\nkind = "disallowed"\nthis_update = 2024-01-01\n'
                    '[defaults]\ndisabled_since = 2020-01-01\n' + before
                    + '[[entry]]\nthumbprints = "t.txt"\n' + after, encoding="utf-8")
    return path


def test_a_plain_file_alone_is_one_run_equal_to_its_entries(tmp_path):
    from ctlbuild.model import AlikeEntries, Entry

    entries = load_list(_tables_list(tmp_path)).trust_list.entries
    assert isinstance(entries, AlikeEntries)  # kept whole for the encoder
    assert list(entries) == [Entry(bytes.fromhex(t), sha1=bytes.fromhex(t), disabled_since=entries[0].disabled_since)
                             for t in (A, B)]


@pytest.mark.parametrize("before, after", [
    (f'[[entry]]\nsha1 = "{"ee" * 20}"\nfriendly_name = "x"\n', ""),
    ("", f'[[entry]]\nsha1 = "{"ee" * 20}"\nfriendly_name = "x"\n'),
])
def test_a_run_among_other_tables_reads_as_their_entries(tmp_path, before, after):
    entries = load_list(_tables_list(tmp_path, before, after)).trust_list.entries
    ids = [e.identifier.hex() for e in entries]
    assert ids == (["ee" * 20, A, B] if before else [A, B, "ee" * 20])
    assert [e.friendly_name for e in entries].count("x") == 1


@pytest.mark.parametrize("before, after, first", [
    (f'[[entry]]\nsha1 = "{B}"\n', "", "#1, line 6"),  # an earlier table, repeated in the file
    ("", f'[[entry]]\nsha1 = "{A}"\n', "#1, line 6"),  # the file's entry, repeated by a later table
])
def test_a_run_repeating_another_table_is_refused_naming_the_first(tmp_path, before, after, first):
    with pytest.raises(ListError) as caught:
        load_list(_tables_list(tmp_path, before, after))
    assert "duplicate entry" in str(caught.value) and f"first in entry {first}" in str(caught.value)
