"""Declarative lists: what they build, and every mistake named with file, line and key."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ctlbuild.errors import ListError
from ctlbuild.lists.reader import load_list
from ctlbuild.oids import HashAlg, Usage
from ctlbuild.timeutil import Filetime
from tests.peers import DIGINOTAR, MICROSOFT, require_fixtures

HEAD = '''name = "t"
kind = "disallowed"
this_update = 2011-08-29T00:00:00Z
'''
C060 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"


def write(tmp_path: Path, text: str, name="list.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text) -> str:
    with pytest.raises(ListError) as caught:
        load_list(write(tmp_path, text))
    return str(caught.value)


def test_minimal_list_defaults(tmp_path):
    tl = load_list(write(tmp_path, HEAD + f'[[entry]]\nsha1 = "{C060}"\n')).trust_list
    assert tl.usages == (Usage.DISALLOWED_LIST,)
    assert tl.subject_algorithm == HashAlg.SHA1
    assert tl.entries[0].identifier.hex() == C060.replace(" ", "")
    assert tl.sequence == 129590496000000000  # FILETIME of this_update, as disallowedcert.stl


@pytest.mark.parametrize("spelling", [C060, C060.upper().replace(" ", ":"), C060.replace(" ", ""),
                                      C060.upper().replace(" ", "")])
def test_thumbprint_spellings(tmp_path, spelling):
    tl = load_list(write(tmp_path, HEAD + f'[[entry]]\nsha1 = "{spelling}"\n')).trust_list
    assert tl.entries[0].identifier == bytes.fromhex(C060.replace(" ", ""))


def test_defaults_and_entry_attributes(tmp_path):
    text = HEAD + '''next_update = 2012-08-29
[defaults]
disabled_since = 2011-08-29
ekus = ["server_auth", "1.3.6.1.5.5.7.3.2"]
[[entry]]
sha1 = "%s"
friendly_name = "DigiNotar Root CA"
not_before = ""
updates = ["KB2607712"]
''' % C060
    tl = load_list(write(tmp_path, text)).trust_list
    e = tl.entries[0]
    assert e.disabled_since == Filetime.from_datetime(datetime(2011, 8, 29, tzinfo=timezone.utc))
    assert e.not_before == Filetime(None)
    assert e.ekus == ("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")
    assert e.updates == ("KB2607712",)
    assert tl.next_update == datetime(2012, 8, 29, tzinfo=timezone.utc)


def test_thumbprints_file_with_names_and_comments(tmp_path):
    (tmp_path / "t.txt").write_text(
        "# comment\n\n" + C060 + " DigiNotar Root CA\n"
        "43D9BCB568E039D073A74A71D8511F7476089CC3\n"
        "b5:33:34:5d:06:f6:45:16:40:3c:00:da:03:18:7d:3b:fe:f5:91:56 Overheid  # trailing\n")
    tl = load_list(write(tmp_path, HEAD + '[defaults]\nupdates = ["KB1"]\n[[entry]]\nthumbprints = "t.txt"\n')).trust_list
    assert [e.friendly_name for e in tl.entries] == ["DigiNotar Root CA", None, "Overheid"]
    assert all(e.updates == ("KB1",) for e in tl.entries)


def test_cert_entries_compute_microsoft_hashes(tmp_path):
    require_fixtures()
    sha1 = "CDD4EEAE6000AC7F40C3802C171E30148030C072"
    text = HEAD.replace("disallowed", "trusted") + f'[[entry]]\ncert = "{MICROSOFT}/certs/{sha1}.crt"\nsha1 = "{sha1}"\n'
    e = load_list(write(tmp_path, text)).trust_list.entries[0]
    assert e.identifier.hex().upper() == sha1
    assert e.sha256 and e.key_id and e.subject_name_md5  # trusted lists carry them, as authroot does
    assert e.issuer == "Microsoft Root Certificate Authority"


def test_disallowed_hash_list_from_certificate_folder(tmp_path):
    require_fixtures()
    text = HEAD + f'subject_algorithm = "disallowed_hash"\n[[entry]]\ncerts = "{DIGINOTAR}"\n'
    tl = load_list(write(tmp_path, text)).trust_list
    assert tl.subject_algorithm == HashAlg.DISALLOWED_HASH
    assert {e.identifier.hex() for e in tl.entries} == {"37392e833dc605dd7b38244739939ee3",
                                                         "2118a4c6f718cfc7d6d8788c5374d329"}
    assert all(e.sha256 is None for e in tl.entries)  # disallowed lists: identifiers only by default


@pytest.mark.parametrize("text, expected", [
    (HEAD + "colour = 1\n", "list.toml:4: colour: unknown key"),
    (HEAD + "this_updat = 2011-01-01\n", "did you mean 'this_update'?"),
    (HEAD + '[[entry]]\nsha1 = "c0 60"\n', "list.toml:5: entry #1"),
    (HEAD + '[[entry]]\nsha1 = "zz"\n', "not hexadecimal"),
    (HEAD + '[[entry]]\nsha1 = "%s"\n[[entry]]\nsha1 = "%s"\n' % (C060, C060), "list.toml:6"),
    (HEAD + '[[entry]]\nsha1 = "%s"\nfriendly_nam = "x"\n' % C060, "list.toml:6: entry #1: friendly_nam: unknown key (did you mean 'friendly_name'?)"),
    (HEAD + "next_update = 2010-01-01\n[[entry]]\nsha1 = \"%s\"\n" % C060, "list.toml:4: next_update: must be after this_update"),
    (HEAD + '[[entry]]\nsha1 = "%s"\nekus = ["server_oth"]\n' % C060, "list.toml:6: entry #1: ekus: unknown EKU 'server_oth'"),
    (HEAD + '[[entry]]\nsha1 = "%s"\ndisabled_since = 2011-08-29T10:00:00\n' % C060, "no time zone"),
    (HEAD + '[[entry]]\ncert = "missing.pem"\n', "list.toml:5: entry #1: cert: cannot read missing.pem"),
    (HEAD + '[[entry]]\nfriendly_name = "x"\n', "needs cert, certs, thumbprints or sha1"),
    ('name = "t"\nkind = "distrusted"\nthis_update = 2011-01-01\n', "list.toml:2: kind: must be one of"),
    ('name = "t"\nkind = "trusted"\n', "missing required key 'this_update'"),
    (HEAD + "[[entry]\n", "list.toml:4: TOML syntax"),
    (HEAD, "no entries"),
])
def test_mistakes_are_located(tmp_path, text, expected):
    assert expected in error_of(tmp_path, text)


def test_duplicate_names_first_occurrence(tmp_path):
    text = HEAD + '[[entry]]\nsha1 = "%s"\n[[entry]]\nsha1 = "%s"\n' % (C060, C060.upper())
    message = error_of(tmp_path, text)
    assert "duplicate entry c060ed44" in message and "first in entry #1, line 4" in message


def test_sha1_must_match_its_certificate(tmp_path):
    require_fixtures()
    cert = sorted(DIGINOTAR.glob("*.crt"))[0]
    message = error_of(tmp_path, HEAD + f'[[entry]]\ncert = "{cert}"\nsha1 = "{"00" * 20}"\n')
    assert "list.toml:6: entry DigiNotar Root CA G2: sha1:" in message
    assert "does not match the certificate" in message


def test_non_certificate_file(tmp_path):
    (tmp_path / "junk.pem").write_text("hello")
    message = error_of(tmp_path, HEAD + '[[entry]]\ncert = "junk.pem"\n')
    assert "list.toml:5: entry junk.pem: cert:" in message and "neither a PEM nor a DER certificate" in message


def test_certificate_folder_with_a_stray_file(tmp_path):
    require_fixtures()
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "a.crt").write_bytes(sorted(DIGINOTAR.glob("*.crt"))[0].read_bytes())
    (folder / "notes.txt").write_text("not a certificate")
    message = error_of(tmp_path, HEAD + '[[entry]]\ncerts = "certs"\n')
    assert "certs/notes.txt is not a certificate" in message


def test_thumbprint_file_error_names_its_line(tmp_path):
    (tmp_path / "t.txt").write_text(C060 + "\n\nnot-a-thumbprint here\n")
    with pytest.raises(ListError) as caught:
        load_list(write(tmp_path, HEAD + '[[entry]]\nthumbprints = "t.txt"\n'))
    assert str(caught.value).startswith(f"{tmp_path / 't.txt'}:3:")


def test_examples_load():
    for path in sorted(Path("examples").glob("*.toml")):
        loaded = load_list(path)
        assert loaded.trust_list.entries, path


@pytest.mark.parametrize("line, expected", [
    ("43 d9 bc b5 68 e0 39 d0 73 a7 4a 71 d8 51 1f 74 76 08 9c CA Root", "ambiguous thumbprint"),
    ("43 D9 BC B5 68 E0 39 D0 73 A7 4A 71 D8 51 1F 74 76 08 9C C3 AB Root", "ambiguous thumbprint"),
])
def test_ambiguous_thumbprint_lines_are_refused(tmp_path, line, expected):
    (tmp_path / "t.txt").write_text(line + "\n")
    with pytest.raises(ListError, match=expected):
        load_list(write(tmp_path, HEAD + '[[entry]]\nthumbprints = "t.txt"\n'))


def test_thumbprint_file_with_bom_tabs_and_comments(tmp_path):
    (tmp_path / "t.txt").write_bytes("\ufeff".encode() + (
        C060 + "\tDigiNotar Root CA\r\n"
        "43D9BCB568E039D073A74A71D8511F7476089CC3 # no name, a comment\r\n"
        "b5 33 34 5d 06 f6 45 16 40 3c 00 da 03 18 7d 3b fe f5 91 56\tOverheid  # trailing\r\n").encode())
    tl = load_list(write(tmp_path, HEAD + '[[entry]]\nthumbprints = "t.txt"\n')).trust_list
    assert [e.friendly_name for e in tl.entries] == ["DigiNotar Root CA", None, "Overheid"]


@pytest.mark.parametrize("text, expected", [
    (HEAD + 'usages = ["1.99"]\n[[entry]]\nsha1 = "%s"\n' % C060, "list.toml:4: usages"),
    (HEAD + '[[entry]]\nsha1 = "%s"\nekus = ["1.45.1"]\n' % C060, "unknown EKU '1.45.1'"),
    (HEAD + '[[extensions]]\noid = "1.2.3"\ncritical = "false"\n[[entry]]\nsha1 = "%s"\n' % C060,
     "must be true or false"),
    (HEAD + '[[entry]]\nthumbprints = "t.txt"\nsha1 = "%s"\n' % C060, "sha1 names one certificate"),
    (HEAD + 'signer = "k.pem"\n[[entry]]\nsha1 = "%s"\n' % C060, "list.toml:4: signer: must be a table"),
    (HEAD + 'advisory = 5\n[[entry]]\nsha1 = "%s"\n' % C060, "advisory: must be a table"),
    (HEAD + 'extensions = [5]\n[[entry]]\nsha1 = "%s"\n' % C060, "extensions: must be an array of tables"),
    (HEAD + 'validity = "99999999999d"\n[[entry]]\nsha1 = "%s"\n' % C060, "validity: runs past the year 9999"),
    (HEAD + '[[entry]]\nsha1 = "%s"\ndisabled_since = 1600-01-01\n' % C060, "before 1601"),
    (HEAD.replace("2011-08-29T00:00:00Z", "1500-01-01") + '[[entry]]\nsha1 = "%s"\n' % C060, "before 1601"),
    (HEAD.replace("2011-08-29T00:00:00Z", "1975-01-01") + '[[entry]]\nsha1 = "%s"\n' % C060,
     "this_update: a cabinet's DOS date"),
])
def test_more_mistakes_are_located(tmp_path, text, expected):
    (tmp_path / "t.txt").write_text(C060 + "\n")
    assert expected in error_of(tmp_path, text)
