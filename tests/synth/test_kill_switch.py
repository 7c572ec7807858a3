"""The cost kill switch and Cost Anomaly Detection, read from the synthesized JSON: one freeze
SCP that Terraform attaches to nothing, a budget action per switched-on member account pointing
at it and at that account only, execution roles allowed nothing else, never the management
account. The freeze SCP is evaluated statement by statement (tests/helpers.py), not searched as
text.

A second synthesis (`several`, tests/synth/conftest.py) has three member accounts (two switched
on at different thresholds, one off) and anomaly detection off.
"""

from __future__ import annotations

import json
import re

import pytest

from foundation import organization_policies
from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_ACCOUNT_BUDGETS,
    OUTPUT_FREEZE_ACTION_IDS,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_ORGANIZATION_BUDGET,
)
from foundation.model import Budgets
from tests.helpers import (
    action_matches,
    denying_statements,
    find,
    iam_action_catalogue,
    keyed,
    policy,
    ref,
    statements,
    the_one,
)

ROOT_SESSION = {"aws:AssumedRoot": "true"}
# What a frozen account must still do: read, stop, terminate, delete, and rebuild its baseline
# (IAM roles, S3 buckets); aws-nuke disables Batch compute environments before deleting them.
STILL_ALLOWED = (
    "ec2:TerminateInstances",
    "ec2:StopInstances",
    "ec2:DescribeInstances",
    "ec2:DeleteNatGateway",
    "ec2:ReleaseAddress",
    "ec2:DeleteVolume",
    "ec2:ModifyInstanceAttribute",
    "s3:DeleteBucket",
    "s3:CreateBucket",
    "s3:PutBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "iam:DeleteRole",
    "iam:CreateRole",
    "iam:AttachRolePolicy",
    "rds:DeleteDBInstance",
    "rds:StopDBInstance",
    "rds:ModifyDBInstance",
    "rds:CreateDBSnapshot",
    "sagemaker:DeleteEndpoint",
    "sagemaker:StopNotebookInstance",
    "eks:DeleteNodegroup",
    "eks:DeleteCluster",
    "ecs:DeleteService",
    "lambda:DeleteFunction",
    "batch:UpdateComputeEnvironment",
    "cloudformation:DeleteStack",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
)
FROZEN = (
    "ec2:RunInstances",
    "sagemaker:CreateEndpoint",
    "ec2:CreateNatGateway",
    "ec2:StartInstances",
    "ec2:AllocateAddress",
    "ec2:CreateVolume",
    "ec2:RequestSpotInstances",
    "rds:CreateDBInstance",
    "rds:CreateDBCluster",
    "rds:StartDBCluster",
    "rds:RestoreDBInstanceFromDBSnapshot",
    "redshift:CreateCluster",
    "elasticache:CreateReplicationGroup",
    "es:CreateDomain",
    "aoss:CreateCollection",
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:CreateProvisionedModelThroughput",
    "sagemaker:CreateTrainingJob",
    "sagemaker:InvokeEndpoint",
    "eks:CreateNodegroup",
    "eks:UpdateNodegroupConfig",
    "ecs:CreateService",
    "ecs:UpdateService",
    "batch:SubmitJob",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "autoscaling:SetDesiredCapacity",
    "elasticloadbalancing:CreateLoadBalancer",
)
CLEANUP_VERBS = (
    "Delete",
    "Terminate",
    "Stop",
    "Describe",
    "Get",
    "List",
    "Release",
    "Detach",
    "Disassociate",
    "Deregister",
    "Remove",
    "Cancel",
    "Untag",
    "Disable",
    "Revoke",
)
# Services the member baseline, the dev loop and a sweep need whole.
NEVER_FROZEN_SERVICES = ("iam", "s3", "sts", "organizations", "cloudformation")


def freeze_scp(stack: dict, config) -> tuple[str, dict]:
    return the_one(stack, "aws_organizations_policy", name=f"{config.name_prefix}-freeze")


def account_key(stack: dict, config, name: str) -> str:
    [(key, _)] = find(stack, "aws_organizations_account", name=f"{config.name_prefix}-{name}")
    return key


def action_of(stack: dict, config, name: str) -> dict | None:
    [(budget_key, _)] = find(
        stack, "aws_budgets_budget", name=f"{config.name_prefix}-{name}-monthly"
    )
    found = find(
        stack,
        "aws_budgets_budget_action",
        budget_name=ref("aws_budgets_budget", budget_key, "name"),
    )
    assert len(found) <= 1, f"one budget action at most on the {name} budget"
    return found[0][1] if found else None


def role_of(stack: dict, action: dict) -> tuple[str, dict]:
    [(key, role)] = [
        (k, r)
        for k, r in keyed(stack, "aws_iam_role").items()
        if action["execution_role_arn"] == ref("aws_iam_role", k, "arn")
    ]
    return key, role


@pytest.fixture(scope="module")
def freeze_document(management, example_config) -> dict:
    """The freeze SCP as AWS receives it: the synthesized content."""
    return json.loads(freeze_scp(management, example_config)[1]["content"])


# --- the freeze SCP and the budget actions -------------------------------------------------------


def test_one_freeze_scp_that_terraform_attaches_to_nothing(
    example_stacks, management, example_config
):
    key, scp = freeze_scp(management, example_config)
    assert scp["type"] == "SERVICE_CONTROL_POLICY"
    assert scp["content"] == organization_policies.to_compact_json(
        organization_policies.freeze_scp()
    )
    assert len(scp["content"]) <= organization_policies.SCP_MAX_CHARACTERS
    attached = [
        a["policy_id"] for a in keyed(management, "aws_organizations_policy_attachment").values()
    ]
    assert ref("aws_organizations_policy", key, "id") not in attached, (
        "only a budget action or `make dev-freeze` attaches it"
    )
    for name, stack in example_stacks.items():
        if name != MANAGEMENT_STACK:
            assert not keyed(stack, "aws_budgets_budget_action"), name


def test_each_switched_on_account_has_an_action_freezing_that_account_only(
    several_management, several
):
    stack, config = several_management, several
    freeze_key, _ = freeze_scp(stack, config)
    switched_on = [a for a in config.accounts if a.freeze_at_percent]
    assert {a.name for a in switched_on} == {"dev", "test"}
    for account in switched_on:
        action = action_of(stack, config, account.name)
        assert (action["action_type"], action["approval_model"], action["notification_type"]) == (
            "APPLY_SCP_POLICY",
            "AUTOMATIC",
            "ACTUAL",
        )
        assert action["action_threshold"] == {
            "action_threshold_type": "PERCENTAGE",
            "action_threshold_value": account.freeze_at_percent,
        }
        assert action["definition"] == {
            "scp_action_definition": {
                "policy_id": ref("aws_organizations_policy", freeze_key, "id"),
                "target_ids": [
                    ref("aws_organizations_account", account_key(stack, config, account.name), "id")
                ],
            }
        }
        assert sorted(
            (s["subscription_type"], s["address"]) for s in action["subscriber"]
        ) == sorted([("EMAIL", account.email), ("EMAIL", config.management_email)])
    assert len(keyed(stack, "aws_budgets_budget_action")) == len(switched_on)


def test_a_switched_off_account_has_no_action_and_no_role(several_management, several):
    assert action_of(several_management, several, "lab") is None
    assert not [r for r in keyed(several_management, "aws_iam_role").values() if "lab" in r["name"]]


def test_each_execution_role_trusts_budgets_and_may_only_move_the_freeze_scp_on_its_account(
    several_management, several
):
    stack, config = several_management, several
    freeze_key, _ = freeze_scp(stack, config)
    organization_key, _ = the_one(stack, "aws_organizations_organization")
    management_id = ref("aws_organizations_organization", organization_key, "master_account_id")
    roles = set()
    for account in (a for a in config.accounts if a.freeze_at_percent):
        role_key, role = role_of(stack, action_of(stack, config, account.name))
        roles.add(role_key)
        [trust] = policy(role, "assume_role_policy")["Statement"]
        assert (trust["Effect"], trust["Action"], trust["Principal"]) == (
            "Allow",
            ["sts:AssumeRole"],
            {"Service": "budgets.amazonaws.com"},
        )
        assert trust["Condition"] == {  # AWS's confused-deputy guard for Budgets
            "StringEquals": {"aws:SourceAccount": management_id},
            "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{management_id}:budget/*"},
        }
        [(_, permissions)] = find(
            stack, "aws_iam_role_policy", role=ref("aws_iam_role", role_key, "id")
        )
        [statement] = statements(policy(permissions)).values()
        assert (statement["Effect"], statement["Action"]) == (
            "Allow",
            ["organizations:AttachPolicy", "organizations:DetachPolicy"],
        )
        assert statement["Resource"] == [
            ref("aws_organizations_policy", freeze_key, "arn"),
            ref("aws_organizations_account", account_key(stack, config, account.name), "arn"),
        ]
        assert "Condition" not in statement
        assert not [
            a
            for a in keyed(stack, "aws_iam_role_policy_attachment").values()
            if f"aws_iam_role.{role_key}." in a["role"]
        ], "no other permissions"
    assert len(roles) == 2, "one role per switched-on account"


def test_the_management_account_is_never_a_target(several_management):
    targets = [
        t
        for action in keyed(several_management, "aws_budgets_budget_action").values()
        for t in action["definition"]["scp_action_definition"]["target_ids"]
    ]
    assert targets and all(
        re.fullmatch(r"\$\{aws_organizations_account\.[^.]+\.id\}", t) for t in targets
    ), "member accounts only: no root, OU or management"
    assert len(set(targets)) == len(targets)


def test_outputs_name_the_freeze_scp_the_budgets_and_the_actions(management, example_config):
    freeze_key, _ = freeze_scp(management, example_config)
    outputs = {name: output["value"] for name, output in management["output"].items()}
    assert outputs[OUTPUT_FREEZE_POLICY_ID] == ref("aws_organizations_policy", freeze_key, "id")
    [(organization_budget, _)] = find(
        management, "aws_budgets_budget", name=f"{example_config.name_prefix}-organization-monthly"
    )
    assert outputs[OUTPUT_ORGANIZATION_BUDGET] == ref(
        "aws_budgets_budget", organization_budget, "name"
    )
    assert set(outputs[OUTPUT_ACCOUNT_BUDGETS]) == {a.name for a in example_config.accounts}
    [(action_key, _)] = keyed(management, "aws_budgets_budget_action").items()
    assert outputs[OUTPUT_FREEZE_ACTION_IDS] == {
        "dev": ref("aws_budgets_budget_action", action_key, "action_id")
    }


# --- what the freeze SCP denies, evaluated ------------------------------------------------------


@pytest.mark.parametrize("action", STILL_ALLOWED)
def test_a_frozen_account_may_still_read_stop_delete_and_rebuild_its_baseline(
    freeze_document, action
):
    assert denying_statements(freeze_document, action) == []


@pytest.mark.parametrize("action", FROZEN)
def test_a_frozen_account_cannot_create_or_start_what_costs_money(freeze_document, action):
    assert denying_statements(freeze_document, action), f"{action} should be frozen"
    assert denying_statements(freeze_document, action, ROOT_SESSION) == [], (
        "root sessions (sts:AssumeRoot from management) stay exempt, as in the guardrails"
    )


def test_the_freeze_scp_only_denies_and_exempts_root_sessions_everywhere(freeze_document):
    for statement in freeze_document["Statement"]:
        assert statement["Effect"] == "Deny" and "NotAction" not in statement
        assert statement["Condition"] == organization_policies.NOT_A_ROOT_SESSION


def test_every_freeze_pattern_names_real_actions_and_none_a_cleanup_one(freeze_document):
    catalogue = iam_action_catalogue()
    for statement in freeze_document["Statement"]:
        for pattern in statement["Action"]:
            matched = [a for a in catalogue if action_matches(pattern, a)]
            assert matched, f"{pattern} matches no IAM action (a typo?)"
            cleanup = [a for a in matched if a.split(":")[1].startswith(CLEANUP_VERBS)]
            assert not cleanup, f"{pattern} would block cleaning up: {cleanup}"
            assert pattern.split(":")[0] not in NEVER_FROZEN_SERVICES, pattern


def test_an_oversized_freeze_scp_is_refused_at_synth(example_config, monkeypatch, tmp_path):
    from main import build_app

    size = len(organization_policies.to_compact_json(organization_policies.freeze_scp()))
    monkeypatch.setattr(organization_policies, "SCP_MAX_CHARACTERS", size - 1)
    with pytest.raises(
        ValueError,
        match=rf"example\.toml: the freeze SCP would have {size} "
        rf"characters, more than the {size - 1} AWS allows",
    ):
        build_app(example_config, tmp_path)


# --- Cost Anomaly Detection ----------------------------------------------------------------------


def test_anomalies_of_any_service_are_mailed_to_management_above_the_threshold(
    management, example_config
):
    from modules.budgets import (
        amount,  # a construct module: imported where used (conftest.py)
    )

    monitor_key, monitor = the_one(management, "aws_ce_anomaly_monitor")
    assert (monitor["monitor_type"], monitor["monitor_dimension"]) == ("DIMENSIONAL", "SERVICE")
    _, subscription = the_one(management, "aws_ce_anomaly_subscription")
    assert subscription["monitor_arn_list"] == [ref("aws_ce_anomaly_monitor", monitor_key, "arn")]
    assert subscription["frequency"] == "DAILY"  # IMMEDIATE alerts go to SNS only
    assert subscription["subscriber"] == [
        {"type": "EMAIL", "address": example_config.management_email}
    ]
    assert subscription["threshold_expression"] == {
        "dimension": {
            "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
            "match_options": ["GREATER_THAN_OR_EQUAL"],
            "values": [amount(example_config.budgets.anomaly_alert_usd)],
        }
    }


def test_anomaly_detection_off_leaves_no_monitor(several_management, several):
    assert several.budgets.anomaly_alert_usd == 0 != Budgets().anomaly_alert_usd
    for resource_type in ("aws_ce_anomaly_monitor", "aws_ce_anomaly_subscription"):
        assert not keyed(several_management, resource_type)
