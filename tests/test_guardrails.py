"""Guardrails and cost safety: the member accounts' SCP, centralized root access, budgets, the
password policy and Access Analyzer, read from the synthesized JSON; and their config keys.

Expected values come from the loaded config; AWS's own names (actions, condition keys, service
principals, feature names) are spelled out, since they are the property being checked.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from foundation import config as config_module
from foundation import policies
from foundation.contract import MANAGEMENT_STACK
from modules.budgets import amount
from modules.guardrails import Guardrails as GuardrailsConstruct
from modules.guardrails import check_scp_size
from tests.helpers import keyed, ref, the_one

EXAMPLE = config_module.environment_path("example")
ROOT_SESSION_EXEMPTION = {"Null": {"aws:AssumedRoot": "true"}}
SCP_SIDS = {"DenyLeaveOrganization", "ProtectAuditTrail", "ProtectAuditLogBucket",
            "ProtectAuditLogs", "DenyMemberRootUser", "DenyOutsideAllowedRegions"}


# --- helpers -------------------------------------------------------------------------------------

def account_key(stack: dict, config, name: str) -> str:
    [key] = [k for k, a in keyed(stack, "aws_organizations_account").items()
             if a["name"] == f"{config.name_prefix}-{name}"]
    return key


def guardrails_scp(stack: dict, config) -> tuple[str, dict]:
    """(key, resource) of the guardrails SCP (the freeze SCP of the kill switch is its neighbour)."""
    return the_one(stack, "aws_organizations_policy", name=f"{config.name_prefix}-guardrails")


def scp_statements(stack: dict, config) -> dict[str, dict]:
    _, policy = guardrails_scp(stack, config)
    return {s["Sid"]: s for s in json.loads(policy["content"])["Statement"]}


def variant(config, **guardrails) -> config_module.Config:
    return dataclasses.replace(config,
                               guardrails=dataclasses.replace(config.guardrails, **guardrails))


@pytest.fixture(scope="module")
def management(example_stacks) -> dict:
    return example_stacks[MANAGEMENT_STACK]


@pytest.fixture(scope="module")
def statements(management, example_config) -> dict[str, dict]:
    return scp_statements(management, example_config)


# --- service control policy ----------------------------------------------------------------------

def test_scp_is_attached_to_every_member_account_and_nothing_else(example_stacks, management,
                                                                  example_config):
    policy_key, policy = guardrails_scp(management, example_config)
    assert policy["type"] == "SERVICE_CONTROL_POLICY"
    attachments = list(keyed(management, "aws_organizations_policy_attachment").values())
    assert {a["policy_id"] for a in attachments} == {ref("aws_organizations_policy", policy_key,
                                                         "id")}
    members = {ref("aws_organizations_account", account_key(management, example_config, a.name),
                   "id") for a in example_config.accounts}
    targets = [a["target_id"] for a in attachments]
    assert sorted(targets) == sorted(members), "one attachment per member account, no other"
    # Not the management account, the organization root or an OU (which would include it).
    organization_key, _ = the_one(management, "aws_organizations_organization")
    assert not any("aws_organizations_organization" in t or "master_account" in t
                   or t.startswith(("r-", "ou-")) for t in targets)
    assert not any(keyed(stack, "aws_organizations_policy_attachment")
                   for name, stack in example_stacks.items() if name != MANAGEMENT_STACK)
    assert f"aws_organizations_organization.{organization_key}" in policy["depends_on"]


def test_scp_holds_exactly_the_switched_on_guardrails(statements, example_config):
    assert example_config.guardrails.allowed_regions, "the example turns every guardrail on"
    assert set(statements) == SCP_SIDS
    assert all(s["Effect"] == "Deny" for s in statements.values()), "an SCP here only denies"


def test_scp_denies_leaving_the_organization(statements):
    statement = statements["DenyLeaveOrganization"]
    assert statement["Action"] == ["organizations:LeaveOrganization"]
    assert statement["Resource"] == "*" and "Condition" not in statement


def test_scp_protects_the_trail_and_its_log_bucket(statements, management, example_config):
    [trail_key] = keyed(management, "aws_cloudtrail")
    [bucket_key] = [k for k, b in keyed(management, "aws_s3_bucket").items()
                    if b["bucket"] == example_config.trail.bucket]
    bucket_arn = ref("aws_s3_bucket", bucket_key, "arn")

    trail = statements["ProtectAuditTrail"]
    assert trail["Resource"] == [ref("aws_cloudtrail", trail_key, "arn")]
    assert set(trail["Action"]) == {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail",
                                    "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
                                    "cloudtrail:PutInsightSelectors"}
    bucket = statements["ProtectAuditLogBucket"]
    assert bucket["Resource"] == [bucket_arn]
    assert {"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
            "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
            "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration"} <= set(
        bucket["Action"])
    logs = statements["ProtectAuditLogs"]
    assert logs["Resource"] == [f"{bucket_arn}/*"]
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(logs["Action"])
    assert "s3:PutObject" not in logs["Action"], "the trail itself must keep writing"
    assert not any("Condition" in s for s in (trail, bucket, logs))


def test_scp_denies_the_member_root_user_except_root_sessions(statements):
    statement = statements["DenyMemberRootUser"]
    assert statement["Action"] == ["*"] and statement["Resource"] == "*"
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
        # Centralized root access: sessions from sts:AssumeRoot carry aws:AssumedRoot; the
        # deny applies only where that key is absent.
        **ROOT_SESSION_EXEMPTION}


def test_scp_denies_other_regions_but_not_global_services(statements, example_config):
    statement = statements["DenyOutsideAllowedRegions"]
    assert "Action" not in statement and statement["Resource"] == "*"
    regions = statement["Condition"]["StringNotEquals"]["aws:RequestedRegion"]
    assert regions == sorted(example_config.guardrails.allowed_regions)
    assert example_config.region in regions
    assert statement["Condition"]["Null"] == ROOT_SESSION_EXEMPTION["Null"]
    assert {"iam:*", "organizations:*", "sts:*", "cloudfront:*", "route53:*", "support:*",
            "budgets:*", "ce:*", "health:*", "s3:ListAllMyBuckets"} <= set(
        statement["NotAction"])
    regional = {"ec2:*", "ec2:RunInstances", "s3:*", "s3:PutObject", "lambda:*", "rds:*"}
    assert not regional & set(statement["NotAction"])


def test_scp_is_compact_and_fits_the_quota_with_the_longest_names(management, example_config):
    _, policy = guardrails_scp(management, example_config)
    content = policy["content"]
    assert content == policies.to_compact_json(json.loads(content)), "no whitespace"
    # The longest values Terraform can fill in: a 128-character trail name, a 63-character bucket.
    filled = re.sub(r"\$\{aws_cloudtrail\.[^}]+\.arn\}",
                    "arn:aws:cloudtrail:ap-southeast-4:123456789012:trail/" + "t" * 128, content)
    filled = re.sub(r"\$\{aws_s3_bucket\.[^}]+\.arn\}", "arn:aws:s3:::" + "b" * 63, filled)
    assert "${" not in filled
    assert len(filled) <= policies.SCP_MAX_CHARACTERS


def test_scp_with_every_region_allowed_still_fits(example_config):
    regions = tuple(sorted(config_module._known_regions()))
    assert check_scp_size(variant(example_config, allowed_regions=regions)) \
        <= policies.SCP_MAX_CHARACTERS


def test_scp_too_large_is_refused_with_the_file_and_the_remedy(example_config, monkeypatch):
    monkeypatch.setattr(policies, "SCP_MAX_CHARACTERS", 100)
    with pytest.raises(ValueError, match=r"example\.toml: the guardrails SCP would have \d+ "
                                         r"characters, more than the 100 AWS allows"):
        check_scp_size(example_config)


SWITCHES = {
    "deny_leave_organization": {"DenyLeaveOrganization"},
    "protect_audit_trail": {"ProtectAuditTrail", "ProtectAuditLogBucket", "ProtectAuditLogs"},
    "deny_member_root": {"DenyMemberRootUser"},
}


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_a_guardrail_switched_off_removes_only_its_statements(example_config, switch):
    document = GuardrailsConstruct.scp(variant(example_config, **{switch: False}),
                                       "trail-arn", "bucket-arn")
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - SWITCHES[switch]


def test_no_allowed_regions_means_no_region_statement(example_config):
    document = GuardrailsConstruct.scp(variant(example_config, allowed_regions=()),
                                       "trail-arn", "bucket-arn")
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - {"DenyOutsideAllowedRegions"}


@pytest.fixture(scope="module")
def all_off_management(synthesize, example_config) -> dict:
    config = variant(example_config, deny_leave_organization=False, protect_audit_trail=False,
                     deny_member_root=False, centralize_root_access=False, allowed_regions=())
    assert GuardrailsConstruct.scp(config, "trail-arn", "bucket-arn") is None
    path = synthesize(config) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json"
    return json.loads(path.read_text())


def test_every_guardrail_off_removes_the_scp_and_root_access(all_off_management, example_config):
    for resource_type in ("aws_organizations_policy_attachment",
                          "aws_iam_organizations_features"):
        assert not keyed(all_off_management, resource_type), resource_type
    # Only the kill switch's freeze SCP is left, attached to nothing by Terraform.
    assert [p["name"] for p in keyed(all_off_management, "aws_organizations_policy").values()] \
        == [f"{example_config.name_prefix}-freeze"]
    _, organization = the_one(all_off_management, "aws_organizations_organization")
    assert "iam.amazonaws.com" not in organization["aws_service_access_principals"]
    # Cost safety and hygiene do not depend on the guardrail switches.
    assert keyed(all_off_management, "aws_budgets_budget")
    assert keyed(all_off_management, "aws_accessanalyzer_analyzer")


# --- centralized root access ---------------------------------------------------------------------

def test_centralized_root_access_is_enabled_after_iam_trusted_access(management):
    organization_key, organization = the_one(management, "aws_organizations_organization")
    assert {"iam.amazonaws.com", "access-analyzer.amazonaws.com",
            "cloudtrail.amazonaws.com"} <= set(organization["aws_service_access_principals"])
    _, features = the_one(management, "aws_iam_organizations_features")
    assert sorted(features["enabled_features"]) == ["RootCredentialsManagement", "RootSessions"]
    assert f"aws_organizations_organization.{organization_key}" in features["depends_on"]


# --- budgets -------------------------------------------------------------------------------------

def notifications(budget: dict) -> list[tuple[str, float, tuple[str, ...]]]:
    for notification in budget["notification"]:
        assert notification["comparison_operator"] == "GREATER_THAN"
        assert notification["threshold_type"] == "PERCENTAGE"
    return sorted((n["notification_type"], n["threshold"], tuple(n["subscriber_email_addresses"]))
                  for n in budget["notification"])


def expected_notifications(config, email: str) -> list:
    return sorted((kind, threshold, (email,)) for threshold in config.budgets.thresholds_percent
                  for kind in ("ACTUAL", "FORECASTED"))


def test_organization_budget_alerts_the_management_email(management, example_config):
    budgets = {b["name"]: b for b in keyed(management, "aws_budgets_budget").values()}
    assert len(budgets) == 1 + len(example_config.accounts)
    budget = budgets[f"{example_config.name_prefix}-organization-monthly"]
    assert (budget["budget_type"], budget["time_unit"], budget["limit_unit"]) == (
        "COST", "MONTHLY", "USD")
    assert budget["limit_amount"] == amount(example_config.budgets.organization_monthly_usd)
    assert "cost_filter" not in budget, "the payer's budget covers the whole organization"
    assert budget["cost_types"]["include_credit"] is False
    assert notifications(budget) == expected_notifications(example_config,
                                                           example_config.management_email)


def test_each_member_budget_filters_on_its_account_and_alerts_its_email(management,
                                                                       example_config):
    budgets = {b["name"]: b for b in keyed(management, "aws_budgets_budget").values()}
    for account in example_config.accounts:
        budget = budgets[f"{example_config.name_prefix}-{account.name}-monthly"]
        assert (budget["budget_type"], budget["time_unit"]) == ("COST", "MONTHLY")
        assert budget["limit_amount"] == amount(account.monthly_budget_usd)
        assert budget["cost_filter"] == [{
            "name": "LinkedAccount",
            "values": [ref("aws_organizations_account",
                           account_key(management, example_config, account.name), "id")]}]
        assert notifications(budget) == expected_notifications(example_config, account.email)


@pytest.mark.parametrize("usd, text", [(20, "20"), (12.5, "12.5"), (1000, "1000"), (0.5, "0.5")])
def test_budget_amounts_are_written_as_aws_reads_them(usd, text):
    assert amount(usd) == text


# --- account hygiene -----------------------------------------------------------------------------

def test_password_policy_meets_the_cis_benchmark(management):
    _, policy = the_one(management, "aws_iam_account_password_policy")
    assert policy["minimum_password_length"] >= 14
    assert policy["password_reuse_prevention"] == 24
    for character_class in ("lowercase_characters", "uppercase_characters", "numbers", "symbols"):
        assert policy[f"require_{character_class}"] is True, character_class


def test_access_analyzer_covers_the_organization(management, example_config):
    organization_key, _ = the_one(management, "aws_organizations_organization")
    _, analyzer = the_one(management, "aws_accessanalyzer_analyzer")
    assert analyzer["type"] == "ORGANIZATION"
    assert analyzer["analyzer_name"] == f"{example_config.name_prefix}-organization"
    assert f"aws_organizations_organization.{organization_key}" in analyzer["depends_on"]


def test_member_stacks_hold_no_guardrail_or_budget(example_stacks):
    for name, stack in example_stacks.items():
        if name == MANAGEMENT_STACK:
            continue
        for resource_type in ("aws_organizations_policy", "aws_budgets_budget",
                              "aws_iam_organizations_features", "aws_accessanalyzer_analyzer"):
            assert not keyed(stack, resource_type), (name, resource_type)
