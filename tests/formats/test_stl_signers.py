"""Who signed, as show and diff print it: a signer certificate asn1crypto reads but
cryptography refuses is named as such, never an internal error (a reviewer's fuzzing found
it: one changed byte in a PrintableString of Microsoft's signer certificate)."""

from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.formats.stl import UNPARSED, parse_signed_ctl, signer_facts
from tests.fixtures_ms import fixture
from tests.peers import require_fixtures

#: offset and byte: a PrintableString of the embedded signer certificate made unprintable
FLAW = (890, 0x81)


def _flawed(tmp_path):
    require_fixtures()
    data = bytearray(fixture("disallowedcert-2012-05-30.stl").read_bytes())
    at, byte = FLAW
    data[at] = byte
    path = tmp_path / "flawed.stl"
    path.write_bytes(bytes(data))
    return path


def test_signer_certificate_cryptography_refuses_is_named_not_raised(tmp_path):
    path = _flawed(tmp_path)
    facts = signer_facts(parse_signed_ctl(path.read_bytes()))
    assert [f.subject for f in facts] == [UNPARSED]


def test_show_and_diff_of_it_exit_as_documented(tmp_path):
    path = _flawed(tmp_path)
    shown = CliRunner().invoke(main, ["show", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "Signer:            (certificate does not parse) (sha1)" in shown.output
    diffed = CliRunner().invoke(main, ["diff", str(path), str(fixture("disallowedcert-2012-05-30.stl"))])
    assert diffed.exit_code == 1, diffed.output
