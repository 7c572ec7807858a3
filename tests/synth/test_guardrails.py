"""Guardrails and cost safety: the member accounts' SCP, centralized root access, the AI
services opt-out and tag policies, budgets, and every account's CIS baseline (password policy,
Access Analyzer per region, account-level S3 public access block, EBS default encryption, the
support role, the alias, alternate contacts), read from the synthesized JSON; and the security
scan's documented exceptions.

The tests that call the constructs' own functions import them (conftest.py says why).

Expected values come from the loaded config; AWS's own names (actions, condition keys, service
principals, feature names) are spelled out, since they are the property being checked.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from foundation import config as config_module
from foundation import organization_policies
from foundation.contract import MANAGEMENT_STACK, RESET_SESSION_NAME
from foundation.paths import REPO_ROOT
from tests.helpers import account_key, denying_statements, keyed, ref, the_one, variant

EXAMPLE = config_module.environment_path("example")
ROOT_SESSION_EXEMPTION = {"Null": {"aws:AssumedRoot": "true"}}
SCP_SIDS = {
    "DenyLeaveOrganization",
    "ProtectMemberAccessRole",
    "DenyMemberRootUser",
    "DenyOutsideAllowedRegions",
    "DenyOutsideAllowedRegionsButTheReset",
}
REGION_SIDS = {"DenyOutsideAllowedRegions", "DenyOutsideAllowedRegionsButTheReset"}


# --- helpers -------------------------------------------------------------------------------------


def guardrails_scp(stack: dict, config) -> tuple[str, dict]:
    """(key, resource) of the guardrails SCP (the freeze SCP of the kill switch is its
    neighbour)."""
    return the_one(stack, "aws_organizations_policy", name=f"{config.name_prefix}-guardrails")


def attachments_of(stack: dict, policy_key: str) -> list[dict]:
    policy_id = ref("aws_organizations_policy", policy_key, "id")
    return [
        a
        for a in keyed(stack, "aws_organizations_policy_attachment").values()
        if a["policy_id"] == policy_id
    ]


def scp_statements(stack: dict, config) -> dict[str, dict]:
    _, policy = guardrails_scp(stack, config)
    return {s["Sid"]: s for s in json.loads(policy["content"])["Statement"]}


@pytest.fixture(scope="module")
def statements(management, example_config) -> dict[str, dict]:
    return scp_statements(management, example_config)


# --- service control policy ----------------------------------------------------------------------


def test_scp_is_attached_to_every_member_account_and_nothing_else(
    example_stacks, management, example_config
):
    policy_key, policy = guardrails_scp(management, example_config)
    assert policy["type"] == "SERVICE_CONTROL_POLICY"
    attachments = attachments_of(management, policy_key)
    members = {
        ref("aws_organizations_account", account_key(management, example_config, a.name), "id")
        for a in example_config.accounts
    }
    targets = [a["target_id"] for a in attachments]
    assert sorted(targets) == sorted(members), "one attachment per member account, no other"
    # Not the management account, the organization root or an OU (which would include it).
    organization_key, _ = the_one(management, "aws_organizations_organization")
    assert not any(
        "aws_organizations_organization" in t
        or "master_account" in t
        or t.startswith(("r-", "ou-"))
        for t in targets
    )
    assert not any(
        keyed(stack, "aws_organizations_policy_attachment")
        for name, stack in example_stacks.items()
        if name != MANAGEMENT_STACK
    )
    assert f"aws_organizations_organization.{organization_key}" in policy["depends_on"]


def test_scp_holds_exactly_the_switched_on_guardrails(statements, example_config):
    assert example_config.guardrails.allowed_regions, "the example turns every guardrail on"
    assert set(statements) == SCP_SIDS
    assert all(s["Effect"] == "Deny" for s in statements.values()), "an SCP here only denies"


def test_scp_denies_leaving_the_organization(statements):
    statement = statements["DenyLeaveOrganization"]
    assert statement["Action"] == ["organizations:LeaveOrganization"]
    assert statement["Resource"] == "*" and "Condition" not in statement


def test_scp_protects_the_member_access_role_and_nothing_of_management(statements, example_config):
    statement = statements["ProtectMemberAccessRole"]
    assert statement["Resource"] == [
        f"arn:aws:iam::*:role/{name}"
        for name in sorted({a.role_name for a in example_config.accounts})
    ]
    assert {"iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:DetachRolePolicy"} <= set(
        statement["Action"]
    )
    assert not [a for a in statement["Action"] if not a.startswith("iam:")]
    assert statement["Condition"] == ROOT_SESSION_EXEMPTION
    # SCPs never restrict the management account, where the trail and its bucket live.
    content = json.dumps(statements)
    assert "cloudtrail" not in content and example_config.trail.bucket not in content


def test_scp_denies_the_member_root_user_except_root_sessions(statements):
    statement = statements["DenyMemberRootUser"]
    assert statement["Action"] == ["*"] and statement["Resource"] == "*"
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
        # Centralized root access: sessions from sts:AssumeRoot carry aws:AssumedRoot; the
        # deny applies only where that key is absent.
        **ROOT_SESSION_EXEMPTION,
    }


def test_scp_denies_other_regions_but_not_global_services(statements, example_config):
    statement = statements["DenyOutsideAllowedRegions"]
    assert "Action" not in statement and statement["Resource"] == "*"
    regions = statement["Condition"]["StringNotEquals"]["aws:RequestedRegion"]
    assert regions == sorted(example_config.guardrails.allowed_regions)
    assert example_config.region in regions
    assert statement["Condition"]["Null"] == ROOT_SESSION_EXEMPTION["Null"]
    assert {
        "iam:*",
        "organizations:*",
        "sts:*",
        "cloudfront:*",
        "route53:*",
        "support:*",
        "budgets:*",
        "ce:*",
        "health:*",
        "s3:ListAllMyBuckets",
    } <= set(statement["NotAction"])
    regional = {"ec2:*", "ec2:RunInstances", "s3:*", "s3:PutObject", "lambda:*", "rds:*"}
    assert not regional & set(statement["NotAction"])


# What aws-nuke calls to find and delete what a learner made (rebuy-de/aws-nuke 2.25 and
# ekristen/aws-nuke v3, resources/*.go), as IAM actions, and what makes or starts something.
REGIONAL_CALLS = (
    "ec2:DescribeInstances",
    "ec2:TerminateInstances",
    "ec2:DeleteVolume",
    "s3:ListBucketVersions",
    "s3:PutBucketLogging",
    "s3:DeleteBucket",
    "sqs:DeleteQueue",
    "dynamodb:Scan",
    "lambda:DeleteFunction",
    "ec2:RunInstances",
    "s3:CreateBucket",
    "lambda:CreateFunction",
)
OUTSIDE = "ap-southeast-2"


def principal(config, session: str, role: str | None = None) -> dict[str, str]:
    """A session of a role of a member account (its member access role unless `role`)."""
    role = role or config.account("dev").role_name
    return {
        "aws:PrincipalArn": f"arn:aws:iam::222222222222:role/{role}",
        "aws:userid": f"AROAEXAMPLE:{session}",
    }


def region_statements(config) -> dict:
    """The region statements of the guardrails SCP (the others name their resources)."""
    from modules.guardrails import Guardrails as GuardrailsConstruct

    document = GuardrailsConstruct.scp(config)
    return {"Statement": [s for s in document["Statement"] if s["Sid"] in REGION_SIDS]}


@pytest.mark.parametrize("action", REGIONAL_CALLS)
def test_outside_the_allowed_regions_only_the_resets_sessions_of_the_member_role_act(
    example_config, action
):
    document = region_statements(example_config)
    assert OUTSIDE not in example_config.guardrails.allowed_regions

    def denied(region: str, **who) -> list[str]:
        return denying_statements(
            document, action, {"aws:RequestedRegion": region, **principal(example_config, **who)}
        )

    assert denied(OUTSIDE, session=RESET_SESSION_NAME) == []
    assert denied(OUTSIDE, session="alice") == ["DenyOutsideAllowedRegionsButTheReset"]
    assert denied(OUTSIDE, session=RESET_SESSION_NAME, role="learner-role") == [
        "DenyOutsideAllowedRegions"
    ]
    for session in (RESET_SESSION_NAME, "alice"):
        assert denied(example_config.region, session=session) == []


def test_without_member_roles_the_region_deny_exempts_no_session():
    [statement] = organization_policies.deny_outside_regions(["eu-west-1"])
    assert "aws:userid" not in json.dumps(statement)


def test_scp_is_compact_and_fits_the_quota_with_the_longest_names(management, example_config):
    from modules.guardrails import check_scp_size

    _, policy = guardrails_scp(management, example_config)
    content = policy["content"]
    assert content == organization_policies.to_compact_json(json.loads(content)), "no whitespace"
    longest = dataclasses.replace(example_config.account("dev"), role_name="r" * 64)
    config = dataclasses.replace(
        variant(example_config, allowed_regions=tuple(sorted(config_module._known_regions()))),
        accounts=(longest,),
    )
    assert check_scp_size(config) <= organization_policies.SCP_MAX_CHARACTERS


def test_scp_with_every_region_allowed_still_fits(example_config):
    from modules.guardrails import check_scp_size

    regions = tuple(sorted(config_module._known_regions()))
    assert (
        check_scp_size(variant(example_config, allowed_regions=regions))
        <= organization_policies.SCP_MAX_CHARACTERS
    )


def test_scp_too_large_is_refused_with_the_file_and_the_remedy(example_config, monkeypatch):
    from modules.guardrails import check_scp_size

    monkeypatch.setattr(organization_policies, "SCP_MAX_CHARACTERS", 100)
    with pytest.raises(
        ValueError,
        match=r"example\.toml: the guardrails SCP would have \d+ "
        r"characters, more than the 100 AWS allows",
    ):
        check_scp_size(example_config)


SWITCHES = {
    "deny_leave_organization": {"DenyLeaveOrganization"},
    "protect_member_role": {"ProtectMemberAccessRole"},
    "deny_member_root": {"DenyMemberRootUser"},
}


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_a_guardrail_switched_off_removes_only_its_statements(example_config, switch):
    from modules.guardrails import Guardrails as GuardrailsConstruct

    document = GuardrailsConstruct.scp(variant(example_config, **{switch: False}))
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - SWITCHES[switch]


def test_no_allowed_regions_means_no_region_statement(example_config):
    from modules.guardrails import Guardrails as GuardrailsConstruct

    document = GuardrailsConstruct.scp(variant(example_config, allowed_regions=()))
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - REGION_SIDS


def test_every_guardrail_off_removes_the_scp_and_root_access(all_off_management, example_config):
    assert not keyed(all_off_management, "aws_iam_organizations_features")
    # The kill switch's freeze SCP, attached to nothing by Terraform, and the commitments guard,
    # which each account lifts for itself (accounts.<name>.allow_commitments), are left.
    policies = {
        k: p["name"] for k, p in keyed(all_off_management, "aws_organizations_policy").items()
    }
    prefix = example_config.name_prefix
    assert sorted(policies.values()) == [f"{prefix}-freeze", f"{prefix}-no-commitments"]
    [guard] = [k for k, name in policies.items() if name == f"{prefix}-no-commitments"]
    assert keyed(all_off_management, "aws_organizations_policy_attachment") == {
        k: a
        for k, a in keyed(all_off_management, "aws_organizations_policy_attachment").items()
        if a["policy_id"] == ref("aws_organizations_policy", guard, "id")
    }
    _, organization = the_one(all_off_management, "aws_organizations_organization")
    assert "iam.amazonaws.com" not in organization["aws_service_access_principals"]
    assert organization["enabled_policy_types"] == ["SERVICE_CONTROL_POLICY"]
    # Cost safety and hygiene do not depend on the guardrail switches.
    assert keyed(all_off_management, "aws_budgets_budget")
    assert keyed(all_off_management, "aws_accessanalyzer_analyzer")


# --- centralized root access ---------------------------------------------------------------------


def test_centralized_root_access_is_enabled_after_iam_trusted_access(management):
    organization_key, organization = the_one(management, "aws_organizations_organization")
    assert {
        "iam.amazonaws.com",
        "access-analyzer.amazonaws.com",
        "cloudtrail.amazonaws.com",
    } <= set(organization["aws_service_access_principals"])
    _, features = the_one(management, "aws_iam_organizations_features")
    assert sorted(features["enabled_features"]) == ["RootCredentialsManagement", "RootSessions"]
    assert f"aws_organizations_organization.{organization_key}" in features["depends_on"]


# --- AI services opt-out and tag policies --------------------------------------------------------


def root_policies(stack: dict) -> dict[str, dict]:
    """{policy type: policy} of the policies attached to the organization root."""
    organization_key, _ = the_one(stack, "aws_organizations_organization")
    root = f"${{aws_organizations_organization.{organization_key}.roots[0].id}}"
    found = {}
    for key, policy in keyed(stack, "aws_organizations_policy").items():
        if [a["target_id"] for a in attachments_of(stack, key)] == [root]:
            found[policy["type"]] = policy
    return found


def test_ai_services_opt_out_policy_is_attached_at_the_root(management, example_config):
    _, organization = the_one(management, "aws_organizations_organization")
    assert "AISERVICES_OPT_OUT_POLICY" in organization["enabled_policy_types"]
    policy = root_policies(management)["AISERVICES_OPT_OUT_POLICY"]
    assert policy["name"] == f"{example_config.name_prefix}-ai-services-opt-out"
    services = json.loads(policy["content"])["services"]
    assert services["default"]["opt_out_policy"]["@@assign"] == "optOut"
    for level in (services, services["default"], services["default"]["opt_out_policy"]):
        assert level["@@operators_allowed_for_child_policies"] == ["@@none"], (
            "no account or OU may opt back in, for any service"
        )


def test_tag_policy_is_off_by_default_and_covers_every_foundation_tag(
    management, synthesize, example_config
):
    assert "TAG_POLICY" not in root_policies(management)
    config = variant(example_config, tag_policy=True)
    stack = json.loads(
        (synthesize(config) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json").read_text()
    )
    _, organization = the_one(stack, "aws_organizations_organization")
    assert "TAG_POLICY" in organization["enabled_policy_types"]
    tags = json.loads(root_policies(stack)["TAG_POLICY"]["content"])["tags"]
    written = {}
    for workspace in config.stack_names:
        for key, value in config.workspace_tags(workspace).items():
            written.setdefault(key, set()).add(value)
    assert {body["tag_key"]["@@assign"] for body in tags.values()} == set(written)
    for body in tags.values():
        assert set(body["tag_value"]["@@assign"]) == written[body["tag_key"]["@@assign"]]
        assert "enforced_for" not in body, "report only: enforcing would break experiments"


def test_member_stacks_hold_no_guardrail_or_budget(example_stacks):
    for name, stack in example_stacks.items():
        if name == MANAGEMENT_STACK:
            continue
        for resource_type in (
            "aws_organizations_policy",
            "aws_budgets_budget",
            "aws_iam_organizations_features",
            "aws_accessanalyzer_analyzer",
        ):
            assert not keyed(stack, resource_type), (name, resource_type)


# --- security scan exceptions ----------------------------------------------------------------


def test_scan_exceptions_are_documented():
    from modules.guardrails import SCAN_EXCEPTIONS

    page = REPO_ROOT / "docs" / "guardrails.md"
    text = page.read_text()
    for exception in SCAN_EXCEPTIONS:
        assert f"`{exception.check_id}`" in text, f"{exception.check_id} missing in {page.name}"
