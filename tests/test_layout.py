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


def first_party_imports(path: Path) -> set[str]:
    """The repository packages a module imports (absolute imports, top-level name)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found |= {name.split(".")[0] for name in names} & {*PACKAGES, "main"}
    return found


def sources(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package, allowed", [
    ("foundation", {"foundation"}),
    ("modules", {"foundation", "modules"}),
    ("scripts", {"foundation", "scripts"}),
])
def test_each_package_imports_only_what_its_side_may(package, allowed):
    crossing = {str(path.relative_to(REPO_ROOT)): sorted(first_party_imports(path) - allowed)
                for path in sources(package) if first_party_imports(path) - allowed}
    assert crossing == {}


def test_the_core_imports_no_cdktf_and_no_boto3():
    third_party = {path.name: sorted(
        {alias for node in ast.walk(ast.parse(path.read_text()))
         for alias in ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
         if alias.split(".")[0] in ("cdktf", "constructs", "jsii", "boto3")})
        for path in sources("foundation")}
    assert {name: found for name, found in third_party.items() if found} == {}


def top_level_imports(path: Path) -> set[str]:
    """The top-level packages a module imports at its top (not inside a function)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_loads_the_aws_bindings_when_collected():
    """Every test worker collects every test module: one importing the constructs or cdktf at
    its top would load the AWS bindings (~13 s of CPU) in each, used or not (conftest.py)."""
    loading = {path.name: sorted(top_level_imports(path) & {"main", "modules", "cdktf", "jsii"})
               for path in sorted((REPO_ROOT / "tests").glob("*.py"))}
    assert {name: found for name, found in loading.items() if found} == {}


def test_the_import_report_sees_a_helper_when_one_is_imported():
    """The report test_synth_cache reads from the synth process can fail that test: importing a
    helper shows up in it."""
    result = subprocess.run([sys.executable, "-c", "import scripts.workspaces"], cwd=REPO_ROOT,
                            env={**os.environ, IMPORT_REPORT_VARIABLE: "1"}, capture_output=True,
                            text=True, check=True, timeout=120)
    assert {"scripts.aws", "boto3"} <= imported_modules(result.stderr)
