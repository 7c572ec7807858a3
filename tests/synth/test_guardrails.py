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
import re

import pytest

from foundation import config as config_module
from foundation import model, organization_policies
from foundation.contract import CIS_PASSWORD_POLICY, MANAGEMENT_STACK
from foundation.paths import REPO_ROOT
from tests.helpers import keyed, ref, the_one

EXAMPLE = config_module.environment_path("example")
ROOT_SESSION_EXEMPTION = {"Null": {"aws:AssumedRoot": "true"}}
SCP_SIDS = {
    "DenyLeaveOrganization",
    "ProtectAuditTrail",
    "ProtectAuditLogBucket",
    "ProtectAuditLogs",
    "DenyMemberRootUser",
    "DenyOutsideAllowedRegions",
}


# --- helpers -------------------------------------------------------------------------------------


def account_key(stack: dict, config, name: str) -> str:
    [key] = [
        k
        for k, a in keyed(stack, "aws_organizations_account").items()
        if a["name"] == f"{config.name_prefix}-{name}"
    ]
    return key


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


def variant(config, **guardrails) -> model.Config:
    return dataclasses.replace(
        config, guardrails=dataclasses.replace(config.guardrails, **guardrails)
    )


@pytest.fixture(scope="module")
def management(example_stacks) -> dict:
    return example_stacks[MANAGEMENT_STACK]


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


def test_scp_protects_the_trail_and_its_log_bucket(statements, management, example_config):
    [trail_key] = keyed(management, "aws_cloudtrail")
    [bucket_key] = [
        k
        for k, b in keyed(management, "aws_s3_bucket").items()
        if b["bucket"] == example_config.trail.bucket
    ]
    bucket_arn = ref("aws_s3_bucket", bucket_key, "arn")

    trail = statements["ProtectAuditTrail"]
    assert trail["Resource"] == [ref("aws_cloudtrail", trail_key, "arn")]
    assert set(trail["Action"]) == {
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:PutInsightSelectors",
    }
    bucket = statements["ProtectAuditLogBucket"]
    assert bucket["Resource"] == [bucket_arn]
    assert {
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration",
    } <= set(bucket["Action"])
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


def test_scp_is_compact_and_fits_the_quota_with_the_longest_names(management, example_config):
    _, policy = guardrails_scp(management, example_config)
    content = policy["content"]
    assert content == organization_policies.to_compact_json(json.loads(content)), "no whitespace"
    # The longest values Terraform can fill in: a 128-character trail name, a 63-character bucket.
    filled = re.sub(
        r"\$\{aws_cloudtrail\.[^}]+\.arn\}",
        "arn:aws:cloudtrail:ap-southeast-4:123456789012:trail/" + "t" * 128,
        content,
    )
    filled = re.sub(r"\$\{aws_s3_bucket\.[^}]+\.arn\}", "arn:aws:s3:::" + "b" * 63, filled)
    assert "${" not in filled
    assert len(filled) <= organization_policies.SCP_MAX_CHARACTERS


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
    "protect_audit_trail": {"ProtectAuditTrail", "ProtectAuditLogBucket", "ProtectAuditLogs"},
    "deny_member_root": {"DenyMemberRootUser"},
}


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_a_guardrail_switched_off_removes_only_its_statements(example_config, switch):
    from modules.guardrails import Guardrails as GuardrailsConstruct

    document = GuardrailsConstruct.scp(
        variant(example_config, **{switch: False}), "trail-arn", "bucket-arn"
    )
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - SWITCHES[switch]


def test_no_allowed_regions_means_no_region_statement(example_config):
    from modules.guardrails import Guardrails as GuardrailsConstruct

    document = GuardrailsConstruct.scp(
        variant(example_config, allowed_regions=()), "trail-arn", "bucket-arn"
    )
    assert {s["Sid"] for s in document["Statement"]} == SCP_SIDS - {"DenyOutsideAllowedRegions"}


@pytest.fixture(scope="module")
def all_off_management(synthesize, example_config) -> dict:
    from modules.guardrails import Guardrails as GuardrailsConstruct

    config = variant(
        example_config,
        deny_leave_organization=False,
        protect_audit_trail=False,
        deny_member_root=False,
        centralize_root_access=False,
        allowed_regions=(),
        ai_services_opt_out=False,
        tag_policy=False,
    )
    assert GuardrailsConstruct.scp(config, "trail-arn", "bucket-arn") is None
    path = synthesize(config) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json"
    return json.loads(path.read_text())


def test_every_guardrail_off_removes_the_scp_and_root_access(all_off_management, example_config):
    for resource_type in ("aws_organizations_policy_attachment", "aws_iam_organizations_features"):
        assert not keyed(all_off_management, resource_type), resource_type
    # Only the kill switch's freeze SCP is left, attached to nothing by Terraform.
    assert [p["name"] for p in keyed(all_off_management, "aws_organizations_policy").values()] == [
        f"{example_config.name_prefix}-freeze"
    ]
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


# --- budgets -------------------------------------------------------------------------------------


def notifications(budget: dict) -> list[tuple[str, float, tuple[str, ...]]]:
    for notification in budget["notification"]:
        assert notification["comparison_operator"] == "GREATER_THAN"
        assert notification["threshold_type"] == "PERCENTAGE"
    return sorted(
        (n["notification_type"], n["threshold"], tuple(n["subscriber_email_addresses"]))
        for n in budget["notification"]
    )


def expected_notifications(config, email: str) -> list:
    return sorted(
        (kind, threshold, (email,))
        for threshold in config.budgets.thresholds_percent
        for kind in ("ACTUAL", "FORECASTED")
    )


def test_organization_budget_alerts_the_management_email(management, example_config):
    from modules.budgets import amount

    budgets = {b["name"]: b for b in keyed(management, "aws_budgets_budget").values()}
    assert len(budgets) == 1 + len(example_config.accounts)
    budget = budgets[f"{example_config.name_prefix}-organization-monthly"]
    assert (budget["budget_type"], budget["time_unit"], budget["limit_unit"]) == (
        "COST",
        "MONTHLY",
        "USD",
    )
    assert budget["limit_amount"] == amount(example_config.budgets.organization_monthly_usd)
    assert "cost_filter" not in budget, "the payer's budget covers the whole organization"
    assert budget["cost_types"]["include_credit"] is False
    assert notifications(budget) == expected_notifications(
        example_config, example_config.management_email
    )


def test_each_member_budget_filters_on_its_account_and_alerts_its_email(management, example_config):
    from modules.budgets import amount

    budgets = {b["name"]: b for b in keyed(management, "aws_budgets_budget").values()}
    for account in example_config.accounts:
        budget = budgets[f"{example_config.name_prefix}-{account.name}-monthly"]
        assert (budget["budget_type"], budget["time_unit"]) == ("COST", "MONTHLY")
        assert budget["limit_amount"] == amount(account.monthly_budget_usd)
        assert budget["cost_filter"] == [
            {
                "name": "LinkedAccount",
                "values": [
                    ref(
                        "aws_organizations_account",
                        account_key(management, example_config, account.name),
                        "id",
                    )
                ],
            }
        ]
        assert notifications(budget) == expected_notifications(example_config, account.email)


@pytest.mark.parametrize("usd, text", [(20, "20"), (12.5, "12.5"), (1000, "1000"), (0.5, "0.5")])
def test_budget_amounts_are_written_as_aws_reads_them(usd, text):
    from modules.budgets import amount

    assert amount(usd) == text


# --- regional controls: a provider per allowed region ---------------------------------------


def regional_providers(stack: dict) -> dict[str, str]:
    """{region: the provider reference a resource names} for the stack's providers."""
    return {
        p["region"]: f"aws.{p['alias']}" if "alias" in p else "aws"
        for p in stack["provider"]["aws"]
    }


def by_region(stack: dict, resource_type: str) -> dict[str, dict]:
    regions = {ref: region for region, ref in regional_providers(stack).items()}
    found: dict[str, dict] = {}
    for body in keyed(stack, resource_type).values():
        region = regions[body.get("provider", "aws")]
        assert region not in found, f"two {resource_type} in {region}"
        found[region] = body
    return found


def test_every_stack_has_a_provider_per_allowed_region_with_the_same_settings(
    example_stacks, example_config
):
    for name, stack in example_stacks.items():
        providers = stack["provider"]["aws"]
        assert sorted(p["region"] for p in providers) == sorted(
            example_config.guardrails.allowed_regions
        ), name
        home = next(p for p in providers if "alias" not in p)
        assert home["region"] == example_config.region
        for provider in providers:
            assert {k: v for k, v in provider.items() if k not in ("alias", "region")} == {
                k: v for k, v in home.items() if k != "region"
            }, name
            assert provider.get("alias", provider["region"]) == provider["region"]


def test_access_analyzer_covers_the_organization_in_every_allowed_region(
    management, example_config
):
    organization_key, _ = the_one(management, "aws_organizations_organization")
    analyzers = by_region(management, "aws_accessanalyzer_analyzer")
    assert sorted(analyzers) == sorted(example_config.guardrails.allowed_regions)
    for analyzer in analyzers.values():
        assert analyzer["type"] == "ORGANIZATION"
        assert analyzer["analyzer_name"] == f"{example_config.name_prefix}-organization"
        assert f"aws_organizations_organization.{organization_key}" in analyzer["depends_on"]
    # The home region's analyzer keeps its address from before the other regions had one.
    assert "hygiene_access_analyzer_5711445B" in keyed(management, "aws_accessanalyzer_analyzer")


def test_with_every_region_allowed_the_regional_controls_cover_the_home_region(
    synthesize, example_config
):
    stacks = synthesize(variant(example_config, allowed_regions=())) / "stacks"
    for name in example_config.stack_names:
        stack = json.loads((stacks / name / "cdk.tf.json").read_text())
        assert [p["region"] for p in stack["provider"]["aws"]] == [example_config.region]
        assert list(by_region(stack, "aws_ebs_encryption_by_default")) == [example_config.region], (
            name
        )


# --- every account's CIS baseline ----------------------------------------------------------------

ALL_FOUR_FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


def test_every_account_blocks_public_s3_access_at_the_account_level(example_stacks):
    for name, stack in example_stacks.items():
        _, block = the_one(stack, "aws_s3_account_public_access_block")
        assert all(block[flag] is True for flag in ALL_FOUR_FLAGS), name
        assert "account_id" not in block, "the provider's own account, no other"


def test_every_account_encrypts_new_ebs_volumes_in_every_allowed_region(
    example_stacks, example_config
):
    for name, stack in example_stacks.items():
        encryption = by_region(stack, "aws_ebs_encryption_by_default")
        assert sorted(encryption) == sorted(example_config.guardrails.allowed_regions), name
        assert all(body["enabled"] is True for body in encryption.values()), name


def test_every_account_has_the_one_cis_password_policy(example_stacks):
    for name, stack in example_stacks.items():
        _, policy = the_one(stack, "aws_iam_account_password_policy")
        assert {
            k: policy[k] for k in dataclasses.asdict(CIS_PASSWORD_POLICY)
        } == dataclasses.asdict(CIS_PASSWORD_POLICY), name
        assert policy["minimum_password_length"] >= 14 and policy["password_reuse_prevention"] == 24
        assert "max_password_age" not in policy, "CIS and NIST advise against forced expiry"


def test_every_account_has_a_support_role_for_management_admins_with_mfa(
    example_stacks, example_config
):
    for name, stack in example_stacks.items():
        key, role = the_one(stack, "aws_iam_role", name=f"{example_config.name_prefix}-support")
        [attachment] = [
            a
            for a in keyed(stack, "aws_iam_role_policy_attachment").values()
            if a["role"] == ref("aws_iam_role", key, "name")
        ]
        assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/AWSSupportAccess"
        [statement] = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Action"] == ["sts:AssumeRole"]
        assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        principal = statement["Principal"]["AWS"]
        if name == MANAGEMENT_STACK:
            [(org_key, _)] = keyed(stack, "aws_organizations_organization").items()
            management_id = ref("aws_organizations_organization", org_key, "master_account_id")
        else:
            [state_key] = stack["data"]["terraform_remote_state"]
            management_id = (
                f"${{data.terraform_remote_state.{state_key}.outputs.management_account_id}}"
            )
        assert principal == f"arn:aws:iam::{management_id}:root", name


def test_every_member_account_has_its_alias_and_management_has_none(example_stacks, example_config):
    assert not keyed(example_stacks[MANAGEMENT_STACK], "aws_iam_account_alias"), (
        "a payer may have an alias already; an alias resource would replace it"
    )
    for account in example_config.accounts:
        _, alias = the_one(example_stacks[account.name], "aws_iam_account_alias")
        assert alias["account_alias"] == account.alias


def test_alternate_contacts_of_every_account_are_set_from_management(
    example_stacks, management, example_config
):
    contacts = list(keyed(management, "aws_account_alternate_contact").values())
    expected = example_config.contacts.by_type()
    assert len(contacts) == len(expected) * len(example_config.stack_names)
    organization_key, organization = the_one(management, "aws_organizations_organization")
    assert "account.amazonaws.com" in organization["aws_service_access_principals"]
    own = [c for c in contacts if "account_id" not in c]
    assert sorted(c["alternate_contact_type"] for c in own) == sorted(expected)
    for account in example_config.accounts:
        account_id = ref(
            "aws_organizations_account", account_key(management, example_config, account.name), "id"
        )
        theirs = [c for c in contacts if c.get("account_id") == account_id]
        assert sorted(c["alternate_contact_type"] for c in theirs) == sorted(expected)
        # Setting a member's contact needs Account Management's trusted access first.
        assert all(
            f"aws_organizations_organization.{organization_key}" in c["depends_on"] for c in theirs
        )
    for contact in contacts:
        wanted = expected[contact["alternate_contact_type"]]
        assert (
            contact["name"],
            contact["title"],
            contact["email_address"],
            contact["phone_number"],
        ) == (wanted.name, wanted.title, wanted.email, wanted.phone)
    for name, stack in example_stacks.items():
        if name != MANAGEMENT_STACK:
            assert not keyed(stack, "aws_account_alternate_contact"), "a reset must keep them"


def test_without_contacts_no_contact_and_no_account_management_access(synthesize, example_config):
    config = dataclasses.replace(example_config, contacts=model.Contacts())
    stack = json.loads(
        (synthesize(config) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json").read_text()
    )
    assert not keyed(stack, "aws_account_alternate_contact")
    _, organization = the_one(stack, "aws_organizations_organization")
    assert "account.amazonaws.com" not in organization["aws_service_access_principals"]


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
