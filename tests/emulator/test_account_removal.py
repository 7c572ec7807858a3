"""A plan that removes an account from the organization (or the organization itself) is refused
unless ALLOW_ACCOUNT_REMOVAL names it: `prevent_destroy` protects an account only while it is
still in the configuration. The flag, and an account taken out of the file on the emulator (the
refusal rule itself: tests/unit/test_guard.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from foundation import config as config_module
from foundation.config import environment_path
from foundation.contract import MANAGEMENT_STACK
from foundation.paths import REPO_ROOT
from scripts import aws, cli, workspaces
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
    own_emulator, synthesize, tmp_path, capsys
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

    # Its workspace destroyed (an empty state, as `make dev-destroy` leaves it), the named
    # removal is applied and the empty state goes with the account.
    s3 = aws.client(own_emulator, "s3")
    key = own_emulator.state_key("test")
    s3.put_object(Bucket=own_emulator.state_bucket, Key=key, Body=EMPTY_STATE)
    without_test.apply(auto_approve=True, allow_account_removal={"test"})
    assert "Contents" not in s3.list_objects_v2(Bucket=own_emulator.state_bucket, Prefix=key)
    assert "Deleted the empty workspace state of the removed account 'test'" in (
        capsys.readouterr().out
    )
    organizations = aws.client(own_emulator, "organizations")
    assert "aws-test@example.com" not in [
        account["Email"] for account in organizations.list_accounts()["Accounts"]
    ]


EMPTY_STATE = json.dumps({"version": 4, "resources": [], "outputs": {}}).encode()


def test_a_removed_accounts_state_goes_only_when_empty(mocked_example, example_config):
    s3 = mocked_example("s3", example_config.region)
    s3.create_bucket(
        Bucket=example_config.state_bucket,
        CreateBucketConfiguration={"LocationConstraint": example_config.region},
    )
    key = example_config.state_key("test")
    assert "has no workspace state" in workspaces.forget_workspace(example_config, "test")
    bucket = {
        "mode": "managed",
        "type": "aws_s3_bucket",
        "name": "sandbox",
        "instances": [{"attributes": {"bucket": "b"}}],
    }
    held = json.dumps({"version": 4, "resources": [bucket]}).encode()
    s3.put_object(Bucket=example_config.state_bucket, Key=key, Body=held)
    said = workspaces.forget_workspace(example_config, "test")
    assert "still has 1 resource(s) in its workspace state, kept" in said
    assert s3.get_object(Bucket=example_config.state_bucket, Key=key)["Body"].read() == held
    s3.put_object(Bucket=example_config.state_bucket, Key=key, Body=EMPTY_STATE)
    assert said != workspaces.forget_workspace(example_config, "test")
    assert "Contents" not in s3.list_objects_v2(Bucket=example_config.state_bucket, Prefix=key)
