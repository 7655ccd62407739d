"""Only the ``-`` a command line gives is standard input. A path ctlbuild makes itself that
pathlib folds into ``-`` (a folder's file named ``-``, a list's ``cert = "-"`` joined to the
list's folder ``.``) is that file: a list is a file anyone may hand you, and what it names
must never turn into a read of whatever is piped in."""

import hashlib
from pathlib import Path

from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.limits import STDIN_PATH, as_path, folder_files, is_stdin
from ctlbuild.signing.keyfiles import load_cert_file

JUNK = b"not a certificate, not a list\n"


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def sha1_shown(pem: Path) -> str:
    """The SHA-1 thumbprint as show prints it (spaced lowercase hex)."""
    return " ".join(f"{b:02x}" for b in hashlib.sha1(load_cert_file(pem)[0]).digest())


def test_a_folders_file_named_dash_is_read_not_standard_input(tmp_path, monkeypatch, dev_keys):
    (tmp_path / "-").write_bytes(dev_keys.root_cert.read_bytes())
    monkeypatch.chdir(tmp_path)
    root, signer = sha1_shown(dev_keys.root_cert), sha1_shown(dev_keys.signer_cert)
    for piped in (JUNK, dev_keys.signer_cert.read_bytes()):
        shown = run("show", ".", input=piped)
        assert shown.exit_code == 0, shown.output
        assert "1 certificate" in shown.stdout and root in shown.stdout and signer not in shown.stdout


def test_a_lists_cert_named_dash_is_read_not_standard_input(tmp_path, monkeypatch, dev_keys):
    (tmp_path / "-").write_bytes(dev_keys.root_cert.read_bytes())
    (tmp_path / "l.toml").write_text('name = "l"\nkind = "trusted"\nthis_update = 2024-01-01\n'
                                     '[[entry]]\ncert = "-"\n')
    monkeypatch.chdir(tmp_path)
    root, signer = sha1_shown(dev_keys.root_cert), sha1_shown(dev_keys.signer_cert)
    for piped in (JUNK, dev_keys.signer_cert.read_bytes()):
        shown = run("show", "l.toml", input=piped)
        assert shown.exit_code == 0, shown.output
        assert root in shown.stdout and signer not in shown.stdout


def test_a_dash_on_the_command_line_still_reads_standard_input(tmp_path, monkeypatch, dev_keys):
    """Even with a file named ``-`` in the current folder to be confused with."""
    (tmp_path / "-").write_bytes(dev_keys.root_cert.read_bytes())
    monkeypatch.chdir(tmp_path)
    shown = run("show", "-", input=dev_keys.signer_cert.read_bytes())
    assert shown.exit_code == 0, shown.output
    assert sha1_shown(dev_keys.signer_cert) in shown.stdout and sha1_shown(dev_keys.root_cert) not in shown.stdout
    assert "<stdin>" in shown.stdout
    junk = run("show", "-", input=JUNK)
    assert junk.exit_code == 2 and "<stdin>" in junk.output


def test_only_the_sentinel_and_the_str_dash_are_standard_input(tmp_path, monkeypatch):
    assert is_stdin(STDIN_PATH) and is_stdin("-") and as_path("-") is STDIN_PATH and as_path(STDIN_PATH) is STDIN_PATH
    # Paths that spell "-" without being the command line's: pathlib's folds and the
    # sentinel's own derivatives (joins, parent) are files.
    for spelled in (Path("-"), Path("./-"), STDIN_PATH.parent / "-", Path(".") / STDIN_PATH, Path(STDIN_PATH)):
        assert str(spelled) == "-" and not is_stdin(spelled) and not is_stdin(as_path(spelled))
    assert not is_stdin(b"-") and not is_stdin("./-") and not is_stdin("<stdin>")
    (tmp_path / "-").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    [found] = folder_files(Path("."))
    assert str(found) == "-" and not is_stdin(found)
