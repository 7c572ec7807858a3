"""The import graph: the core (foundation/) imports neither side; the constructs (modules/)
import only the core and cdktf; the helpers (scripts/) never import the constructs, and their
parts import downwards only (LAYERS), without a cycle; and a synth loads no boto3 helper, emulator
or synth cache (test_synth_cache reads that from the real synth). No module is over 500 lines."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.paths import REPO_ROOT
from tests.helpers import IMPORT_REPORT_VARIABLE, imported_modules

PACKAGES = ("foundation", "modules", "scripts")
# The parts of the helpers and the core, from the top: a module imports modules of its own part
# or of a part below it, never above (docs/layout.md).
LAYERS = (
    ("scripts.cli",),
    ("scripts.commands",),
    ("scripts.runner",),
    ("scripts.guard",),
    ("scripts.emulator", "scripts.workspaces"),
    ("scripts.aws",),
    ("scripts.console", "scripts.templates"),
    ("foundation",),
)
# The longest chain of imports through the helpers and the core was eleven modules long before
# scripts/ was split into its parts (2026-12-06).
LEVELS_BEFORE_THE_PARTS = 11
MAX_MODULE_LINES = 500


def imported(path: Path, *, at_top_only: bool = False) -> set[str]:
    """The modules a file imports (absolute imports, dotted names): anywhere in it, or only in its
    top-level statements (not inside a function)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in tree.body if at_top_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def top_packages(modules: set[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


def first_party_imports(path: Path) -> set[str]:
    """The repository packages a module imports."""
    return top_packages(imported(path)) & {*PACKAGES, "main"}


def sources(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    "package, allowed",
    [
        ("foundation", {"foundation"}),
        ("modules", {"foundation", "modules"}),
        ("scripts", {"foundation", "scripts"}),
    ],
)
def test_each_package_imports_only_what_its_side_may(package, allowed):
    crossing = {
        str(path.relative_to(REPO_ROOT)): sorted(first_party_imports(path) - allowed)
        for path in sources(package)
        if first_party_imports(path) - allowed
    }
    assert crossing == {}


def test_the_core_imports_no_cdktf_and_no_boto3():
    third_party = {
        path.name: sorted(
            module
            for module in imported(path)
            if module.split(".")[0] in ("cdktf", "constructs", "jsii", "boto3")
        )
        for path in sources("foundation")
    }
    assert {name: found for name, found in third_party.items() if found} == {}


def test_no_test_module_loads_the_aws_bindings_when_collected():
    """Every test worker collects every test module: one importing the constructs or cdktf at
    its top would load the AWS bindings (~13 s of CPU) in each, used or not (conftest.py)."""
    loading = {
        path.name: sorted(
            top_packages(imported(path, at_top_only=True)) & {"main", "modules", "cdktf", "jsii"}
        )
        for path in sorted((REPO_ROOT / "tests").rglob("*.py"))
    }
    assert {name: found for name, found in loading.items() if found} == {}


def test_the_import_report_sees_a_helper_when_one_is_imported():
    """The report test_synth_cache reads from the synth process can fail that test: importing a
    helper shows up in it."""
    result = subprocess.run(
        [sys.executable, "-c", "import scripts.workspaces"],
        cwd=REPO_ROOT,
        env={**os.environ, IMPORT_REPORT_VARIABLE: "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert {"scripts.aws", "boto3"} <= imported_modules(result.stderr)


def module_graph() -> dict[str, set[str]]:
    """{module: the first-party modules it imports} for scripts/ and foundation/, by dotted
    name; `from package import module` counts as importing the module."""
    paths = {
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for package in ("scripts", "foundation")
        for path in sources(package)
    }

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in paths.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {known(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found |= {known(f"{node.module}.{alias.name}") for alias in node.names}
        graph[module] = found - {None, module}
    return graph


def layer(module: str) -> int:
    return next(
        index
        for index, parts in enumerate(LAYERS)
        if any(module == part or module.startswith(f"{part}.") for part in parts)
    )


def test_each_part_imports_only_its_own_part_and_the_parts_below():
    upward = sorted(
        f"{module} imports {imported_module}"
        for module, imports in module_graph().items()
        for imported_module in imports
        if layer(imported_module) < layer(module)
    )
    assert upward == []


def longest_chain(graph: dict[str, set[str]]) -> list[str]:
    """The longest chain of imports; a cycle fails the test that calls it."""
    chains: dict[str, list[str]] = {}

    def chain(module: str, visiting: tuple[str, ...]) -> list[str]:
        assert module not in visiting, "import cycle: " + " -> ".join((*visiting, module))
        if module not in chains:
            below = [chain(imported, (*visiting, module)) for imported in graph[module]]
            chains[module] = [module, *max(below, key=len, default=[])]
        return chains[module]

    return max((chain(module, ()) for module in graph), key=len)


def test_the_imports_have_no_cycle_and_fewer_levels_than_before_the_parts():
    longest = longest_chain(module_graph())
    assert len(longest) < LEVELS_BEFORE_THE_PARTS, " -> ".join(longest)


def test_a_cycle_is_found():
    with pytest.raises(AssertionError, match="import cycle: a -> b -> a"):
        longest_chain({"a": {"b"}, "b": {"a"}})


def test_no_module_is_over_500_lines():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    long = {
        name: count
        for name in tracked
        if (count := len((REPO_ROOT / name).read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
