"""How the synthesized stacks are wired: each keeps its own encrypted, locked state; providers
tag, pin and assume what they must; management outputs what the others need; and a changed
environment file shows up in the JSON."""

from __future__ import annotations

import json

import pytest

from foundation.config import load
from foundation.contract import MANAGED_BY, MANAGEMENT_STACK
from tests.helpers import find, policy, ref, the_one

MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def remote_state(stack: dict) -> tuple[str, dict]:
    """(key, body) of a member stack's one remote state: management's."""
    [(key, body)] = stack["data"]["terraform_remote_state"].items()
    return key, body


# --- backend, providers, cross-stack wiring ------------------------------------------------------


def test_every_stack_keeps_encrypted_locked_state_under_its_own_key(example_stacks, example_config):
    backends = {name: stack["terraform"]["backend"]["s3"] for name, stack in example_stacks.items()}
    for name, backend in backends.items():
        assert backend["use_lockfile"] is True and backend["encrypt"] is True, name
        assert (backend["bucket"], backend["region"]) == (
            example_config.state_bucket,
            example_config.region,
        )
        assert backend["key"] == example_config.state_key(name)
    assert len({b["key"] for b in backends.values()}) == len(backends)


def test_every_provider_tags_resources_with_workspace_and_environment(
    stack_text, cdktf_testing, example_config
):
    for name, text in stack_text.items():
        tags = {
            **dict(example_config.tags),
            "managed-by": MANAGED_BY,
            "workspace": name,
            "environment": example_config.env_name,
            # the key the dev reset keeps by: a learner's code never writes it
            f"{MANAGED_BY}:workspace": name,
        }
        assert cdktf_testing.to_have_provider_with_properties(
            text, "aws", {"region": example_config.region, "default_tags": [{"tags": tags}]}
        ), name


def test_management_providers_use_the_callers_credentials_pinned_to_the_management_account(
    management, example_config
):
    for provider in management["provider"]["aws"]:  # one per allowed region
        assert "assume_role" not in provider
        assert provider["allowed_account_ids"] == [example_config.management_account_id]


def test_dev_provider_assumes_the_member_role_from_management_state(dev, management):
    state_key, state = remote_state(dev)
    assert state["backend"] == "s3"
    management_backend = management["terraform"]["backend"]["s3"]
    assert {k: state["config"][k] for k in ("bucket", "key", "region")} == {
        k: management_backend[k] for k in ("bucket", "key", "region")
    }

    outputs = f"data.terraform_remote_state.{state_key}.outputs"
    for provider in dev["provider"]["aws"]:  # one per allowed region, each in the dev account
        [assume_role] = provider["assume_role"]
        assert assume_role["role_arn"] == f"${{{outputs}.member_role_arns.dev}}"
        assert provider["allowed_account_ids"] == [f"${{{outputs}.member_account_ids.dev}}"]
    # ... and management really publishes those outputs for `dev`.
    assert "dev" in management["output"]["member_role_arns"]["value"]
    assert "dev" in management["output"]["member_account_ids"]["value"]


def test_dev_experiments_role_trusts_only_management_with_mfa(dev):
    state_key, _ = remote_state(dev)
    [(_, role)] = [
        (key, body)
        for key, body in find(dev, "aws_iam_role")
        if body["name"].endswith("-experiments")
    ]
    [statement] = policy(role, "assume_role_policy")["Statement"]
    management_id = f"${{data.terraform_remote_state.{state_key}.outputs.management_account_id}}"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{management_id}:root"}
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Condition"] == MFA_PRESENT


def test_management_outputs_what_other_workspaces_and_people_need(
    management, example_config, log_bucket
):
    outputs = {name: body["value"] for name, body in management["output"].items()}
    [(org_key, _)] = find(management, "aws_organizations_organization")
    [(trail_key, _)] = find(management, "aws_cloudtrail")
    assert outputs["organization_id"] == ref("aws_organizations_organization", org_key, "id")
    assert outputs["management_account_id"] == ref(
        "aws_organizations_organization", org_key, "master_account_id"
    )
    assert outputs["trail_arn"] == ref("aws_cloudtrail", trail_key, "arn")
    assert outputs["trail_bucket"] == ref("aws_s3_bucket", log_bucket[0], "id")
    assert (
        set(outputs["member_account_ids"])
        == set(outputs["member_role_arns"])
        == {a.name for a in example_config.accounts}
    )
    for account in example_config.accounts:
        key, _ = the_one(management, "aws_organizations_account", email=account.email)
        account_id = ref("aws_organizations_account", key, "id")
        assert outputs["member_account_ids"][account.name] == account_id
        assert outputs["member_role_arns"][account.name] == (
            f"arn:aws:iam::{account_id}:role/{account.role_name}"
        )


# --- a changed environment file shows up in the JSON ---------------------------------------------

CHANGED_RETENTION = 90


@pytest.fixture(scope="module")
def changed_stacks(synthesize, example_config, tmp_path_factory) -> dict[str, dict]:
    """The example with another retention and an added [accounts.test]."""
    text = example_config.source.read_text()
    retention = f"retention_days = {example_config.trail.retention_days}"
    assert text.count(retention) == 1 and example_config.trail.retention_days != CHANGED_RETENTION
    text = text.replace(retention, f"retention_days = {CHANGED_RETENTION}")
    text += '\n[accounts.test]\nemail = "aws-test@example.com"\nrole_name = "TestAccess"\n'
    path = tmp_path_factory.mktemp("changed") / "example.toml"
    path.write_text(text)
    stacks = synthesize(load(path)) / "stacks"
    return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in stacks.iterdir()}


def test_changed_retention_reaches_the_log_bucket_lifecycle(changed_stacks, example_config):
    management = changed_stacks[MANAGEMENT_STACK]
    key, _ = the_one(management, "aws_s3_bucket", bucket=example_config.trail.bucket)
    _, lifecycle = the_one(
        management, "aws_s3_bucket_lifecycle_configuration", bucket=ref("aws_s3_bucket", key, "id")
    )
    assert lifecycle["rule"][0]["expiration"] == [{"days": CHANGED_RETENTION}]


def test_added_account_gets_its_own_account_role_and_workspace(changed_stacks, example_config):
    assert sorted(changed_stacks) == sorted([MANAGEMENT_STACK, "dev", "test"])
    management, test = changed_stacks[MANAGEMENT_STACK], changed_stacks["test"]
    key, account = the_one(management, "aws_organizations_account", email="aws-test@example.com")
    assert account["role_name"] == "TestAccess"
    role_arn = f"arn:aws:iam::{ref('aws_organizations_account', key, 'id')}:role/TestAccess"
    assert management["output"]["member_role_arns"]["value"]["test"] == role_arn
    group_key, _ = the_one(
        management, "aws_iam_group", name=f"{example_config.name_prefix}-member-account-access"
    )
    [(_, group_policy)] = find(
        management, "aws_iam_group_policy", group=ref("aws_iam_group", group_key, "name")
    )
    assert role_arn in policy(group_policy)["Statement"][0]["Resource"]

    assert test["terraform"]["backend"]["s3"]["key"] == "test/terraform.tfstate"
    state_key, _ = remote_state(test)
    for provider in test["provider"]["aws"]:
        assert provider["default_tags"][0]["tags"]["workspace"] == "test"
        assert provider["assume_role"][0]["role_arn"] == (
            f"${{data.terraform_remote_state.{state_key}.outputs.member_role_arns.test}}"
        )
