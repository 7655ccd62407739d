"""Development keys: a chosen validity, early enough by default for the README's reproducible
build of the 2011 DigiNotar lists; --force replaces old keys; too-young keys name the remedy."""

import os
from datetime import datetime, timezone

from click.testing import CliRunner
from cryptography import x509

from ctlbuild._cli import main
from ctlbuild.signing.devkeys import DevKeyPaths

EPOCH_2011 = "1315872000"  # the README's SOURCE_DATE_EPOCH: 2011-09-13T00:00:00Z


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def validity(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def test_default_keys_are_valid_from_2000_for_fifty_years(tmp_path):
    result = run("keys", "init", "--dir", tmp_path / "keys")
    assert result.exit_code == 0, result.output
    paths = DevKeyPaths.in_dir(tmp_path / "keys")
    expected = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2050, 1, 1, tzinfo=timezone.utc))
    assert validity(paths.root_cert) == validity(paths.signer_cert) == expected
    assert "valid 2000-01-01T00:00:00Z .. 2050-01-01T00:00:00Z" in result.stdout


def test_not_before_and_days_choose_the_validity(tmp_path):
    result = run("keys", "init", "--dir", tmp_path, "--algorithm", "ec", "--not-before", "2011-01-01",
                 "--days", "365")
    assert result.exit_code == 0, result.output
    start, end = validity(DevKeyPaths.in_dir(tmp_path).signer_cert)
    assert (start.isoformat(), end.isoformat()) == ("2011-01-01T00:00:00+00:00", "2012-01-01T00:00:00+00:00")


def test_bad_validity_is_a_usage_error(tmp_path):
    for args, words in ((["--days", "0"], "at least one day"),
                        (["--not-before", "2011-01-01T00:00:00"], "no time zone"),
                        (["--not-before", "yesterday"], "not an ISO 8601")):
        result = run("keys", "init", "--dir", tmp_path, *args)
        assert result.exit_code == 2 and words in result.stderr, result.output
        assert not list(tmp_path.iterdir())  # nothing written


def test_too_young_keys_name_the_remedy_and_force_replaces_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.toml").write_text('name = "young"\nkind = "disallowed"\nthis_update = 2011-09-13\n'
                                        '[[entry]]\nsha1 = "' + "ab" * 20 + '"\n')
    # What an older ctlbuild made: keys that start on the day they were made.
    assert run("keys", "init", "--algorithm", "ec", "--not-before", "2026-01-01").exit_code == 0
    result = run("build", "list.toml", env={"SOURCE_DATE_EPOCH": EPOCH_2011})
    assert result.exit_code == 2
    line, = result.stderr.splitlines()
    assert "outside the development signer certificate's validity" in line
    assert "ctlbuild keys init --force" in line
    refused = run("keys", "init", "--algorithm", "ec")
    assert refused.exit_code == 2 and "--force" in refused.stderr
    old = (tmp_path / "keys" / "dev-signer.pem").read_bytes()
    assert run("keys", "init", "--algorithm", "ec", "--force").exit_code == 0
    assert (tmp_path / "keys" / "dev-signer.pem").read_bytes() != old
    assert run("build", "list.toml", env={"SOURCE_DATE_EPOCH": EPOCH_2011}).exit_code == 0


def test_force_replaces_a_link_without_following_it(tmp_path):
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys, "--algorithm", "ec").exit_code == 0
    target = tmp_path / "elsewhere.key"
    target.write_text("not yours\n")
    (keys / "dev-signer.key").unlink()
    (keys / "dev-signer.key").symlink_to(target)
    assert run("keys", "init", "--dir", keys, "--algorithm", "ec", "--force").exit_code == 0
    assert target.read_text() == "not yours\n"
    assert not (keys / "dev-signer.key").is_symlink()
    assert (keys / "dev-signer.key").stat().st_mode & 0o777 == 0o600


def test_force_that_fails_part_way_keeps_the_old_keys_whole(tmp_path):
    # The new set is written beside the old one and renamed in only once whole: a write that
    # fails (here a name planted where the last new file goes) leaves the old four files.
    keys = tmp_path / "keys"
    assert run("keys", "init", "--dir", keys, "--algorithm", "ec").exit_code == 0
    before = {p.name: p.read_bytes() for p in DevKeyPaths.in_dir(keys).all()}
    (keys / f".dev-signer.pem.new-{os.getpid()}").write_text("planted\n")
    result = run("keys", "init", "--dir", keys, "--algorithm", "ec", "--force")
    assert result.exit_code == 2 and "dev-signer.pem.new" in result.output
    assert {p.name: p.read_bytes() for p in DevKeyPaths.in_dir(keys).all()} == before
    assert sorted(p.name for p in keys.iterdir() if ".new-" in p.name) == [f".dev-signer.pem.new-{os.getpid()}"]
