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
from ctlbuild.model import Advisory, Entry, TrustList
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


def test_revision_history_lines():
    versions = changelog_for(load_list(NEW_LIST))
    assert [r["line"] for r in changelog_data(versions, "en")["revisions"]] == [
        "V1.0 (2011-08-29): Advisory published. 5 certificates added.",
        "V2.0 (2011-09-13): Revised to announce the release of the KB2616676 update to address the issue "
        "described in this advisory. 6 certificates added.",
    ]
    assert [r["line"] for r in changelog_data(versions, "zh-CN")["revisions"]] == [
        "V1.0 (2011-08-29)：已发布通报。新增 5 个证书。",
        "V2.0 (2011-09-13)：经过修订以宣布将发布可解决此通报中描述的问题的 KB2616676 更新。新增 6 个证书。",
    ]


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
