"""The dev destroy/recreate loop on the session's emulator: every refusal of the guard, a wrong
confirmation, the leftover listing, and three real destroy → apply → clean-plan cycles.

Refusals are provoked with real setups, not mocks: a second state bucket holding a tweaked copy
of the management state (so STS really answers for the role it names), a config whose state key
is shared, a stacks directory whose member provider assumes no role.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pytest

from foundation.contract import DEFAULT_ROLE_NAME, MANAGEMENT_STACK
from foundation.model import Config, Emulator
from scripts import aws, workspaces
from scripts.commands import dev_workspace
from scripts.console import Aborted, UserError
from scripts.guard import approval
from scripts.guard.checks import (
    REASON_MANAGEMENT_CREDENTIALS,
    REASON_MANAGEMENT_STACK,
    REASON_NOT_APPLIED,
    REASON_NOT_PINNED_MANAGEMENT,
    REASON_SAME_STATE_KEY,
    REASON_WRONG_ACCOUNT,
    Refused,
)
from scripts.workspaces import managed_resources
from tests.helpers import free_port

ACCOUNT = "dev"
FOREIGN_ACCOUNT_ID = "210987654321"  # not the management account, not dev

# Three destroy/recreate cycles of the applied foundation: a long chain of their own, on a worker
# of its own (tests/scheduling.py).
SCHEDULING_UNIT = "foundation: destroy/recreate cycles"


def states(config: Config) -> tuple[bytes | None, bytes | None]:
    return (workspaces.read_state(config, MANAGEMENT_STACK), workspaces.read_state(config, ACCOUNT))


def refusal(config: Config, stacks, account: str = ACCOUNT) -> list[str]:
    """Every refusal reason the guard gives; the states must be exactly as before."""
    before = states(config)
    with pytest.raises(Refused) as refused:
        dev_workspace.destroy(config, account, stacks, auto_approve=True)
    assert states(config) == before
    return refused.value.reasons


def reasons_starting(reasons: list[str], reason: str) -> list[str]:
    return [r for r in reasons if r.startswith(reason)]


def test_refuses_the_management_stack(foundation, capsys):
    config, stacks = foundation
    [reason] = refusal(config, stacks, MANAGEMENT_STACK)
    assert reason.startswith(REASON_MANAGEMENT_STACK)  # the rules about a member are skipped
    printed = capsys.readouterr().out
    assert f"REFUSE {REASON_MANAGEMENT_STACK}: 'management' is the management stack" in printed


def test_refuses_when_the_role_lands_in_the_management_account(
    foundation, with_management_outputs, capsys
):
    config, stacks = foundation
    management_id = workspaces.state_outputs(config, MANAGEMENT_STACK)["management_account_id"]

    def role_in_management(outputs):
        outputs["member_role_arns"]["value"][ACCOUNT] = (
            f"arn:aws:iam::{management_id}:role/OrganizationAccountAccessRole"
        )

    tweaked = with_management_outputs("guard-role-in-management", role_in_management)
    reasons = refusal(tweaked, stacks)
    # Every reason at once: the landing account is management, and not the member account.
    assert reasons_starting(reasons, REASON_MANAGEMENT_CREDENTIALS)
    assert reasons_starting(reasons, REASON_WRONG_ACCOUNT)
    assert (
        f"lands in account {management_id}, which is the management account"
        in capsys.readouterr().out
    )


def test_refuses_when_terraform_would_not_assume_the_member_role(foundation, tmp_path):
    config, stacks = foundation
    copied = tmp_path / "stacks"
    for stack in config.stack_names:
        shutil.copytree(
            stacks / stack, copied / stack, ignore=shutil.ignore_patterns(".terraform*")
        )
    member = json.loads((copied / ACCOUNT / "cdk.tf.json").read_text())
    del member["provider"]["aws"][0]["assume_role"]
    (copied / ACCOUNT / "cdk.tf.json").write_text(json.dumps(member))
    reasons = refusal(config, copied)
    assert [
        r
        for r in reasons
        if r.startswith(REASON_MANAGEMENT_CREDENTIALS)
        and "act with the management credentials" in r
    ]
    assert not reasons_starting(reasons, REASON_WRONG_ACCOUNT)


def test_refuses_when_the_assumed_identity_is_another_account(
    foundation, with_management_outputs, capsys
):
    config, stacks = foundation

    def other_account(outputs):
        outputs["member_account_ids"]["value"][ACCOUNT] = FOREIGN_ACCOUNT_ID

    tweaked = with_management_outputs("guard-wrong-account", other_account)
    reasons = refusal(tweaked, stacks)
    assert reasons_starting(reasons, REASON_WRONG_ACCOUNT)
    assert not reasons_starting(reasons, REASON_MANAGEMENT_CREDENTIALS)
    assert f"the management outputs name {FOREIGN_ACCOUNT_ID}" in capsys.readouterr().out


def test_refuses_when_the_management_workspace_is_not_applied(foundation, capsys):
    config, stacks = foundation
    unapplied = dataclasses.replace(config, state_bucket="guard-no-management-state")
    [reason] = refusal(unapplied, stacks)
    assert reason.startswith(REASON_NOT_APPLIED)
    # What depends on the outputs is never passed unchecked: it is skipped, and says so.
    printed = capsys.readouterr().out
    assert "skip   destroying identity is not the management account: not checked" in printed
    assert "skip   assumed identity is the member account: not checked" in printed


def test_refuses_when_the_file_pins_another_management_account(foundation, capsys):
    config, stacks = foundation
    pinned = dataclasses.replace(config, management_account_id=FOREIGN_ACCOUNT_ID)
    reasons = refusal(pinned, stacks)
    assert reasons_starting(reasons, REASON_NOT_PINNED_MANAGEMENT)
    assert len(reasons) == 1
    management_id = aws.account_id(config)
    printed = capsys.readouterr().out
    assert f"these credentials land in account {management_id}, but" in printed
    assert f"the management outputs name account {management_id}, but" in printed


class OneKeyForAll(Config):
    """A plausible refactoring slip: every workspace's state at the management key."""

    def state_key(self, stack: str) -> str:
        return Config.state_key(self, MANAGEMENT_STACK)


def test_refuses_a_member_state_key_equal_to_the_management_key(foundation):
    config, stacks = foundation
    # dataclasses.replace keeps the class, so the override needs a subclass built field by field.
    shared = OneKeyForAll(**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})
    reasons = refusal(shared, stacks)
    assert reasons_starting(reasons, REASON_SAME_STATE_KEY)
    assert len(reasons) == 1  # everything else about the real setup is fine


@pytest.mark.parametrize("answer", ["000000000000", "yes", EOFError])
def test_a_wrong_confirmation_aborts_with_nothing_changed(foundation, monkeypatch, capsys, answer):
    config, stacks = foundation

    def typed(prompt):
        if answer is EOFError:
            raise EOFError
        return answer

    monkeypatch.setattr("builtins.input", typed)
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    before = states(config)
    with pytest.raises(Aborted, match="nothing was changed"):
        dev_workspace.destroy(config, ACCOUNT, stacks, auto_approve=False)
    assert states(config) == before
    assert managed_resources(before[1])  # dev really was applied
    # The person saw what would go before being asked.
    printed = capsys.readouterr().out
    assert "every one will be destroyed:" in printed
    assert "- aws_s3_bucket." in printed


def test_without_a_terminal_the_typed_id_is_refused_before_it_is_asked(foundation, monkeypatch):
    config, stacks = foundation
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked: {prompt}"))
    before = states(config)
    with pytest.raises(UserError) as refused:
        dev_workspace.destroy(config, ACCOUNT, stacks, auto_approve=False)
    message = str(refused.value)
    assert "needs the account id typed to confirm and there is no terminal to ask" in message
    assert "AUTO_APPROVE=1" in message and "did not match" not in message
    assert states(config) == before


def test_an_unreachable_api_is_reported_not_hidden():
    from foundation import config as config_module

    dead = dataclasses.replace(
        config_module.load("local"), emulator=Emulator(f"https://127.0.0.1:{free_port()}")
    )
    leftovers = dev_workspace.list_leftovers(dead, aws.session(dead), DEFAULT_ROLE_NAME)
    assert not leftovers.found
    assert len(leftovers.unlisted) == 5
    assert all(line.startswith("could not list ") and "(" in line for line in leftovers.lines())


def test_three_destroy_recreate_cycles(foundation, monkeypatch, capsys):
    """Cycle 1 step by step (typed confirmation, states checked from outside, console leftovers
    listed), cycles 2 and 3 through `recreate` as `make demo` calls it."""
    config, stacks = foundation
    management_before = workspaces.read_state(config, MANAGEMENT_STACK)
    account_id, role_arn = workspaces.member_account(config, ACCOUNT)
    member = aws.assume_role(config, role_arn, "test-console-user")
    s3, iam = aws.client(config, "s3", member), aws.client(config, "iam", member)
    leftover_bucket, leftover_role = f"console-made-{account_id}", "console-made-role"
    timings = []

    # Cycle 1: a person types the account id; things made "in the console" must be listed.
    started = time.monotonic()
    s3.create_bucket(Bucket=leftover_bucket)
    s3.put_bucket_tagging(
        Bucket=leftover_bucket, Tagging={"TagSet": [{"Key": "made-by", "Value": "hand"}]}
    )
    ec2 = aws.client(config, "ec2", member)
    terminated = ec2.run_instances(
        ImageId=ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"],
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "made-by", "Value": "hand"}]}
        ],
    )["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[terminated])
    iam.create_role(
        RoleName=leftover_role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"AWS": account_id},
                    }
                ],
            }
        ),
    )
    try:
        prompts = []
        monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or account_id)
        monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
        result = dev_workspace.destroy(config, ACCOUNT, stacks, auto_approve=False)
        assert result.account_id == account_id
        assert len(prompts) == 1 and account_id in prompts[0]
        assert managed_resources(workspaces.read_state(config, ACCOUNT)) == []
        assert workspaces.read_state(config, MANAGEMENT_STACK) == management_before
        found = result.leftovers.found
        assert found["S3 buckets"] == [leftover_bucket]  # the sandbox bucket is gone
        assert (
            f"arn:aws:s3:::{leftover_bucket}"
            in found["tagged resources (Resource Groups Tagging API)"]
        )
        # Terminated, the instance is still listed by EC2 for a while, but is no leftover.
        assert not any(
            arn.endswith(f":instance/{terminated}")
            for arn in found["tagged resources (Resource Groups Tagging API)"]
        )
        assert found["EC2 instances"] == []
        roles = found["IAM roles (other than service-linked and OrganizationAccountAccessRole)"]
        assert roles == [leftover_role]  # the experiments role is gone
        assert not result.leftovers.unlisted, result.leftovers.unlisted
        printed = capsys.readouterr().out
        assert f"S3 buckets: {leftover_bucket}" in printed
        assert "nothing was deleted; `make dev-reset` deletes them" in printed
    finally:
        s3.delete_bucket(Bucket=leftover_bucket)
        iam.delete_role(RoleName=leftover_role)
    # Nothing left to destroy: the recreate has nothing to ask about, so it asks nothing.
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked: {prompt}"))
    dev_workspace.recreate(config, ACCOUNT, stacks, auto_approve=False)
    assert "holds 0 resource(s); nothing to destroy." in capsys.readouterr().out
    assert workspaces.read_state(config, MANAGEMENT_STACK) == management_before
    timings.append(time.monotonic() - started)

    # Cycles 2 and 3: the one-call loop.
    for _ in range(2):
        started = time.monotonic()
        result = dev_workspace.recreate(config, ACCOUNT, stacks, auto_approve=True)
        timings.append(time.monotonic() - started)
        assert [title for title, _ in result.timings] == [
            "checking that only the 'dev' account can be affected",
            f"destroying workspace 'dev' (account {account_id})",
            "verifying: member state empty, management state unchanged",
            f"listing what remains in account {account_id} outside Terraform",
            "applying workspace 'dev'",
            "planning: expecting no changes (-detailed-exitcode)",
        ]
        assert not any(result.leftovers.found.values())
        assert workspaces.read_state(config, MANAGEMENT_STACK) == management_before
        assert "recreated in" in capsys.readouterr().out

    # Left as found: dev applied.
    assert managed_resources(workspaces.read_state(config, ACCOUNT))
    with capsys.disabled():
        print(
            "\n  dev destroy/recreate cycles: "
            + ", ".join(f"{seconds:.0f}s" for seconds in timings)
        )
