"""build --check after the list file was edited says so plainly, and tells an edit of comments
or layout from an edit of what the list says (issue 12, item 6)."""

from __future__ import annotations

from click.testing import CliRunner

from ctlbuild._cli import main
from tests.conftest import SIGNING_TIME

LIST = ('name = "l"\nkind = "disallowed"\nthis_update = 2024-01-01\noutputs = ["stl"]\n[[entry]]\n'
        'sha1 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"\nfriendly_name = "DigiNotar"\n')


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def built(tmp_path, dev_keys):
    listed = tmp_path / "l.toml"
    listed.write_text(LIST, encoding="utf-8")
    args = [listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent]
    assert run("build", *args, "--signing-time", SIGNING_TIME).exit_code == 0
    return listed, args


def test_a_comment_only_edit_is_named_as_such(tmp_path, dev_keys):
    listed, args = built(tmp_path, dev_keys)
    listed.write_text("# reviewed 2024-02-01\n" + LIST.replace(" = ", "   =   "), encoding="utf-8")
    result = run("build", *args, "--check")
    assert result.exit_code == 1
    assert result.stdout == ("DIFFERS manifest.json: the record of l differs (list_sha256): l.toml changed since "
                             "the build, only in its bytes (comments or formatting): what it builds is the same; "
                             "rebuild to record it\n")


def test_an_edit_of_what_the_list_says_is_named_as_such(tmp_path, dev_keys):
    listed, args = built(tmp_path, dev_keys)
    listed.write_text(LIST.replace('"DigiNotar"', '"DigiNotar Root CA"'), encoding="utf-8")
    result = run("build", *args, "--check")
    assert result.exit_code == 1
    assert "l.toml changed since the build, and so did what it says" in result.stdout
    assert "only in its bytes" not in result.stdout


def test_a_build_from_stdin_is_checked_by_the_lists_content(tmp_path, dev_keys):
    """`build - < l.toml` records the list as <stdin>: a check of l.toml (or of `-` against a
    build of l.toml) cannot know whether the names agree, says so, and compares the content."""
    listed = tmp_path / "l.toml"
    listed.write_text(LIST, encoding="utf-8")
    keys = ["-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent]
    piped = CliRunner().invoke(main, ["build", "-", *map(str, keys), "--signing-time", SIGNING_TIME], input=LIST)
    assert piped.exit_code == 0, piped.output
    checked = run("build", listed, *keys, "--check")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("note: manifest.json: l was built from standard input, so which list file "
                                     "it was is unknown; l.toml is compared by its content (list_sha256) only\n")
    assert "DIFFERS" not in checked.stdout

    listed.write_text(LIST.replace('"DigiNotar"', '"DigiNotar Root CA"'), encoding="utf-8")
    edited = run("build", listed, *keys, "--check")
    assert edited.exit_code == 1
    assert "l.toml changed since the build, and so did what it says" in edited.stdout

    assert run("build", listed, *keys, "--signing-time", SIGNING_TIME).exit_code == 0
    again = CliRunner().invoke(main, ["build", "-", *map(str, keys), "--check"],
                               input=LIST.replace('"DigiNotar"', '"DigiNotar Root CA"'))
    assert again.exit_code == 0, again.output
    assert "whether it is the l.toml the record names is unknown" in again.stdout
    other = CliRunner().invoke(main, ["build", "-", *map(str, keys), "--check"], input="# edited\n" + LIST)
    assert other.exit_code == 1
    assert "the list read from standard input is not the one built, and so did what it says" in other.stdout
