"""The import graph: the core (foundation/) imports neither side; the constructs (modules/)
import only the core and cdktf; the helpers (scripts/) never import the constructs; and a synth
loads no boto3 helper, emulator or synth cache."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.paths import REPO_ROOT

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


def test_a_synth_loads_no_helper_module():
    """What `main.py` pulls in, measured in a fresh interpreter."""
    probe = ("import json, sys; import main; "
             "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('scripts', 'boto3', 'moto'))))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True, timeout=300)
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_the_probe_sees_a_helper_when_one_is_imported():
    """The check above can fail: importing a helper shows up in sys.modules."""
    probe = ("import json, sys; import scripts.workspaces; "
             "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'scripts')))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True, timeout=120)
    assert "scripts.aws" in json.loads(result.stdout.splitlines()[-1])
