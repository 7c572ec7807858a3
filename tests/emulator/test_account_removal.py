"""A plan that removes an account from the organization (or the organization itself) is refused
unless ALLOW_ACCOUNT_REMOVAL names it: `prevent_destroy` protects an account only while it is
still in the configuration. The flag, and an account taken out of the file on the emulator (the
refusal rule itself: tests/unit/test_guard.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from foundation import config as config_module
from foundation.config import environment_path
from foundation.contract import MANAGEMENT_STACK
from foundation.paths import REPO_ROOT
from scripts import cli
from scripts.commands.bootstrap import bootstrap
from scripts.console import UserError
from scripts.runner.terraform import PLAN_HAS_CHANGES, Terraform
from tests.helpers import write_env


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_the_flag_takes_a_comma_separated_list_and_defaults_from_the_environment(command):
    args = cli.parser().parse_args([command, "--allow-account-removal", "test, lab"])
    assert args.allow_account_removal == frozenset({"test", "lab"})
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from scripts import cli; print(sorted(cli.parser().parse_args("
            f"[{command!r}]).allow_account_removal))",
        ],
        env={**os.environ, "ALLOW_ACCOUNT_REMOVAL": "test,lab"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.strip() == "['lab', 'test']"


# --- on the emulator: an account taken out of the environment file ------------------------------


def test_an_account_removed_from_the_file_is_refused_until_named(
    own_emulator, synthesize, tmp_path
):
    with_test = config_module.load(
        write_env(
            tmp_path,
            (
                "[accounts.dev]\n",
                '[accounts.test]\nemail = "aws-test@example.com"\n\n[accounts.dev]\n',
            ),
            source=environment_path("local"),
        )
    )
    assert "test" in with_test.stack_names
    bootstrap(with_test)
    Terraform(with_test, MANAGEMENT_STACK, stacks=synthesize(with_test) / "stacks").apply(
        auto_approve=True
    )

    without_test = Terraform(
        own_emulator, MANAGEMENT_STACK, stacks=synthesize(own_emulator) / "stacks"
    )
    with pytest.raises(UserError) as refused:
        without_test.plan()
    assert "\n  test: aws_organizations_account." in str(refused.value)
    with pytest.raises(UserError, match="ALLOW_ACCOUNT_REMOVAL=test"):
        without_test.apply(auto_approve=True)
    assert (
        without_test.plan(detailed_exitcode=True, allow_account_removal={"test"})
        == PLAN_HAS_CHANGES
    )
