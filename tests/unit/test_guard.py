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
def organization(moto_organization, example_config) -> tuple[Config, dict[str, str]]:
    """The example environment pinned to moto's account, with its organization and member
    accounts; (config, member account ids by name)."""
    return dataclasses.replace(example_config, management_account_id=MOTO_ACCOUNT_ID), dict(
        moto_organization
    )


def applied_outputs(ids: dict[str, str]) -> dict:
    return {
        OUTPUT_MANAGEMENT_ACCOUNT_ID: MOTO_ACCOUNT_ID,
        OUTPUT_MEMBER_ACCOUNT_IDS: dict(ids),
        OUTPUT_MEMBER_ROLE_ARNS: {
            name: f"arn:aws:iam::{account_id}:role/{DEFAULT_ROLE_NAME}"
            for name, account_id in ids.items()
        },
        OUTPUT_FREEZE_POLICY_ID: FREEZE_POLICY_ID,
    }


def with_outputs(config: Config, mocked, outputs: dict | None) -> Config:
    """`config` reading a management state with these outputs (None: none written) from a
    bucket of its own."""
    bucket = f"guard-{abs(hash(json.dumps(outputs, sort_keys=True))) % 10**8}"
    s3 = mocked("s3", config.region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
    if outputs is not None:
        state = {"outputs": {name: {"value": value} for name, value in outputs.items()}}
        s3.put_object(Bucket=bucket, Key=config.state_key(MANAGEMENT_STACK), Body=json.dumps(state))
    return dataclasses.replace(config, state_bucket=bucket)


def stack(key: str, role: str = f"${{{OUTPUT_MEMBER_ROLE_ARNS}}}") -> dict:
    """The parts of a synthesized stack the guard reads: its backend key and its providers."""
    reference = "data.terraform_remote_state.management_state.outputs"
    provider = {
        "allowed_account_ids": [f"${{{reference}.{OUTPUT_MEMBER_ACCOUNT_IDS}.{ACCOUNT}}}"],
        "region": "eu-west-1",
    }
    if role:
        provider["assume_role"] = [{"role_arn": f"${{{reference}.{OUTPUT_MEMBER_ROLE_ARNS}.dev}}"}]
    return {"terraform": {"backend": {"s3": {"key": key}}}, "provider": {"aws": [provider]}}


def synthesized(tmp_path: Path, **stacks: dict) -> Path:
    for name, body in stacks.items():
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / name / "cdk.tf.json").write_text(json.dumps(body))
    return tmp_path


@pytest.fixture
def stacks(tmp_path) -> Path:
    return synthesized(
        tmp_path / "stacks",
        management=stack("management/terraform.tfstate", role=""),
        dev=stack("dev/terraform.tfstate"),
    )


def refused(guard, *arguments) -> Refused:
    with pytest.raises(Refused) as refusal:
        guard(*arguments)
    return refusal.value


def starting(reasons: list[str], reason: str) -> list[str]:
    return [r for r in reasons if r.startswith(reason)]


# --- member: before a member workspace is destroyed ---------------------------------------------


def test_member_passes_when_every_rule_holds(organization, mocked_example, stacks, capsys):
    config, ids = organization
    target = member_destroy_guard(
        with_outputs(config, mocked_example, applied_outputs(ids)), ACCOUNT, stacks
    )
    assert target.account_id == ids[ACCOUNT]
    assert target.management_account_id == MOTO_ACCOUNT_ID
    printed = capsys.readouterr().out
    assert "REFUSE" not in printed and "skip" not in printed
    assert printed.count("pass") == 6  # rules 1-6


@pytest.mark.parametrize(
    "account, reason", [(MANAGEMENT_STACK, REASON_MANAGEMENT_STACK), ("nope", REASON_NOT_MEMBER)]
)
def test_member_refuses_anything_but_a_member_account_and_says_only_that(
    organization, mocked_example, stacks, capsys, account, reason
):
    config, ids = organization
    refusal = refused(
        member_destroy_guard,
        with_outputs(config, mocked_example, applied_outputs(ids)),
        account,
        stacks,
    )
    [cause] = refusal.reasons
    assert cause.startswith(reason)
    assert refusal.skipped == 4  # the rules about a member account
    printed = capsys.readouterr().out
    assert printed.count("REFUSE") == 1 and printed.count("skip") == 4
    assert f"the cause: {reason}" in str(refusal)


def test_member_refuses_a_state_key_shared_with_management(organization, mocked_example, tmp_path):
    config, ids = organization
    config = with_outputs(config, mocked_example, applied_outputs(ids))
    shared = synthesized(
        tmp_path / "shared",
        management=stack("management/terraform.tfstate", role=""),
        dev=stack("management/terraform.tfstate"),
    )
    [cause] = refused(member_destroy_guard, config, ACCOUNT, shared).reasons
    assert cause.startswith(REASON_SAME_STATE_KEY) and "both use management/" in cause


def test_member_refuses_an_unapplied_management_and_skips_what_needs_its_outputs(
    organization, mocked_example, stacks, capsys
):
    config, _ = organization
    refusal = refused(
        member_destroy_guard, with_outputs(config, mocked_example, None), ACCOUNT, stacks
    )
    [cause] = refusal.reasons
    assert cause.startswith(REASON_NOT_APPLIED) and "make apply ENV=example" in cause
    assert refusal.skipped == 2
    printed = capsys.readouterr().out
    assert "skip   destroying identity is not the management account: not checked: it needs" in (
        printed
    )
    assert "cannot be verified" not in printed


def test_member_refuses_outputs_that_do_not_name_the_account(organization, mocked_example, stacks):
    config, ids = organization
    outputs = applied_outputs({name: i for name, i in ids.items() if name != ACCOUNT})
    [cause] = refused(
        member_destroy_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, stacks
    ).reasons
    assert cause.startswith(REASON_NOT_NAMED)


def test_member_refuses_a_role_in_the_management_account(organization, mocked_example, stacks):
    config, ids = organization
    outputs = applied_outputs(ids)
    outputs[OUTPUT_MEMBER_ROLE_ARNS][ACCOUNT] = (
        f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/{DEFAULT_ROLE_NAME}"
    )
    reasons = refused(
        member_destroy_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, stacks
    ).reasons
    [landing] = starting(reasons, REASON_MANAGEMENT_CREDENTIALS)
    assert f"lands in account {MOTO_ACCOUNT_ID}, which is the management account" in landing
    assert starting(reasons, REASON_WRONG_ACCOUNT)  # STS names another account than the outputs


def test_member_refuses_a_provider_that_assumes_no_member_role(
    organization, mocked_example, tmp_path
):
    config, ids = organization
    without_role = synthesized(
        tmp_path / "no-role",
        management=stack("management/terraform.tfstate", role=""),
        dev=stack("dev/terraform.tfstate", role=""),
    )
    [cause] = refused(
        member_destroy_guard,
        with_outputs(config, mocked_example, applied_outputs(ids)),
        ACCOUNT,
        without_role,
    ).reasons
    assert cause.startswith(REASON_MANAGEMENT_CREDENTIALS)
    assert "act with the management credentials" in cause


def test_member_refuses_a_role_sts_cannot_assume_and_skips_who_it_would_be(
    organization, mocked_example, stacks
):
    config, ids = organization
    outputs = applied_outputs(ids)
    outputs[OUTPUT_MEMBER_ROLE_ARNS][ACCOUNT] = "not-a-role-arn"
    refusal = refused(
        member_destroy_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, stacks
    )
    [cause] = refusal.reasons
    assert cause.startswith(REASON_MANAGEMENT_CREDENTIALS) and "could not assume" in cause
    assert refusal.skipped == 1


def test_member_refuses_an_identity_in_another_account(organization, mocked_example, stacks):
    config, ids = organization
    outputs = applied_outputs(ids)
    outputs[OUTPUT_MEMBER_ACCOUNT_IDS][ACCOUNT] = FOREIGN_ACCOUNT_ID
    [cause] = refused(
        member_destroy_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, stacks
    ).reasons
    assert cause.startswith(REASON_WRONG_ACCOUNT)
    assert f"the management outputs name {FOREIGN_ACCOUNT_ID}" in cause


def test_member_refuses_another_management_account_than_the_file_pins(
    organization, mocked_example, stacks
):
    config, ids = organization
    pinned = dataclasses.replace(
        with_outputs(config, mocked_example, applied_outputs(ids)),
        management_account_id=FOREIGN_ACCOUNT_ID,
    )
    [cause] = refused(member_destroy_guard, pinned, ACCOUNT, stacks).reasons
    assert cause.startswith(REASON_NOT_PINNED_MANAGEMENT)
    assert f"these credentials land in account {MOTO_ACCOUNT_ID}, but" in cause


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


def test_kill_switch_passes_a_member_of_this_organization(organization, mocked_example):
    config, ids = organization
    target = kill_switch_guard(
        with_outputs(config, mocked_example, applied_outputs(ids)), ACCOUNT, "freeze"
    )
    assert (target.account_id, target.freeze_policy_id) == (ids[ACCOUNT], FREEZE_POLICY_ID)


@pytest.mark.parametrize(
    "account, reason", [(MANAGEMENT_STACK, REASON_MANAGEMENT_STACK), ("nope", REASON_NOT_MEMBER)]
)
def test_kill_switch_refuses_anything_but_a_member_account(
    organization, mocked_example, account, reason
):
    config, ids = organization
    refusal = refused(
        kill_switch_guard,
        with_outputs(config, mocked_example, applied_outputs(ids)),
        account,
        "thaw",
    )
    [cause] = refusal.reasons
    assert cause.startswith(reason) and refusal.skipped == 2
    assert f"Refusing to thaw the '{account}' account; nothing was changed" in str(refusal)


def test_kill_switch_refuses_an_unapplied_management(organization, mocked_example):
    config, _ = organization
    refusal = refused(
        kill_switch_guard, with_outputs(config, mocked_example, None), ACCOUNT, "freeze"
    )
    [cause] = refusal.reasons
    assert cause.startswith(REASON_NOT_APPLIED) and refusal.skipped == 1


def test_kill_switch_refuses_outputs_without_the_freeze_policy(organization, mocked_example):
    config, ids = organization
    outputs = applied_outputs(ids)
    del outputs[OUTPUT_FREEZE_POLICY_ID]
    [cause] = refused(
        kill_switch_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, "freeze"
    ).reasons
    assert cause.startswith(REASON_NO_FREEZE_POLICY) and "freeze SCP" in cause


@pytest.mark.parametrize(
    "named, reason",
    [
        (MOTO_ACCOUNT_ID, REASON_TARGET_IS_MANAGEMENT),
        (FOREIGN_ACCOUNT_ID, REASON_NOT_IN_ORGANIZATION),
    ],
)
def test_kill_switch_asks_organizations_who_the_target_is(
    organization, mocked_example, named, reason
):
    config, ids = organization
    outputs = applied_outputs(ids)
    outputs[OUTPUT_MEMBER_ACCOUNT_IDS][ACCOUNT] = named
    [cause] = refused(
        kill_switch_guard, with_outputs(config, mocked_example, outputs), ACCOUNT, "freeze"
    ).reasons
    assert cause.startswith(reason)


# --- reset: before a dev reset, a destroy's rules and aws-nuke's --------------------------------


def fake_aws_nuke(directory: Path, version: str) -> Path:
    """An aws-nuke on PATH that says `version`."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "aws-nuke"
    binary.write_text(f'#!/bin/sh\necho "version:     {version}"\n')
    binary.chmod(0o755)
    return directory


def naming(accounts, blocklist):
    """A stand-in for the reset's config renderer: YAML naming `accounts`, blocking `blocklist`
    (None: what the guard passes)."""

    def render(target, passed_blocklist):
        return json.dumps(
            {
                "accounts": {account: {} for account in accounts or [target.account_id]},
                "account-blocklist": passed_blocklist if blocklist is None else blocklist,
            }
        )

    return render


@pytest.fixture
def on_path(monkeypatch, tmp_path):
    """on_path(version): PATH holds only an aws-nuke saying `version` (None: no aws-nuke)."""

    def put(version: str | None) -> None:
        directory = tmp_path / "bin"
        directory.mkdir(exist_ok=True)
        if version:
            fake_aws_nuke(directory, version)
        monkeypatch.setenv("PATH", str(directory))
        if not version and (directory / "aws-nuke").exists():
            (directory / "aws-nuke").unlink()

    return put


def test_reset_passes_aws_nuke_2_and_a_config_naming_only_the_target(
    organization, mocked_example, stacks, on_path
):
    config, ids = organization
    on_path("v2.16.0")
    checked = dev_reset_guard(
        with_outputs(config, mocked_example, applied_outputs(ids)),
        ACCOUNT,
        stacks,
        naming(None, None),
    )
    assert checked.member.account_id == ids[ACCOUNT] and checked.nuke_version == "2.16.0"


@pytest.mark.parametrize(
    "version, reason", [(None, REASON_NUKE_MISSING), ("v3.29.0", REASON_NUKE_VERSION)]
)
def test_reset_refuses_a_missing_or_unsupported_aws_nuke_saying_how_to_install_it(
    organization, mocked_example, stacks, on_path, version, reason
):
    config, ids = organization
    on_path(version)
    [cause] = refused(
        dev_reset_guard,
        with_outputs(config, mocked_example, applied_outputs(ids)),
        ACCOUNT,
        stacks,
        naming(None, None),
    ).reasons
    assert cause.startswith(reason) and "apt-get install aws-nuke" in cause


@pytest.mark.parametrize(
    "accounts, blocklist, problem",
    [
        (["000000000001"], None, "not only"),
        (None, [], "its blocklist lacks"),
        (None, ["TARGET"], "its blocklist names the target"),
    ],
)
def test_reset_refuses_a_config_that_could_reach_another_account(
    organization, mocked_example, stacks, on_path, accounts, blocklist, problem
):
    config, ids = organization
    on_path("v2.16.0")
    if blocklist == ["TARGET"]:
        blocklist = [ids[ACCOUNT], MOTO_ACCOUNT_ID, *ids.values()]
    [cause] = refused(
        dev_reset_guard,
        with_outputs(config, mocked_example, applied_outputs(ids)),
        ACCOUNT,
        stacks,
        naming(accounts, blocklist),
    ).reasons
    assert cause.startswith(REASON_NUKE_CONFIG) and problem in cause


def test_reset_skips_the_config_until_the_member_is_verified(
    organization, mocked_example, stacks, on_path, capsys
):
    config, _ = organization
    on_path("v2.16.0")
    refusal = refused(
        dev_reset_guard,
        with_outputs(config, mocked_example, None),
        ACCOUNT,
        stacks,
        naming(None, None),
    )
    [cause] = refusal.reasons
    assert cause.startswith(REASON_NOT_APPLIED) and refusal.skipped == 3
    printed = capsys.readouterr().out
    assert "skip   the aws-nuke config names only the target account: not checked: it needs" in (
        printed
    )


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
