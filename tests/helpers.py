"""Helpers the test modules share (fixtures live in conftest.py): environment-file copies,
reading synthesized stacks, and the tools a test needs."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import shutil
import signal
import socket
from pathlib import Path

import pytest

from foundation.config import environment_path

EXAMPLE = environment_path("example")


# --- environment files -----------------------------------------------------------------------


def write_env(directory: Path, *edits: tuple[str, str], source: Path = EXAMPLE) -> Path:
    """A copy of `source` in `directory` with each (old, new) edit applied exactly once."""
    text = source.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"test setup: {old!r} should occur once in {source.name}"
        text = text.replace(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / source.name
    path.write_text(text)
    return path


# --- synthesized stacks ----------------------------------------------------------------------


def ref(resource_type: str, key: str, attribute: str) -> str:
    """The Terraform expression cdktf writes for `<type>.<key>.<attribute>`."""
    return f"${{{resource_type}.{key}.{attribute}}}"


def keyed(stack: dict, resource_type: str) -> dict[str, dict]:
    """The stack's resources of one type, by their Terraform key."""
    return stack.get("resource", {}).get(resource_type, {})


def resources(stack: dict, resource_type: str) -> list[dict]:
    return list(keyed(stack, resource_type).values())


def find(stack: dict, resource_type: str, **properties) -> list[tuple[str, dict]]:
    return [
        (key, body)
        for key, body in keyed(stack, resource_type).items()
        if all(body.get(name) == value for name, value in properties.items())
    ]


def the_one(stack: dict, resource_type: str, **properties) -> tuple[str, dict]:
    found = find(stack, resource_type, **properties)
    assert len(found) == 1, f"expected one {resource_type} with {properties}, found {len(found)}"
    return found[0]


def policy(resource: dict, key: str = "policy") -> dict:
    document = json.loads(resource[key])
    assert document["Version"] == "2012-10-17"
    return document


def statements(document: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in document["Statement"]}


# --- evaluating policy statements --------------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action matching: case-insensitive, with `*` and `?` wildcards."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def condition_holds(condition: dict, context: dict[str, str]) -> bool:
    """The condition operators the SCPs here use, as IAM evaluates them (a negated operator holds
    for a key the request lacks); any other operator fails the test loudly."""
    for operator, tests in condition.items():
        negated = operator.startswith(("StringNot", "ArnNot"))
        for key, expected in tests.items():
            value = context.get(key)
            if operator == "Null":
                holds = (value is None) == (expected == "true")
            elif operator in ("StringEquals", "StringNotEquals"):
                holds = (value is not None and value in listed(expected)) != negated
            elif operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
                matched = value is not None and any(
                    fnmatch.fnmatchcase(value, pattern) for pattern in listed(expected)
                )
                holds = matched != negated
            else:
                raise AssertionError(f"the test evaluator does not know the operator {operator!r}")
            if not holds:
                return False
    return True


def statement_applies(statement: dict, action: str, context: dict[str, str]) -> bool:
    """Whether `statement` (on every resource) covers `action` in a request with `context`."""
    assert statement.get("Resource") == "*", "the evaluator handles statements on every resource"
    if "Action" in statement:
        covered = any(action_matches(p, action) for p in listed(statement["Action"]))
    else:
        covered = not any(action_matches(p, action) for p in listed(statement["NotAction"]))
    return covered and condition_holds(statement.get("Condition", {}), context)


def denying_statements(
    document: dict, action: str, context: dict[str, str] | None = None
) -> list[str]:
    """The Sids of the Deny statements that deny `action` (an SCP of deny statements beside
    AWS's FullAWSAccess: the action is allowed when this is empty)."""
    return [
        s["Sid"]
        for s in listed(document["Statement"])
        if s["Effect"] == "Deny" and statement_applies(s, action, context or {})
    ]


# --- what a Python process imported -----------------------------------------------------------

# Python reports each module it imports on stderr while this is set (`-X importtime`).
IMPORT_REPORT_VARIABLE = "PYTHONPROFILEIMPORTTIME"


def imported_modules(stderr: str) -> set[str]:
    """The modules named in the import report of a process run with IMPORT_REPORT_VARIABLE."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    } - {"imported package"}


# --- tools -----------------------------------------------------------------------------------


def terraform_or_skip() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform CLI not on PATH: install Terraform >= 1.10 to run this test")
    return binary


def iam_action_catalogue() -> list[str]:
    """Every IAM action ("service:Action"), from the definitions parliament ships in .venv-scan."""
    found = sorted(
        Path(__file__)
        .resolve()
        .parent.parent.glob(".venv-scan/lib/python*/site-packages/parliament/iam_definition.json")
    )
    if not found:
        pytest.skip(
            "parliament is not installed in .venv-scan: run `make scan-install` (the test "
            "target does) for its catalogue of IAM actions"
        )
    return [
        f"{service['prefix']}:{privilege['privilege']}"
        for service in json.loads(found[0].read_text())
        for privilege in service["privileges"]
    ]


def free_port() -> int:
    """A free port on 127.0.0.1 whose successor is free too: an emulator started on it also
    listens on the next one (its subdomain tunnel)."""
    while True:
        with socket.socket() as probe, socket.socket() as successor:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            try:
                successor.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def sigint_as_at_a_terminal() -> None:
    """preexec_fn for a child that a test interrupts: a pytest-xdist worker runs with SIGINT
    ignored, which its children inherit (Python then raises no KeyboardInterrupt); a shell at a
    terminal starts them with the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def account_key(stack: dict, config, name: str) -> str:
    """The key of member account `name` in a synthesized management stack."""
    [key] = [
        k
        for k, a in keyed(stack, "aws_organizations_account").items()
        if a["name"] == f"{config.name_prefix}-{name}"
    ]
    return key


def variant(config, **guardrails):
    """`config` with these guardrails settings changed."""
    return dataclasses.replace(
        config, guardrails=dataclasses.replace(config.guardrails, **guardrails)
    )
