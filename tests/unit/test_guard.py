"""Every refusal rule of the guard (scripts/guard/), without the emulator: each refused for its
reason, and passed when it holds. In-process moto holds the organization, the member accounts and
the management workspace's state; a synthesized stack is stood in for by the two parts of it the
guard reads (the backend key, the providers), in the shape cdktf writes them.

A refusal names its causes only: a check that needs what an earlier one refused is printed as
skip and is not one more reason (tests/emulator/test_dev_workspace.py provokes the same rules
with real synthesized stacks and terraform)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from foundation.contract import (
    DEFAULT_ROLE_NAME,
    MANAGEMENT_STACK,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from foundation.model import Config
from scripts.console import Aborted, UserError
from scripts.guard import approval
from scripts.guard.account_removal import account_removals, refuse_account_removals
from scripts.guard.approval import AUTO_APPROVE_VARIABLE
from scripts.guard.checks import (
    REASON_MANAGEMENT_CREDENTIALS,
    REASON_MANAGEMENT_STACK,
    REASON_NO_FREEZE_POLICY,
    REASON_NOT_APPLIED,
    REASON_NOT_IN_ORGANIZATION,
    REASON_NOT_MEMBER,
    REASON_NOT_NAMED,
    REASON_NOT_PINNED_MANAGEMENT,
    REASON_NUKE_CONFIG,
    REASON_NUKE_MISSING,
    REASON_NUKE_VERSION,
    REASON_SAME_STATE_KEY,
    REASON_TARGET_IS_MANAGEMENT,
    REASON_WRONG_ACCOUNT,
    Refused,
)
from scripts.guard.kill_switch import kill_switch_guard
from scripts.guard.management import require_pinned_management_account
from scripts.guard.member import member_destroy_guard
from scripts.guard.reset import dev_reset_guard

ACCOUNT = "dev"
MOTO_ACCOUNT_ID = "123456789012"  # the account in-process moto's credentials land in
FOREIGN_ACCOUNT_ID = "210987654321"  # in no organization here
FREEZE_POLICY_ID = "p-freeze0001"


# --- the setting: an organization, its management state, the synthesized stacks ---------------


@pytest.fixture
def ids(moto_organization) -> dict[str, str]:
    """The member account ids of the example's organization in moto, by name."""
    return dict(moto_organization)


@pytest.fixture
def applied(ids, mocked_example, example_config):
    """applied(change) -> the example environment, pinned to moto's account, reading a
    management state whose outputs name every member (after `change(outputs)`; None: no state)
    from a bucket of its own."""
    made = iter(range(1000))

    def make(change=lambda outputs: None) -> Config:
        outputs = {
            OUTPUT_MANAGEMENT_ACCOUNT_ID: MOTO_ACCOUNT_ID,
            OUTPUT_MEMBER_ACCOUNT_IDS: dict(ids),
            OUTPUT_MEMBER_ROLE_ARNS: {
                name: f"arn:aws:iam::{account_id}:role/{DEFAULT_ROLE_NAME}"
                for name, account_id in ids.items()
            },
            OUTPUT_FREEZE_POLICY_ID: FREEZE_POLICY_ID,
        }
        bucket = f"guard-state-{next(made)}"
        s3 = mocked_example("s3", example_config.region)
        location = {"LocationConstraint": example_config.region}
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        if change is not None:
            change(outputs)
            state = {"outputs": {name: {"value": value} for name, value in outputs.items()}}
            key = example_config.state_key(MANAGEMENT_STACK)
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(state))
        return dataclasses.replace(
            example_config, state_bucket=bucket, management_account_id=MOTO_ACCOUNT_ID
        )

    return make


def stack(key: str, *, assumes_role: bool = True) -> dict:
    """The parts of a synthesized stack the guard reads: its backend key and its providers."""
    outputs = "data.terraform_remote_state.management_state.outputs"
    provider = {"allowed_account_ids": [f"${{{outputs}.{OUTPUT_MEMBER_ACCOUNT_IDS}.{ACCOUNT}}}"]}
    if assumes_role:
        provider["assume_role"] = [{"role_arn": f"${{{outputs}.{OUTPUT_MEMBER_ROLE_ARNS}.dev}}"}]
    return {"terraform": {"backend": {"s3": {"key": key}}}, "provider": {"aws": [provider]}}


def synthesized(directory: Path, dev: dict) -> Path:
    for name, body in (("management", stack("management/terraform.tfstate")), ("dev", dev)):
        (directory / name).mkdir(parents=True, exist_ok=True)
        (directory / name / "cdk.tf.json").write_text(json.dumps(body))
    return directory


@pytest.fixture
def stacks(tmp_path) -> Path:
    return synthesized(tmp_path / "stacks", stack("dev/terraform.tfstate"))


def refused(guard, *arguments) -> Refused:
    with pytest.raises(Refused) as refusal:
        guard(*arguments)
    return refusal.value


def cause(refusal: Refused, reason: str) -> str:
    """The one cause of `refusal`, which must be `reason`."""
    [only] = refusal.reasons
    assert only.startswith(reason), only
    return only


def named(what: str, account_id: str):
    """A change of the outputs: `what` (an output of ids or role ARNs by name) names
    `account_id` for the account."""

    def change(outputs: dict) -> None:
        outputs[what][ACCOUNT] = (
            account_id
            if what == OUTPUT_MEMBER_ACCOUNT_IDS
            else f"arn:aws:iam::{account_id}:role/{DEFAULT_ROLE_NAME}"
        )

    return change


# --- member: before a member workspace is destroyed ---------------------------------------------


def test_member_passes_when_every_rule_holds(applied, ids, stacks, capsys):
    target = member_destroy_guard(applied(), ACCOUNT, stacks)
    assert (target.account_id, target.management_account_id) == (ids[ACCOUNT], MOTO_ACCOUNT_ID)
    printed = capsys.readouterr().out
    assert "REFUSE" not in printed and "skip" not in printed
    assert printed.count("pass") == 6  # rules 1-6


@pytest.mark.parametrize(
    "account, reason", [(MANAGEMENT_STACK, REASON_MANAGEMENT_STACK), ("nope", REASON_NOT_MEMBER)]
)
def test_member_refuses_anything_but_a_member_account_and_says_only_that(
    applied, stacks, capsys, account, reason
):
    refusal = refused(member_destroy_guard, applied(), account, stacks)
    cause(refusal, reason)
    assert refusal.skipped == 4  # the rules about a member account
    printed = capsys.readouterr().out
    assert printed.count("REFUSE") == 1 and printed.count("skip") == 4
    assert f"the cause: {reason}" in str(refusal)


def test_member_refuses_a_state_key_shared_with_management(applied, tmp_path):
    shared = synthesized(tmp_path / "shared", stack("management/terraform.tfstate"))
    refusal = refused(member_destroy_guard, applied(), ACCOUNT, shared)
    assert "both use management/" in cause(refusal, REASON_SAME_STATE_KEY)


def test_member_refuses_an_unapplied_management_and_skips_what_needs_its_outputs(
    applied, stacks, capsys
):
    refusal = refused(member_destroy_guard, applied(None), ACCOUNT, stacks)
    assert "make apply ENV=example" in cause(refusal, REASON_NOT_APPLIED)
    assert refusal.skipped == 2
    printed = capsys.readouterr().out
    assert "skip   destroying identity is not the management account: not checked: it" in printed
    assert "cannot be verified" not in printed


def test_member_refuses_outputs_that_do_not_name_the_account(applied, stacks):
    unnamed = applied(lambda outputs: outputs[OUTPUT_MEMBER_ACCOUNT_IDS].pop(ACCOUNT))
    cause(refused(member_destroy_guard, unnamed, ACCOUNT, stacks), REASON_NOT_NAMED)


def test_member_refuses_a_role_in_the_management_account(applied, stacks):
    config = applied(named(OUTPUT_MEMBER_ROLE_ARNS, MOTO_ACCOUNT_ID))
    reasons = refused(member_destroy_guard, config, ACCOUNT, stacks).reasons
    [landing] = [r for r in reasons if r.startswith(REASON_MANAGEMENT_CREDENTIALS)]
    assert f"lands in account {MOTO_ACCOUNT_ID}, which is the management account" in landing
    # and STS names another account than the outputs do
    assert [r for r in reasons if r.startswith(REASON_WRONG_ACCOUNT)]


def test_member_refuses_a_provider_that_assumes_no_member_role(applied, tmp_path):
    without_role = synthesized(
        tmp_path / "no-role", stack("dev/terraform.tfstate", assumes_role=False)
    )
    refusal = refused(member_destroy_guard, applied(), ACCOUNT, without_role)
    assert "act with the management credentials" in cause(refusal, REASON_MANAGEMENT_CREDENTIALS)


def test_member_refuses_a_role_sts_cannot_assume_and_skips_who_it_would_be(applied, stacks):
    def unassumable(outputs):
        outputs[OUTPUT_MEMBER_ROLE_ARNS][ACCOUNT] = "not-a-role-arn"

    refusal = refused(member_destroy_guard, applied(unassumable), ACCOUNT, stacks)
    assert "could not assume" in cause(refusal, REASON_MANAGEMENT_CREDENTIALS)
    assert refusal.skipped == 1


def test_member_refuses_an_identity_in_another_account(applied, stacks):
    config = applied(named(OUTPUT_MEMBER_ACCOUNT_IDS, FOREIGN_ACCOUNT_ID))
    refusal = refused(member_destroy_guard, config, ACCOUNT, stacks)
    assert f"outputs name {FOREIGN_ACCOUNT_ID}" in cause(refusal, REASON_WRONG_ACCOUNT)


def test_member_refuses_another_management_account_than_the_file_pins(applied, stacks):
    pinned = dataclasses.replace(applied(), management_account_id=FOREIGN_ACCOUNT_ID)
    refusal = refused(member_destroy_guard, pinned, ACCOUNT, stacks)
    assert f"credentials land in account {MOTO_ACCOUNT_ID}, but" in cause(
        refusal, REASON_NOT_PINNED_MANAGEMENT
    )


# --- management: the credentials are the pinned management account -----------------------------


def test_management_refuses_credentials_of_another_account(example_config):
    with pytest.raises(UserError, match="pins the management account 111111111111"):
        require_pinned_management_account(example_config, FOREIGN_ACCOUNT_ID)
    with pytest.raises(UserError, match="an account STS could not name"):
        require_pinned_management_account(example_config, None)


def test_management_passes_the_pinned_account_or_an_unpinned_file(example_config):
    require_pinned_management_account(example_config, example_config.management_account_id)
    unpinned = dataclasses.replace(example_config, management_account_id=None)
    require_pinned_management_account(unpinned, FOREIGN_ACCOUNT_ID)


# --- kill switch: before a freeze or thaw by hand -----------------------------------------------


def test_kill_switch_passes_a_member_of_this_organization(applied, ids):
    target = kill_switch_guard(applied(), ACCOUNT, "freeze")
    assert (target.account_id, target.freeze_policy_id) == (ids[ACCOUNT], FREEZE_POLICY_ID)


@pytest.mark.parametrize(
    "account, reason", [(MANAGEMENT_STACK, REASON_MANAGEMENT_STACK), ("nope", REASON_NOT_MEMBER)]
)
def test_kill_switch_refuses_anything_but_a_member_account(applied, account, reason):
    refusal = refused(kill_switch_guard, applied(), account, "thaw")
    cause(refusal, reason)
    assert refusal.skipped == 2
    assert f"Refusing to thaw the '{account}' account; nothing was changed" in str(refusal)


def test_kill_switch_refuses_an_unapplied_management(applied):
    refusal = refused(kill_switch_guard, applied(None), ACCOUNT, "freeze")
    cause(refusal, REASON_NOT_APPLIED)
    assert refusal.skipped == 1


def test_kill_switch_refuses_outputs_without_the_freeze_policy(applied):
    config = applied(lambda outputs: outputs.pop(OUTPUT_FREEZE_POLICY_ID))
    refusal = refused(kill_switch_guard, config, ACCOUNT, "freeze")
    assert "freeze SCP" in cause(refusal, REASON_NO_FREEZE_POLICY)


@pytest.mark.parametrize(
    "account_id, reason",
    [
        (MOTO_ACCOUNT_ID, REASON_TARGET_IS_MANAGEMENT),
        (FOREIGN_ACCOUNT_ID, REASON_NOT_IN_ORGANIZATION),
    ],
)
def test_kill_switch_asks_organizations_who_the_target_is(applied, account_id, reason):
    config = applied(named(OUTPUT_MEMBER_ACCOUNT_IDS, account_id))
    cause(refused(kill_switch_guard, config, ACCOUNT, "freeze"), reason)


# --- reset: before a dev reset, a destroy's rules and aws-nuke's --------------------------------


def naming(accounts=None, blocklist=None):
    """A stand-in for the reset's config renderer: YAML naming `accounts` (default: the target)
    and blocking `blocklist` (default: what the guard passes), or its result on the target."""

    def render(target, passed_blocklist):
        blocked = passed_blocklist if blocklist is None else blocklist(target)
        listed = accounts or [target.account_id]
        return json.dumps({"accounts": dict.fromkeys(listed, {}), "account-blocklist": blocked})

    return render


@pytest.fixture
def aws_nuke(monkeypatch, tmp_path):
    """aws_nuke(version): PATH holds only an aws-nuke saying `version` (None: no aws-nuke)."""

    def put(version: str | None) -> None:
        directory = tmp_path / "bin"
        directory.mkdir()
        if version:
            (directory / "aws-nuke").write_text(f'#!/bin/sh\necho "version:     {version}"\n')
            (directory / "aws-nuke").chmod(0o755)
        monkeypatch.setenv("PATH", str(directory))

    return put


def test_reset_passes_aws_nuke_2_and_a_config_naming_only_the_target(
    applied, ids, stacks, aws_nuke
):
    aws_nuke("v2.16.0")
    checked = dev_reset_guard(applied(), ACCOUNT, stacks, naming())
    assert (checked.member.account_id, checked.nuke_version) == (ids[ACCOUNT], "2.16.0")


@pytest.mark.parametrize(
    "version, reason", [(None, REASON_NUKE_MISSING), ("v3.29.0", REASON_NUKE_VERSION)]
)
def test_reset_refuses_a_missing_or_unsupported_aws_nuke_saying_how_to_install_it(
    applied, stacks, aws_nuke, version, reason
):
    aws_nuke(version)
    refusal = refused(dev_reset_guard, applied(), ACCOUNT, stacks, naming())
    assert "apt-get install aws-nuke" in cause(refusal, reason)


@pytest.mark.parametrize(
    "render, problem",
    [
        (naming(accounts=["000000000001"]), "not only"),
        (naming(blocklist=lambda target: []), "its blocklist lacks"),
        (naming(blocklist=lambda target: [target.account_id]), "its blocklist names the target"),
    ],
)
def test_reset_refuses_a_config_that_could_reach_another_account(
    applied, stacks, aws_nuke, render, problem
):
    aws_nuke("v2.16.0")
    refusal = refused(dev_reset_guard, applied(), ACCOUNT, stacks, render)
    assert problem in cause(refusal, REASON_NUKE_CONFIG)


def test_reset_skips_the_config_until_the_member_is_verified(applied, stacks, aws_nuke, capsys):
    aws_nuke("v2.16.0")
    refusal = refused(dev_reset_guard, applied(None), ACCOUNT, stacks, naming())
    cause(refusal, REASON_NOT_APPLIED)
    assert refusal.skipped == 3
    printed = capsys.readouterr().out
    assert "skip   the aws-nuke config names only the target account: not checked" in printed


# --- approval: who approves, and a question nobody can answer -----------------------------------


@pytest.mark.parametrize(
    "stack, yes, environ, approved",
    [
        (MANAGEMENT_STACK, False, {}, False),
        (MANAGEMENT_STACK, False, {AUTO_APPROVE_VARIABLE: "1"}, False),
        (MANAGEMENT_STACK, True, {}, True),
        (ACCOUNT, False, {}, False),
        (ACCOUNT, False, {AUTO_APPROVE_VARIABLE: "1"}, True),
        (ACCOUNT, False, {AUTO_APPROVE_VARIABLE: "yes"}, False),
        (ACCOUNT, True, {}, True),
    ],
)
def test_approval_rule(stack, yes, environ, approved):
    assert approval.approved_without_asking(stack, yes=yes, environ=environ) is approved


def test_a_question_without_a_terminal_is_refused_before_it_is_asked(monkeypatch):
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked without a terminal"))
    with pytest.raises(UserError) as refusal:
        approval.confirmed(
            "Destroy?", "222222222222", auto_approve=False, skipped="destroying 3 resource(s)"
        )
    message = str(refusal.value)
    assert message.startswith("Destroying 3 resource(s) needs the account id typed to confirm")
    assert "no terminal to ask; nothing was changed" in message and "AUTO_APPROVE=1" in message
    assert "did not match" not in message
    with pytest.raises(UserError, match="--yes explicitly: .venv/bin/python -m scripts.cli apply"):
        approval.can_ask_at_the_terminal(MANAGEMENT_STACK)


def test_a_question_at_a_terminal_is_asked_and_an_approval_asks_nothing(monkeypatch):
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "222222222222")
    approval.confirmed("Destroy?", "222222222222", auto_approve=False, skipped="destroying")
    monkeypatch.setattr("builtins.input", lambda prompt: "")
    with pytest.raises(Aborted, match="did not match 222222222222"):
        approval.confirmed("Destroy?", "222222222222", auto_approve=False, skipped="destroying")
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    approval.confirmed("Destroy?", "222222222222", auto_approve=True, skipped="destroying")


# --- account removal: a plan that removes an account nobody named -------------------------------


def change(resource_type: str, key: str, actions: list[str], before: dict | None) -> dict:
    return {
        "address": f"{resource_type}.{key}",
        "type": resource_type,
        "change": {"actions": actions, "before": before},
    }


PLAN = {
    "resource_changes": [
        change("aws_organizations_account", "accounts_test", ["delete"], {"name": "test"}),
        change("aws_organizations_account", "accounts_lab", ["delete", "create"], {"name": "lab"}),
        change("aws_organizations_account", "accounts_dev", ["update"], {"name": "dev"}),
        change("aws_organizations_account", "accounts_new", ["create"], None),
        change("aws_s3_bucket", "logs", ["delete"], {"bucket": "logs"}),
    ]
}


def test_account_removals_are_found_and_nothing_else():
    assert account_removals(PLAN) == [
        ("test", "aws_organizations_account.accounts_test would be removed"),
        ("lab", "aws_organizations_account.accounts_lab would be replaced"),
    ]
    assert account_removals({"resource_changes": PLAN["resource_changes"][2:]}) == []
    prefixed = {
        "resource_changes": [
            change("aws_organizations_account", "accounts_test", ["delete"], {"name": "local-test"})
        ]
    }
    assert account_removals(prefixed, "local")[0][0] == "test"


def test_account_removal_refused_until_named_with_the_whole_path():
    with pytest.raises(UserError) as refusal:
        refuse_account_removals(PLAN, frozenset({"lab"}), MANAGEMENT_STACK)
    message = str(refusal.value)
    assert "test: aws_organizations_account.accounts_test would be removed" in message
    assert "lab:" not in message
    assert "standalone account" in message and "close-account" in message
    assert "ALLOW_ACCOUNT_REMOVAL=test" in message
    assert message.index("make dev-destroy") < message.index("ALLOW_ACCOUNT_REMOVAL=test")
    refuse_account_removals(PLAN, frozenset({"test", "lab"}), MANAGEMENT_STACK)


def test_removing_the_organization_needs_its_own_name():
    deleted = {
        "resource_changes": [
            change("aws_organizations_organization", "organization", ["delete"], {"id": "o-1"})
        ]
    }
    with pytest.raises(UserError, match="ALLOW_ACCOUNT_REMOVAL=organization"):
        refuse_account_removals(deleted, frozenset({"test"}), MANAGEMENT_STACK)
    refuse_account_removals(deleted, frozenset({"organization"}), MANAGEMENT_STACK)
