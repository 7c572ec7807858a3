"""The organization's policies beside the guardrails SCP, read from the synthesized JSON: the
standing guard against commitments on each member account that has not lifted it, the resource
control policy and the EC2 declarative policy on the root; and what every SCP and RCP must be to
be accepted: at most 5,120 characters, at most five SCPs on a member account, and action patterns
of AWS's syntax.

The syntax rule: an action is `<service prefix>:<action>`, the prefix lowercase letters, digits
and hyphens without a wildcard, the action letters and digits with `*` and `?` anywhere; `*`
alone is every action ("IAM JSON policy elements: Action", IAM User Guide). SCPs follow it in full
since AWS's full IAM language for SCPs (Sept 2025: "SCP syntax", Organizations User Guide; AWS
Security Blog, "Unlock new possibilities: AWS Organizations service control policy now supports
full IAM language": "you can now use wildcards at the beginning or middle of the Action element
strings"); before it, a wildcard could only end an action.
"""

from __future__ import annotations

import json
import re

from foundation import management_policies, organization_policies
from foundation.paths import REPO_ROOT
from tests.helpers import (
    account_key,
    action_matches,
    denying_statements,
    iam_action_catalogue,
    keyed,
    ref,
    the_one,
)

ACTION_PATTERN = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
# AWS's quota: five SCPs on a root, OU or account ("Quotas and service limits", Organizations).
MAX_SCPS_PER_TARGET = 5
ROOT_SESSION = {"aws:AssumedRoot": "true"}
to_json = organization_policies.to_compact_json


def policies_of(stack: dict, policy_type: str) -> dict[str, dict]:
    return {
        key: policy
        for key, policy in keyed(stack, "aws_organizations_policy").items()
        if policy["type"] == policy_type
    }


def targets_of(stack: dict, policy_key: str) -> list[str]:
    policy_id = ref("aws_organizations_policy", policy_key, "id")
    return [
        a["target_id"]
        for a in keyed(stack, "aws_organizations_policy_attachment").values()
        if a["policy_id"] == policy_id
    ]


def root_of(stack: dict) -> str:
    key, _ = the_one(stack, "aws_organizations_organization")
    return f"${{aws_organizations_organization.{key}.roots[0].id}}"


# --- the standing guard against commitments ------------------------------------------------------


def test_commitments_are_denied_in_each_account_that_has_not_lifted_the_guard(
    several, several_management
):
    config, stack = several, several_management
    key, guard = the_one(
        stack, "aws_organizations_policy", name=f"{config.name_prefix}-no-commitments"
    )
    assert guard["type"] == "SERVICE_CONTROL_POLICY"
    assert sorted(targets_of(stack, key)) == sorted(
        ref("aws_organizations_account", account_key(stack, config, name), "id")
        for name in ("dev", "test")
    ), "not lab, which lifted it"
    document = json.loads(guard["content"])
    for action in (
        "savingsplans:CreateSavingsPlan",
        "ec2:PurchaseReservedInstancesOffering",
        "rds:PurchaseReservedDBInstancesOffering",
        "dynamodb:PurchaseReservedCapacityOfferings",
        "shield:CreateSubscription",
        "route53domains:RegisterDomain",
        "route53domains:RenewDomain",
        "aws-marketplace:Subscribe",
        "bedrock:CreateProvisionedModelThroughput",
        "ec2:AllocateHosts",
        "ec2:CreateCapacityReservation",
    ):
        assert denying_statements(document, action) == ["DenyCommitments"], action
        assert denying_statements(document, action, ROOT_SESSION) == []
    for free in ("ec2:RunInstances", "ec2:DescribeReservedInstances", "route53:CreateHostedZone"):
        assert denying_statements(document, free) == [], free


def test_a_frozen_account_cannot_commit_either():
    statements = {s["Sid"]: s for s in organization_policies.freeze_scp()["Statement"]}
    assert statements["FreezeCommitments"]["Action"] == sorted(
        organization_policies.COMMITMENT_ACTIONS
    )


# --- sizes, counts and syntax of every SCP and RCP -----------------------------------------------


def authorization_policies(stack: dict) -> dict[str, dict]:
    """Every SCP and RCP of a management stack by name, as AWS receives them (the organization
    id, which Terraform fills in, as long as AWS makes one)."""
    found = {}
    for policy in keyed(stack, "aws_organizations_policy").values():
        if policy["type"] in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            content = re.sub(
                r"\$\{aws_organizations_organization\.[^}]+\}", "o-" + "a" * 32, policy["content"]
            )
            found[policy["name"]] = json.loads(content)
    return found


def test_every_scp_and_rcp_fits_the_quota(management):
    policies = authorization_policies(management)
    assert len(policies) == 4, sorted(policies)  # guardrails, no commitments, freeze, RCP
    for name, document in policies.items():
        assert (
            len(organization_policies.to_compact_json(document))
            <= organization_policies.SCP_MAX_CHARACTERS
        ), name


def test_a_member_account_never_holds_more_than_five_scps(several, several_management):
    config, stack = several, several_management
    freeze_and_full_aws_access = 2  # attached by a budget action or by hand, and by AWS
    for account in config.accounts:
        target = ref("aws_organizations_account", account_key(stack, config, account.name), "id")
        attached = [
            key
            for key in policies_of(stack, "SERVICE_CONTROL_POLICY")
            if target in targets_of(stack, key)
        ]
        assert len(attached) + freeze_and_full_aws_access <= MAX_SCPS_PER_TARGET, account.name


def test_every_action_pattern_follows_aws_syntax_and_names_real_actions(management):
    catalogue = iam_action_catalogue()
    for name, document in authorization_policies(management).items():
        for statement in document["Statement"]:
            for pattern in statement.get("Action", []) + statement.get("NotAction", []):
                assert ACTION_PATTERN.match(pattern), f"{name}: {pattern} is no valid action"
                assert pattern == "*" or any(action_matches(pattern, a) for a in catalogue), (
                    f"{name}: {pattern} matches no IAM action (a typo?)"
                )


def test_the_syntax_rule_can_fail():
    for wrong in ("ec2*:RunInstances", "EC2:RunInstances", "ec2 RunInstances", "ec2:Run-Instances"):
        assert not ACTION_PATTERN.match(wrong), wrong
    for right in ("*", "sagemaker:Create*Job", "ec2:Describe?pcs", "s3:*"):
        assert ACTION_PATTERN.match(right), right


# --- the resource control policy and the EC2 declarative policy on the root ----------------------


def test_the_resource_perimeter_is_attached_to_the_root(management, example_config):
    _, organization = the_one(management, "aws_organizations_organization")
    assert "RESOURCE_CONTROL_POLICY" in organization["enabled_policy_types"]
    [(key, policy)] = policies_of(management, "RESOURCE_CONTROL_POLICY").items()
    assert policy["name"] == f"{example_config.name_prefix}-resource-perimeter"
    assert targets_of(management, key) == [root_of(management)]
    statements = {s["Sid"]: s for s in json.loads(policy["content"])["Statement"]}
    organization_key, _ = the_one(management, "aws_organizations_organization")
    organization_id = ref("aws_organizations_organization", organization_key, "id")
    identities = statements["EnforceOrgIdentities"]
    assert identities["Principal"] == "*" and identities["Effect"] == "Deny"
    assert {"s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole"} <= set(
        identities["Action"]
    )
    assert identities["Condition"] == {
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization_id},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }
    assert statements["EnforceSecureTransport"]["Condition"] == {
        "BoolIfExists": {"aws:SecureTransport": "false"}
    }
    deputy = statements["EnforceConfusedDeputyProtection"]["Condition"]
    assert deputy["StringNotEqualsIfExists"] == {"aws:SourceOrgID": organization_id}
    assert deputy["Bool"] == {"aws:PrincipalIsAWSService": "true"}


def test_the_ec2_declarative_policy_is_attached_to_the_root(management, example_config):
    _, organization = the_one(management, "aws_organizations_organization")
    assert "DECLARATIVE_POLICY_EC2" in organization["enabled_policy_types"]
    [(key, policy)] = policies_of(management, "DECLARATIVE_POLICY_EC2").items()
    assert policy["name"] == f"{example_config.name_prefix}-ec2-protections"
    assert targets_of(management, key) == [root_of(management)]
    attributes = json.loads(policy["content"])["ec2_attributes"]
    assigned = {
        (attribute, name): value["@@assign"]
        for attribute, settings in attributes.items()
        if attribute != "exception_message"
        for name, value in settings.items()
    }
    # The values of "Declarative policy syntax and examples" (Organizations User Guide).
    assert assigned == {
        ("image_block_public_access", "state"): "block_new_sharing",
        ("snapshot_block_public_access", "state"): "block_all_sharing",
        ("instance_metadata_defaults", "http_tokens"): "required",
        ("instance_metadata_defaults", "http_put_response_hop_limit"): "2",
        ("instance_metadata_defaults", "http_endpoint"): "no_preference",
        ("instance_metadata_defaults", "instance_metadata_tags"): "no_preference",
        ("serial_console_access", "status"): "disabled",
    }
    assert attributes["exception_message"]["@@assign"] == management_policies.EC2_EXCEPTION_MESSAGE


def test_without_the_switches_no_rcp_and_no_declarative_policy(all_off_management):
    _, organization = the_one(all_off_management, "aws_organizations_organization")
    assert organization["enabled_policy_types"] == ["SERVICE_CONTROL_POLICY"]
    for policy_type in ("RESOURCE_CONTROL_POLICY", "DECLARATIVE_POLICY_EC2"):
        assert not policies_of(all_off_management, policy_type), policy_type


def test_the_documented_sizes_are_the_policies_sizes(example_config):
    from modules.guardrails import check_scp_size

    sizes = {
        "guardrails": check_scp_size(example_config),
        "no-commitments": len(to_json(organization_policies.no_commitments_scp())),
        "freeze": len(to_json(organization_policies.freeze_scp())),
        "resource-perimeter": len(
            to_json(organization_policies.resource_perimeter_rcp("o-" + "a" * 32))
        ),
    }
    page = (REPO_ROOT / "docs" / "guardrails.md").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    for name, size in sizes.items():
        assert re.search(rf"`<name_prefix>-{name}`[^|\n]*\| {size:,} \|", page), name
        assert f"{size:,}" in readme, name
