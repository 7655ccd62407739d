"""Lists read together (``shared_entries``, what ``changelog`` reads a history in) share one
Entry per identical [[entry]] table, and read exactly as each does alone: every check,
every mistake with its file and line, [defaults] and the subject algorithm respected."""

from pathlib import Path

import pytest

from ctlbuild.errors import ListError
from ctlbuild.lists.entries import shared_entries
from ctlbuild.lists.reader import load_list

A = "c0" * 20
B = "d1" * 20
HEAD = 'name = "{name}"\nkind = "disallowed"\nthis_update = 2024-01-0{day}T00:00:00Z\n'


def write(folder: Path, name: str, body: str, day: int = 1) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(HEAD.format(name=name, day=day) + body, encoding="utf-8")
    return path


def table(sha1: str, **fields) -> str:
    lines = ["[[entry]]", f'sha1 = "{sha1}"']
    lines += [f"{key} = {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def entries_of(*paths: Path, shared: bool):
    if not shared:
        return [load_list(p).trust_list.entries for p in paths]
    with shared_entries():
        return [load_list(p).trust_list.entries for p in paths]


def test_a_repeated_table_is_one_entry_and_reads_as_alone(tmp_path):
    same = table(A, friendly_name='"CA A"', updates='["KB1"]', disabled_since="2020-01-01")
    one = write(tmp_path, "one", same + table(B, issuer='"Root"'))
    two = write(tmp_path, "two", table(B, issuer='"Root"', disabled_since="2021-01-01") + same, day=2)
    shared = entries_of(one, two, shared=True)
    assert shared == entries_of(one, two, shared=False)
    assert shared[1][1] is shared[0][0]  # the same table: the same (immutable) Entry
    assert shared[1][0] is not shared[0][1] and shared[1][0].disabled_since != shared[0][1].disabled_since


@pytest.mark.parametrize("first, second", [
    ('disabled_since = 2020-01-01', 'disabled_since = 2020-01-01T00:00:00Z'),  # a date, a date-time
    ('updates = ["KB1"]', 'updates = "KB1"'),
    ('friendly_name = "x"', 'friendly_name = "x"\nissuer = "y"'),
])
def test_tables_that_differ_are_read_each_on_their_own(tmp_path, first, second):
    one = write(tmp_path, "one", f'[[entry]]\nsha1 = "{A}"\n{first}\n')
    two = write(tmp_path, "two", f'[[entry]]\nsha1 = "{A}"\n{second}\n', day=2)
    assert entries_of(one, two, shared=True) == entries_of(one, two, shared=False)


def test_defaults_are_part_of_what_a_table_means(tmp_path):
    same = table(A, friendly_name='"CA A"')
    one = write(tmp_path, "one", "[defaults]\ndisabled_since = 2020-01-01\n" + same)
    two = write(tmp_path, "two", "[defaults]\ndisabled_since = 2022-01-01\n" + same, day=2)
    first, second = entries_of(one, two, shared=True)
    assert first[0].disabled_since != second[0].disabled_since
    assert [first, second] == entries_of(one, two, shared=False)


def test_the_subject_algorithm_is_part_of_what_a_table_means(tmp_path):
    body = f'[[entry]]\nsha1 = "{A}"\nsha256 = "{"ab" * 32}"\n'
    one = write(tmp_path, "one", body)
    two = write(tmp_path, "two", 'subject_algorithm = "sha256"\n' + body, day=2)
    first, second = entries_of(one, two, shared=True)
    assert first[0].identifier == bytes.fromhex(A) and second[0].identifier == bytes.fromhex("ab" * 32)


def error_of(path: Path) -> str:
    with pytest.raises(ListError) as caught:
        load_list(path)
    return str(caught.value)


def test_every_list_is_still_checked_whole(tmp_path):
    same = table(A, friendly_name='"CA A"')
    good = write(tmp_path, "good", same)
    twice = write(tmp_path, "twice", same + "\n" + same, day=2)
    unknown = write(tmp_path, "unknown", same + 'colour = "red"\n', day=3)
    alone = [error_of(twice), error_of(unknown)]
    assert "twice.toml:8: entry CA A: duplicate entry c0c0" in alone[0] and "(first in entry #1, line 4)" in alone[0]
    assert "unknown.toml:7: entry #1: colour: unknown key" in alone[1]
    with shared_entries():
        load_list(good)
        assert [error_of(twice), error_of(unknown)] == alone


def test_a_table_that_fails_is_never_remembered(tmp_path):
    bad = write(tmp_path, "bad", table(A, disabled_since='"someday"'))
    again = write(tmp_path, "again", table(A, disabled_since='"someday"'), day=2)
    alone = [error_of(bad), error_of(again)]
    assert "again.toml:6: entry #1: disabled_since: 'someday' is not an ISO 8601" in alone[1]
    with shared_entries():
        assert [error_of(bad), error_of(again)] == alone


def test_tables_of_other_values_are_read_as_ever(tmp_path):
    # A translation (a table) or raw attributes are not remembered; reading them is unchanged.
    body = table(A, l10n='{ "zh-CN" = { friendly_name = "甲" } }')
    one, two = write(tmp_path, "one", body), write(tmp_path, "two", body, day=2)
    shared = entries_of(one, two, shared=True)
    assert shared == entries_of(one, two, shared=False) and shared[0][0] is not shared[1][0]
    assert shared[1][0].display("friendly_name", "zh-CN") == "甲"


def test_outside_the_scope_nothing_is_shared(tmp_path):
    path = write(tmp_path, "one", table(A))
    with shared_entries():
        inside = load_list(path).trust_list.entries[0]
        with shared_entries():  # nested: the same scope
            assert load_list(path).trust_list.entries[0] is inside
    assert load_list(path).trust_list.entries[0] is not inside


def test_a_history_is_read_in_one_scope(tmp_path):
    from ctlbuild.reports.changelog import changelog_for, read_versions

    same = table(A, friendly_name='"CA A"')
    write(tmp_path, "one", same)
    two = write(tmp_path, "two", 'previous = ["one.toml"]\n' + same + table(B), day=2)
    for versions in (read_versions([two]), read_versions([tmp_path / "one.toml", two])):
        assert versions[1].entries[0] is versions[0].entries[0]
    # The list given was read before: the releases changelog_for reads share with each other.
    three = write(tmp_path, "three", 'previous = ["two.toml"]\n' + same, day=3)
    versions = changelog_for(load_list(three))
    assert versions[1].entries[0] is versions[0].entries[0] and versions == read_versions([three])
