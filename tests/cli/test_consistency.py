"""One spelling per meaning across commands, and help that names real files (issue 12, item 9)."""

from __future__ import annotations

import glob
import json
import re

import click
import pytest
from click.testing import CliRunner

from ctlbuild._cli import COMMANDS, main
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import anchor_paths, fixture


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def all_commands():
    """(command path, click command) for every command and subcommand."""
    ctx = click.Context(main)
    out = []
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        subs = command.commands.items() if isinstance(command, click.Group) else [(None, command)]
        out += [((name, sub) if sub else (name,), cmd) for sub, cmd in subs]
    return out


def options(command) -> dict[str, click.Parameter]:
    return {opt: p for p in command.params for opt in getattr(p, "opts", ())}


COMMAND_IDS = [" ".join(path) for path, _ in all_commands()]


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=COMMAND_IDS)
def test_every_example_path_in_help_exists(path):
    """Paths under examples/ in a command's --help (cwd is the repository root) name real files."""
    text = run(*path, "--help").stdout
    named = re.findall(r"(?<![\w/])examples/[\w./*-]*[\w*]", text)
    for item in named:
        assert glob.glob(item), f"`ctlbuild {' '.join(path)} --help` names {item}, which does not exist"


def test_the_help_examples_are_looked_at():
    texts = "".join(run(*path, "--help").stdout for path, _ in all_commands())
    assert len(set(re.findall(r"examples/[\w./*-]*[\w*]", texts))) >= 4


@pytest.mark.parametrize("path, command", all_commands(), ids=COMMAND_IDS)
def test_json_is_spelled_both_ways_wherever_either_is(path, command):
    found = options(command)
    fmt_json = "--format" in found and "json" in getattr(found["--format"].type, "choices", ())
    if "--json" in found or fmt_json:
        assert "--json" in found and fmt_json, f"ctlbuild {' '.join(path)}: --json and --format json both"


@pytest.mark.parametrize("path, command", all_commands(), ids=COMMAND_IDS)
def test_o_is_a_folder_as_out_dir_and_a_file_as_output(path, command):
    found = options(command)
    if "-o" not in found:
        return
    names = set(found["-o"].opts)
    assert names & {"--out-dir", "--output"} and not names >= {"--out-dir", "--output"}
    folder = isinstance(found["-o"].type, click.Path) and not found["-o"].type.file_okay
    assert ("--out-dir" in names) == folder, f"ctlbuild {' '.join(path)}: -o is {sorted(names)}"


def test_old_spellings_work_but_are_not_shown(tmp_path):
    help_text = run("build", "--help").stdout
    assert "--out-dir OUT" in help_text and "--out " not in help_text and "--out," not in help_text
    result = run("build", "examples/diginotar-kb2607712.toml", "--content-only", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "diginotar-kb2607712.ctl").exists()
    result = run("build", "examples/diginotar-kb2607712.toml", "--content-only", "--out-dir", tmp_path / "b")
    assert result.exit_code == 0 and (tmp_path / "b" / "diginotar-kb2607712.ctl").exists()


def test_the_language_help_does_not_promise_json_where_there_is_none():
    assert "JSON" not in run("changelog", "--help").stdout


def test_show_diff_and_verify_take_both_json_spellings():
    old, new = fixture("authroot-2018-05-18.stl"), fixture("authroot-2018-06-19.stl")
    for args in (["show", "examples/diginotar-kb2607712.toml"], ["diff", old, new],
                 ["verify", new, "--allow-sha1", *(arg for a in anchor_paths() for arg in ("--anchor", a))]):
        one, other = run(*args, "--json"), run(*args, "--format", "json")
        assert one.exit_code == other.exit_code and one.exit_code in (0, 1), one.output
        assert json.loads(one.stdout) == json.loads(other.stdout)
    text = run("verify", new, "--allow-sha1", "--anchor", anchor_paths()[0], "--format", "text")
    assert text.stdout.splitlines()[-1].startswith(str(new))


@pytest.mark.parametrize("args", [["diff", "a", "b", "--json", "--format", "md"],
                                  ["show", "a", "--json", "--format", "text"]])
def test_contradicting_spellings_are_refused(args):
    result = run(*args)
    assert result.exit_code == 2 and "contradict" in result.stderr


@pytest.mark.parametrize("at", ["now", "NOW", "2026-11-01", "2026-11-01T00:00:00Z", "2026-11-01T08:00:00+08:00"])
def test_at_takes_now_a_date_or_a_timestamp(at):
    stl = fixture("authroot-2018-06-19.stl")
    result = run("trust", "cdd4eeae6000ac7f40c3802c171e30148030c072", "--in", stl, "--at", at, "--json")
    assert result.exit_code in (0, 1), result.output
    result = run("status", stl, "--at", at, "--format", "json")
    assert result.exit_code in (0, 1), result.output


def test_verify_at_now(tmp_path, dev_keys):
    listed = tmp_path / "l.toml"
    listed.write_text('name = "l"\nkind = "disallowed"\nthis_update = 2023-12-31\noutputs = ["stl"]\n[[entry]]\n'
                      'sha1 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"\n', encoding="utf-8")
    assert run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
               "--signing-time", SIGNING_TIME).exit_code == 0
    result = run("verify", tmp_path / "out" / "l.stl", "--anchor", dev_keys.root_cert, "--at", "now")
    assert "--at: " not in result.stderr and "validated at" in result.stdout and "from --at" in result.stdout
