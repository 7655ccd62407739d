"""ctlbuild.reports.changelog, ctlbuild.reports.templating and ``ctlbuild changelog``: advisory-style documents."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.errors import ListError
from ctlbuild.lists.reader import load_list
from ctlbuild.model import Advisory, Entry, Revision, TrustList
from ctlbuild.reports.changelog import (
    changelog_data,
    changelog_for,
    read_versions,
    release_changelog,
    render_changelog,
)
from ctlbuild.reports.templating import md_escape
from tests.golden import assert_golden
from tests.peers import FIXTURES, require_fixtures

OLD_LIST, NEW_LIST = Path("examples/diginotar-kb2607712.toml"), Path("examples/diginotar-kb2616676.toml")
HEADINGS = {"zh-CN": ["证书", "颁发者", "Thumbprint", "更新"], "en": ["Certificate", "Issuer", "Thumbprint", "Update"]}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def advisory_rows(lang: str) -> list[list]:
    """The advisory's table from ../shared/fixtures: certificate, issuer, thumbprint as
    printed, and the updates as a list (the TSV joins them with ',', the advisory with ', ')."""
    require_fixtures()
    suffix = "zh" if lang == "zh-CN" else "en"
    with open(FIXTURES / "advisory-2607712-table.tsv", encoding="utf-8", newline="") as fh:
        return [[r[f"certificate_{suffix}"], r[f"issuer_{suffix}"], r["thumbprint"], _updates(r["updates"])]
                for r in csv.DictReader(fh, delimiter="\t")]


def _updates(cell: str) -> list[str]:
    return [u.strip() for u in cell.split(",")]


def markdown_table(text: str) -> tuple[list[str], list[list]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]
    return cells[0], [row[:3] + [_updates(row[3])] for row in cells[1:]]


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def html_table(text: str) -> tuple[list[str], list[list]]:
    parser = _Table()
    parser.feed(text)
    return parser.rows[0], [row[:3] + [_updates(row[3])] for row in parser.rows[1:]]


# -- the acceptance: the advisory's table, row for row ------------------------------------------------

@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_diginotar_table_is_the_advisorys(lang):
    result = run("changelog", OLD_LIST, NEW_LIST, "--lang", lang)
    assert result.exit_code == 0, result.output
    headings, rows = markdown_table(result.stdout)
    assert headings == HEADINGS[lang]
    assert rows == advisory_rows(lang)
    assert "| KB2607712, KB2616676 |" in result.stdout  # as the advisory prints it
    assert_golden(f"changelog-diginotar.{lang}.md", result.stdout)

    html = run("changelog", OLD_LIST, NEW_LIST, "--lang", lang, "--format", "html").stdout
    headings, rows = html_table(html)
    assert headings == HEADINGS[lang] and rows == advisory_rows(lang)
    assert_golden(f"changelog-diginotar.{lang}.html", html)


#: How the advisory writes a revision's date, per language (the zh-CN page spaces its numbers).
ADVISORY_DATES = {"en": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
                  "zh-CN": lambda d: f"{d.year} 年 {d.month} 月 {d.day} 日"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def advisory_revisions(lang: str) -> list[str]:
    """The advisory's six revision lines, built from ../shared/fixtures' TSV as its page prints them:
    "V1.0 (August 29, 2011): Advisory published." / "V1.0（2011 年 8 月 29 日）：已发布通报。"."""
    require_fixtures()
    from datetime import date
    with open(FIXTURES / "advisory-2607712-revisions.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    when = ADVISORY_DATES[lang]
    if lang == "zh-CN":
        return [f"{r['version']}（{when(date.fromisoformat(r['date']))}）：{r['note_zh']}" for r in rows]
    return [f"{r['version']} ({when(date.fromisoformat(r['date']))}): {r['note_en']}" for r in rows]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_revision_history_is_the_advisorys(lang):
    """Both releases and the four revisions that changed no list, in the advisory's words and dates."""
    text = run("changelog", OLD_LIST, NEW_LIST, "--lang", lang).stdout
    lines = [line[2:] for line in text.splitlines() if line.startswith("- V")]
    assert lines == advisory_revisions(lang)
    html = run("changelog", NEW_LIST, "--lang", lang, "--format", "html").stdout
    assert all(line.split("：" if lang == "zh-CN" else ": ", 1)[1] in html for line in advisory_revisions(lang))


def test_the_header_line_is_the_advisorys():
    zh = run("changelog", NEW_LIST, "--lang", "zh-CN").stdout
    assert "发布时间: 2011年8月29日 | 更新时间: 2011年9月19日 **版本:** 5.0" in zh.splitlines()
    en = run("changelog", NEW_LIST).stdout
    assert "Published: August 29, 2011 | Updated: September 19, 2011 **Version:** 5.0" in en.splitlines()


def test_each_revision_says_what_it_did_to_each_entry():
    data = changelog_data(changelog_for(load_list(NEW_LIST)), "en")
    v4 = next(r for r in data["revisions"] if r["version"] == "V4.0")
    assert v4["added"] == 6 and len(v4["details"]) == 6
    assert v4["details"][0] == "Added: DigiNotar Root CA (86 e8 17 c8 1a 5c a6 72 fe 00 0f 36 f8 78 c1 95 18 d6 f8 44)"
    assert next(r for r in data["revisions"] if r["version"] == "V4.1")["details"] == []
    old = load_list(OLD_LIST).trust_list
    restricted = TrustList(name="r", kind="disallowed", this_update=old.this_update + timedelta(days=1),
                           entries=(Entry(identifier=old.entries[0].identifier, friendly_name="DigiNotar Root CA",
                                          disallowed_ekus=("1.3.6.1.5.5.7.3.1",)),))
    step = changelog_data([old, restricted], "en")["revisions"][1]
    assert any(d.startswith("Changed: DigiNotar Root CA (c0 60") and "Server Authentication" in d
               for d in step["details"]), step["details"]


def test_versions_given_newest_first_are_told_oldest_first():
    assert run("changelog", NEW_LIST, OLD_LIST).stdout == run("changelog", OLD_LIST, NEW_LIST).stdout


def test_release_versions_must_rise(tmp_path):
    old = load_list(OLD_LIST).trust_list
    newer = TrustList(name="n", kind="disallowed", this_update=old.this_update + timedelta(days=1),
                      entries=old.entries, advisory=Advisory(version="0.5"))
    with pytest.raises(ListError, match="version 0.5, not after 1.0"):
        changelog_data([old, newer])
    clash = TrustList(name="c", kind="disallowed", this_update=old.this_update + timedelta(days=1),
                      entries=old.entries,
                      advisory=Advisory(version="2.0", revisions=(Revision("2.0", "2011-09-01", "x"),)))
    with pytest.raises(ListError, match="two revisions are numbered 2.0"):
        changelog_data([old, clash])


@pytest.mark.parametrize("text, message", [
    ('version = 4.1', 'revision number in quotes'),
    ('[[advisory.revisions]]\nversion = "2.0"\ndate = 2011-08-29', "missing required key 'note'"),
    ('[[advisory.revisions]]\nversion = "2.0"\ndate = 2011-08-29\nnote = "x"\nwhen = 1', "unknown key"),
])
def test_advisory_revisions_are_checked(tmp_path, text, message):
    path = tmp_path / "l.toml"
    head = 'name = "l"\nkind = "disallowed"\nthis_update = 2011-08-29\n[[entry]]\nsha1 = "' + "00" * 20 + '"\n'
    path.write_text(head + "[advisory]\n" + text + "\n")
    with pytest.raises(ListError, match=message):
        load_list(path)


def test_import_keeps_the_advisory_revisions(tmp_path):
    result = run("import", NEW_LIST, "-o", tmp_path / "again.toml")
    assert result.exit_code == 0, result.output
    assert load_list(tmp_path / "again.toml").trust_list.advisory == load_list(NEW_LIST).trust_list.advisory


def test_one_list_stands_for_its_history():
    assert run("changelog", NEW_LIST).stdout == run("changelog", OLD_LIST, NEW_LIST).stdout
    assert release_changelog(load_list(NEW_LIST)) == render_changelog(changelog_for(load_list(NEW_LIST)))
    assert release_changelog(load_list(OLD_LIST)) is None  # no previous: build writes no changelog


# -- release history -------------------------------------------------------------------------------

def _write_list(folder: Path, name: str, day: int, sha1s: list[str], previous: list[str] = (), extra: str = "") -> Path:
    lines = [f'name = "{name}"', 'kind = "disallowed"', f"this_update = 2024-01-{day:02d}T00:00:00Z"]
    if previous:
        lines.append("previous = [" + ", ".join(f'"{p}"' for p in previous) + "]")
    lines.append(extra)
    for sha1 in sha1s:
        lines += ["[[entry]]", f'sha1 = "{sha1}"']
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sha1(n: int) -> str:
    return f"{n:02x}" * 20


def test_history_is_walked_oldest_first(tmp_path):
    _write_list(tmp_path, "r1", 1, [_sha1(1)])
    _write_list(tmp_path, "r2", 2, [_sha1(1), _sha1(2)], ["r1.toml"])
    _write_list(tmp_path, "r3", 3, [_sha1(2), _sha1(3)], ["r2.toml", "r1.toml"])  # r1 reached twice
    versions = changelog_for(load_list(tmp_path / "r3.toml"))
    assert [v.name for v in versions] == ["r1", "r2", "r3"]
    data = changelog_data(versions)
    assert [(r["thumbprint"][:2], r["update_cell"]) for r in data["rows"]] == [
        ("01", "r1; removed in V3.0"), ("02", "r2"), ("03", "r3")]
    assert [r["changes"] for r in data["revisions"]] == [
        "1 certificate added.", "1 certificate added.", "1 certificate added, 1 removed."]


def test_history_loops_are_named(tmp_path):
    _write_list(tmp_path, "a", 1, [_sha1(1)], ["b.toml"])
    _write_list(tmp_path, "b", 2, [_sha1(1)], ["a.toml"])
    with pytest.raises(ListError, match=r"release history loops: a.toml → b.toml → a.toml") as exc:
        changelog_for(load_list(tmp_path / "a.toml"))
    assert exc.value.key == "previous"
    _write_list(tmp_path, "self", 1, [_sha1(1)], ["self.toml"])
    with pytest.raises(ListError, match="loops"):
        changelog_for(load_list(tmp_path / "self.toml"))
    result = run("changelog", tmp_path / "a.toml")
    assert result.exit_code == 2 and "release history loops" in result.stderr


def test_missing_previous_release(tmp_path):
    _write_list(tmp_path, "r2", 2, [_sha1(1)], ["gone.toml"])
    with pytest.raises(ListError, match="previous release .*gone.toml not found"):
        changelog_for(load_list(tmp_path / "r2.toml"))


@pytest.mark.parametrize("held", [(), (".gitkeep",)], ids=["empty", "gitkeep"])
def test_a_previous_folder_may_hold_no_release_yet(tmp_path, held):
    """A project's first release names the folder its earlier ones will go to."""
    (tmp_path / "releases").mkdir()
    for name in held:
        (tmp_path / "releases" / name).write_text("")
    listed = _write_list(tmp_path, "r1", 1, [_sha1(1)], ["releases/"])
    assert [v.name for v in changelog_for(load_list(listed))] == ["r1"]
    assert run("changelog", listed).exit_code == 0


def test_a_folder_of_releases(tmp_path):
    releases = tmp_path / "releases"
    releases.mkdir()
    _write_list(releases, "b-second", 2, [_sha1(1), _sha1(2)])
    _write_list(releases, "a-first", 1, [_sha1(1)])  # file order is not release order
    (releases / "README.txt").write_text("not a release\n")
    current = _write_list(tmp_path, "third", 3, [_sha1(2)], ["releases"])
    assert [v.name for v in changelog_for(load_list(current))] == ["a-first", "b-second", "third"]
    assert [v.name for v in read_versions([releases])] == ["a-first", "b-second"]


def test_entries_without_updates_name_their_release_or_version():
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    same_name = [TrustList("contoso", "disallowed", when + timedelta(days=i),
                           tuple(Entry(identifier=bytes([n]) * 20) for n in range(i + 1))) for i in range(3)]
    rows = changelog_data(same_name)["rows"]
    assert [r["update_cell"] for r in rows] == ["V1.0", "V2.0", "V3.0"]


def test_ctl_files_as_versions():
    require_fixtures()
    ms = FIXTURES / "microsoft"
    versions = read_versions([ms / "authroot-2018-05-18.stl", ms / "authrootstl-2018-06-19.cab"])
    data = changelog_data(versions, style="upper")
    assert len(data["rows"]) == 370
    assert data["revisions"][1]["changes"] == "1 certificate added, 4 changed."
    assert data["title"] == "authroot"  # no [advisory]: the newest version's name (the .cab's member)


# -- templates ---------------------------------------------------------------------------------

def test_user_templates_come_first(tmp_path):
    (tmp_path / "changelog.zh-CN.md.j2").write_text("zh only: {{ title }}\n", encoding="utf-8")
    assert run("changelog", NEW_LIST, "--lang", "zh-CN", "--templates", tmp_path).stdout == "zh only: 欺诈性数字证书可能允许欺骗\n"
    # English has no zh-CN template: the built-in one.
    assert run("changelog", NEW_LIST, "--templates", tmp_path).stdout == run("changelog", NEW_LIST).stdout
    (tmp_path / "changelog.md.j2").write_text(
        "{% for r in rows %}{{ r.thumbprint }} {{ r.update_cell }}\n{% endfor %}", encoding="utf-8")
    own = run("changelog", NEW_LIST, "--templates", tmp_path, "--thumbprint-style", "colon").stdout
    assert own.splitlines()[0] == "C0:60:ED:44:CB:D8:81:BD:0E:F8:6C:0B:A2:87:DD:CF:81:67:47:8C KB2607712, KB2616676"
    missing = run("changelog", NEW_LIST, "--templates", tmp_path / "nope")
    assert missing.exit_code == 2 and "not a folder" in missing.stderr


def test_user_css_alone_restyles_the_html(tmp_path):
    (tmp_path / "_style.css.j2").write_text("body { color: rebeccapurple; }\n", encoding="utf-8")
    html = run("changelog", NEW_LIST, "--format", "html", "--templates", tmp_path).stdout
    assert "rebeccapurple" in html and "<table" in html


def test_html_is_escaped_and_markdown_cells_cannot_break():
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    evil = TrustList("x", "disallowed", when, (Entry(identifier=bytes(20), friendly_name="<script>a|b</script>",
                                                     issuer="A & B"),),
                     advisory=Advisory(title="<b>T</b>"))
    html = render_changelog([evil], "html")
    assert "<script>" not in html and "&lt;script&gt;a|b&lt;/script&gt;" in html and "A &amp; B" in html
    assert "<title>&lt;b&gt;T&lt;/b&gt;</title>" in html
    md = render_changelog([evil], "md")
    assert "| \\<script\\>a\\|b\\</script\\> | A & B |" in md
    assert md_escape("a\nb*c_") == "a b\\*c\\_"


def test_output_file(tmp_path):
    out = tmp_path / "changelog.html"
    result = run("changelog", NEW_LIST, "--format", "html", "--lang", "zh-CN", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert '<html lang="zh-CN">' in out.read_text(encoding="utf-8")
