"""The command line: each command takes only the flags it uses, and the approval rule as the
commands apply it — the management stack is never approved by an environment variable (the rule
itself: test_guard.py)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK
from foundation.paths import REPO_ROOT
from scripts import cli
from scripts.commands import Command
from scripts.commands import stacks as stack_commands
from scripts.guard.approval import AUTO_APPROVE_VARIABLE
from scripts.runner.processes import TerraformInterrupted


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["dev-destroy", "--stack", MANAGEMENT_STACK], "--stack"),
        (["bootstrap", "--yes"], "--yes"),
        (["plan", "--yes"], "--yes"),
        (["root-verify", "--force"], "--force"),
        (["local-up", "--account", DEV_ACCOUNT], "--account"),
    ],
)
def test_a_command_refuses_a_flag_it_does_not_use(argv, flag, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert f"unrecognized arguments: {flag}" in capsys.readouterr().err


@pytest.fixture
def recorded_applies(monkeypatch):
    """`apply` with synth, the state read and terraform replaced by a recorder: which stacks
    would be applied, and whether each one without asking."""
    applied: list[tuple[str, bool]] = []

    class RecordingTerraform:
        def __init__(self, config, stack, stacks=None, log=None, *, own_process_group=False):
            self.stack = stack
            self.concurrently = own_process_group  # what in_parallel's tasks ask for

        def apply(self, *, auto_approve, allow_account_removal=frozenset()):
            applied.append((self.stack, auto_approve) + (("at once",) if self.concurrently else ()))

    monkeypatch.setattr(stack_commands, "synth", lambda config: None)
    monkeypatch.setattr(stack_commands, "require_management_first", lambda config, stack: None)
    monkeypatch.setattr(stack_commands, "Terraform", RecordingTerraform)
    return applied


def test_auto_approve_asks_at_a_terminal_for_management_only(recorded_applies, monkeypatch, capsys):
    monkeypatch.setenv(AUTO_APPROVE_VARIABLE, "1")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert cli.main(["apply", "--env", "local"]) == 0
    assert recorded_applies == [(MANAGEMENT_STACK, False), (DEV_ACCOUNT, True)]
    assert "AUTO_APPROVE=1 does not approve the management stack" in capsys.readouterr().out


def test_an_explicit_yes_approves_management(recorded_applies, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["apply", "--env", "local", "--stack", MANAGEMENT_STACK, "--yes"]) == 0
    assert recorded_applies == [(MANAGEMENT_STACK, True)]


def test_make_apply_of_management_with_auto_approve_and_no_terminal_refuses():
    """As a person would type it: nothing is synthesized, planned or applied."""
    environment = {**os.environ, AUTO_APPROVE_VARIABLE: "1"}
    result = subprocess.run(
        ["make", "--no-print-directory", "apply", "ENV=local", f"STACK={MANAGEMENT_STACK}"],
        cwd=REPO_ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert (
        "The management stack needs a confirmation and there is no terminal to ask; "
        "nothing was changed."
    ) in result.stderr
    assert "--yes" in result.stderr
    assert "terraform apply" not in result.stdout and "Synth" not in result.stdout


def test_stacks_lists_the_members_as_json_for_a_ci_matrix(tmp_path, capsys):
    from tests.helpers import write_env

    env = write_env(
        tmp_path,
        ("[accounts.dev]", '[accounts.sandbox]\nemail = "s@example.com"\n\n[accounts.dev]'),
    )
    assert cli.main(["stacks", "--env", str(env), "--members", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ["sandbox", "dev"]
    assert cli.main(["stacks", "--env", str(env)]) == 0
    assert capsys.readouterr().out.split() == [MANAGEMENT_STACK, "sandbox", "dev"]


@pytest.mark.parametrize(
    "environ, yes, expected",
    [
        (
            {AUTO_APPROVE_VARIABLE: "1"},
            False,
            [
                (MANAGEMENT_STACK, False),
                ("sandbox", True, "at once"),
                (DEV_ACCOUNT, True, "at once"),
            ],
        ),
        (
            {},
            True,
            [
                (MANAGEMENT_STACK, True),
                ("sandbox", True, "at once"),
                (DEV_ACCOUNT, True, "at once"),
            ],
        ),
        ({}, False, [(MANAGEMENT_STACK, False), ("sandbox", False), (DEV_ACCOUNT, False)]),
    ],
)
def test_members_apply_at_once_only_when_none_asks(
    recorded_applies, monkeypatch, tmp_path, environ, yes, expected
):
    from foundation.config import environment_path
    from tests.helpers import write_env

    env = write_env(
        tmp_path,
        ("[accounts.dev]", '[accounts.sandbox]\nemail = "s@example.com"\n\n[accounts.dev]'),
        source=environment_path("local"),
    )
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    argv = ["apply", "--env", str(env), "--jobs", "2", "--log-dir", str(tmp_path / "logs")]
    assert cli.main(argv + (["--yes"] if yes else [])) == 0
    assert recorded_applies == expected


def test_make_help_lists_the_variables_with_their_defaults():
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    variables = shown.split("Variables", 1)[1]
    for name in (
        "ENV=local",
        "STACK=all",
        "ACCOUNT=dev",
        "AUTO_APPROVE=",
        "PRINT=",
        "WRITE=",
        "LOCAL_AWS_PORT=4566",
        "FORCE=",
        "JOBS=",
        "ALLOW_ACCOUNT_REMOVAL=",
        "TEST_JOBS=auto",
    ):
        assert f"  {name}" in variables, name


@pytest.mark.parametrize(
    "command, module, function",
    [
        ("dev-destroy", "dev_workspace", "destroy"),
        ("dev-recreate", "dev_workspace", "recreate"),
        ("dev-reset", "dev_reset", "reset"),
    ],
)
def test_member_account_loops_keep_terraform_output_in_a_log(
    command, module, function, monkeypatch, tmp_path, capsys
):
    """Hundreds of lines of destroy plan after the typed confirmation help nobody: they go to a
    log the terminal names (a failure shows its end)."""
    from scripts.commands import dev_reset, dev_workspace
    from scripts.runner import rebuild

    calls = []
    monkeypatch.setattr(rebuild, "LOG_DIR", tmp_path)
    monkeypatch.setattr(
        {"dev_workspace": dev_workspace, "dev_reset": dev_reset}[module],
        function,
        lambda config, account, **options: calls.append(options),
    )
    monkeypatch.setattr(dev_workspace, "destroy_summary", lambda *args: None)
    assert cli.main([command, "--env", "local", "--yes"]) == 0
    log = calls[0]["log"]
    assert log.parent.parent == tmp_path and log.name == f"{DEV_ACCOUNT}-terraform.log"
    assert f"terraform output: {log}" in capsys.readouterr().out


MAKE_VARIABLES = {
    "ENV": "example",
    "STACK": "dev",
    "ACCOUNT": "sandbox",
    "JOBS": "3",
    "FORCE": "1",
    "PRINT": "1",
    "WRITE": "1",
}


@pytest.mark.parametrize("on_the_command_line", [False, True])
def test_make_takes_its_variables_from_the_command_line_only(on_the_command_line):
    """ENV is POSIX sh's start-up file, and JOBS or ACCOUNT may mean anything in a shell: exported
    there, they must not reach the commands; given to make, they must."""
    targets = ["synth", "plan", "dev-reset", "root-steps", "profiles"]
    assignments = [f"{name}={value}" for name, value in MAKE_VARIABLES.items()]
    shell = {**os.environ, **({} if on_the_command_line else MAKE_VARIABLES)}
    shown = subprocess.run(
        [
            "make",
            "-n",
            "--no-print-directory",
            *targets,
            *(assignments if on_the_command_line else []),
        ],
        cwd=REPO_ROOT,
        env=shell,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = [line for line in shown.splitlines() if "scripts.cli" in line]
    assert len(commands) == len(targets)
    given = [
        "--env example",
        "--stack dev",
        "--account sandbox",
        "--jobs 3",
        "--force",
        "--print",
        "--write",
    ]
    if on_the_command_line:
        assert all(flag in shown for flag in given), shown
    else:
        assert all(flag not in shown for flag in given), shown
        assert all("--env local" in command for command in commands)


@pytest.mark.parametrize(
    "interruption, said",
    [
        (TerraformInterrupted, "terraform stopped after writing its state"),
        (KeyboardInterrupt, "nothing more was started"),
    ],
)
def test_ctrl_c_says_terraform_stopped_only_when_one_ran(monkeypatch, capsys, interruption, said):
    def interrupted(config, args):
        raise interruption

    command = Command("stops", "raises Ctrl-C", interrupted, needs_environment=False)
    monkeypatch.setattr(cli, "all_commands", lambda: {"stops": command})
    assert cli.main(["stops"]) == 130
    error = capsys.readouterr().err
    assert said in error and "run the same command again" in error
    if interruption is KeyboardInterrupt:
        assert "terraform" not in error
