"""The package's shape: layers without import cycles, a root that holds only what every
layer uses, and a wheel whose package list covers every folder."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ctlbuild"

#: Modules at the root of the package: the ones every layer uses (and the entry points).
ROOT_MODULES = {"__init__", "__main__", "_version", "_gc", "errors", "limits", "oids", "model", "timeutil",
                "thumbprint"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or \
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every ctlbuild module ``path`` imports, at module level or inside a function (a deferred
    import still runs), but not under ``if TYPE_CHECKING:`` (which never runs)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([child.module] if child.module else []))
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if candidate in modules else base)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path, modules) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    # What ctlbuild had: the package's __init__ importing a module that imports the package.
    graph = {"ctlbuild": {"ctlbuild.build"}, "ctlbuild.build": {"ctlbuild"}}
    assert find_cycle(graph) == ["ctlbuild", "ctlbuild.build", "ctlbuild"]


def test_the_root_holds_only_the_modules_every_layer_uses():
    at_root = {p.stem for p in PACKAGE.glob("*.py")}
    assert at_root == ROOT_MODULES


def test_the_wheel_lists_every_package_folder():
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    # Two data folders are listed too: the templates (from the top level) and the JSON schemas.
    assert folders | {"ctlbuild._templates", "ctlbuild.reports.schemas"} == listed
    assert config["tool"]["setuptools"]["package-dir"]["ctlbuild._templates"] == "templates"
