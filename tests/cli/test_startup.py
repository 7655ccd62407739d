"""Start-up: a command imports only what it uses (issue 11). ``ctlbuild --version`` loads
neither cryptography nor Jinja2; ``import ctlbuild`` loads nothing but its version; the
public names still resolve, on first use."""

import json
import subprocess
import sys

import pytest

from tests.conftest import SIGNING_TIME

HEAVY = ("cryptography", "jinja2", "asn1crypto", "rtoml", "cabarchive", "pkcs11", "orjson")


def loaded_after(code: str) -> set[str]:
    """The heavy top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1])) & set(HEAVY)


def test_version_loads_no_library():
    code = ("from ctlbuild._cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0\n")
    assert loaded_after(code) == set()


def test_import_ctlbuild_loads_no_library():
    assert loaded_after("import ctlbuild; ctlbuild.__version__") == set()


def test_help_lists_every_command_in_order_without_running_them():
    from click.testing import CliRunner

    from ctlbuild._cli import COMMANDS, main
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == list(COMMANDS)


def test_unknown_command_is_a_usage_error():
    from click.testing import CliRunner

    from ctlbuild._cli import main
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 2 and "No such command" in result.output


def test_public_api_resolves_lazily():
    import ctlbuild
    for name in ctlbuild.__all__:
        assert getattr(ctlbuild, name) is not None, name
    assert set(ctlbuild.__all__) <= set(dir(ctlbuild))
    from ctlbuild.lists.reader import load_list
    assert ctlbuild.load_list is load_list
    with pytest.raises(AttributeError):
        ctlbuild.no_such_name  # noqa: B018


def test_show_of_a_ctl_loads_no_templates_nor_toml(tmp_path, dev_keys):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    result = CliRunner().invoke(main, ["build", "examples/diginotar-kb2616676.toml", "--keys",
                                       str(dev_keys.root_cert.parent), "-o", str(tmp_path),
                                       "--signing-time", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    stl = tmp_path / "diginotar-kb2616676.stl"
    code = ("from ctlbuild._cli import main\n"
            f"try:\n    main(['show', {str(stl)!r}])\nexcept SystemExit as e:\n    assert e.code == 0\n")
    assert not loaded_after(code) & {"jinja2", "rtoml", "cabarchive", "pkcs11"}


def test_the_exit_does_not_walk_the_imported_objects(tmp_path):
    """ctlbuild._cli freezes the collector's objects when the interpreter starts to exit
    (ctlbuild._gc.freeze_at_exit): a handler registered before it runs after it, and sees
    them frozen; the command's output is whole."""
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 10_000, file=sys.stderr))\n"
            "from ctlbuild._cli import main\n"
            "main(['--version'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ctlbuild, version ") and proc.stderr.strip() == "frozen True"


def modules_after(code: str) -> set[str]:
    """Every module in sys.modules after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.fixture(scope="module")
def big_stl(tmp_path_factory, dev_keys):
    """A signed CTL past lists.sources._MAP_FROM (1 MiB): the mapped header-only path."""
    from click.testing import CliRunner

    from ctlbuild._cli import main
    folder = tmp_path_factory.mktemp("big")
    (folder / "big.txt").write_text("".join(f"{i:040x}\n" for i in range(30_000)), encoding="ascii")
    (folder / "big.toml").write_text('name = "big"\nkind = "disallowed"\nthis_update = 2024-01-01T00:00:00Z\n'
                                     'outputs = ["stl"]\n\n[defaults]\ndisabled_since = 2020-01-01\n\n'
                                     '[[entry]]\nthumbprints = "big.txt"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(folder / "big.toml"), "--keys", str(dev_keys.root_cert.parent),
                                       "-o", str(folder), "--signing-time", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    stl = folder / "big.stl"
    assert stl.stat().st_size > 1 << 20
    return stl


def _run_main(args) -> str:
    return (f"from ctlbuild._cli import main\ntry:\n    main({[str(a) for a in args]!r})\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n")


def test_show_header_only_loads_no_path_validation_nor_store_reader(big_stl):
    """show --header-only of a big .stl: the envelope and the header, nothing of verify
    (pyhanko-certvalidator, asyncio, ssl, logging), the store reader or --certs' names; nor
    cryptography (60 ms): the signer is named from asn1crypto's parse (formats.stl)."""
    loaded = modules_after(_run_main(["show", "--header-only", big_stl]))
    assert "ctlbuild.lists.sources" in loaded  # the probe ran the command
    unwanted = {"pyhanko_certvalidator", "asyncio", "ssl", "logging", "jinja2", "rtoml", "cryptography",
                "ctlbuild.formats.sst", "ctlbuild.reports.certnames", "ctlbuild.verify"}
    assert not loaded & unwanted


def test_verify_loads_no_templates_toml_nor_tokens(big_stl, dev_keys):
    loaded = modules_after(_run_main(["verify", big_stl, "--anchor", dev_keys.root_cert]))
    assert "pyhanko_certvalidator" in loaded  # the probe ran the path validation
    assert not {m.split(".")[0] for m in loaded} & {"jinja2", "rtoml", "cabarchive", "pkcs11", "oscrypto", "aiohttp"}
