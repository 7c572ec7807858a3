"""The import graph: the core (foundation/) imports neither side; the constructs (modules/)
import only the core and cdktf; the helpers (scripts/) never import the constructs; and a synth
loads no boto3 helper, emulator or synth cache (test_synth_cache reads that from the real synth)."""

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
