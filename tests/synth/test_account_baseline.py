"""Every account's baseline in the synthesized stacks: the budgets, the regional controls (a
provider per allowed region) and the CIS baseline of each account."""

from __future__ import annotations

import dataclasses
import json

import pytest

from foundation import model
from foundation.contract import CIS_PASSWORD_POLICY, MANAGEMENT_STACK
from tests.helpers import account_key, keyed, ref, the_one, variant

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
    # Gross cost: CostTypes include credits and refunds unless told not to (both default true,
    # https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CostTypes.html),
    # and a free plan's or a promotion's credits would then hide spending from alerts and the
    # kill switch, which acts on the member budgets built the same way.
    assert budget["cost_types"] == {"include_credit": False, "include_refund": False}
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
        assert budget["cost_types"] == {"include_credit": False, "include_refund": False}
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
