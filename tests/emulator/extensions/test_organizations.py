"""AWS Organizations as the emulator answers it today (scripts/emulator/extensions/
organizations.py; its trusted access for IAM is tested with the IAM features in test_iam.py)."""

from __future__ import annotations

import json

import pytest

SCP = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
)
AI_OPT_OUT = json.dumps({"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}})


def test_policy_names_are_unique_per_policy_type(mocked_aws):
    """AWS answers DuplicatePolicyException, "A policy with the specified name and type already
    exists.", for a name its type already has; another type may use it (CreatePolicy:
    https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html)."""
    organizations = mocked_aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    made = {
        kind: organizations.create_policy(
            Name="guardrails", Description="", Type=kind, Content=content
        )["Policy"]["PolicySummary"]["Type"]
        for kind, content in (
            ("SERVICE_CONTROL_POLICY", SCP),
            ("AISERVICES_OPT_OUT_POLICY", AI_OPT_OUT),
        )
    }
    assert made == {
        "SERVICE_CONTROL_POLICY": "SERVICE_CONTROL_POLICY",
        "AISERVICES_OPT_OUT_POLICY": "AISERVICES_OPT_OUT_POLICY",
    }
    with pytest.raises(
        organizations.exceptions.DuplicatePolicyException, match="specified name and type"
    ):
        organizations.create_policy(
            Name="guardrails", Description="", Type="SERVICE_CONTROL_POLICY", Content=SCP
        )


def test_accounts_answer_state_not_the_retired_status(mocked_aws):
    """Account.Status was retired on 9 September 2026 for State (DescribeAccount, ListAccounts,
    ListAccountsForParent); a closed account is CLOSED, SUSPENDED being a suspension by AWS
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_account_state.html)."""
    organizations = mocked_aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="dev@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    answers = [
        organizations.describe_account(AccountId=member)["Account"],
        *organizations.list_accounts()["Accounts"],
        *organizations.list_accounts_for_parent(ParentId=root)["Accounts"],
    ]
    assert [(answer["State"], "Status" in answer) for answer in answers] == [("ACTIVE", False)] * 5

    organizations.close_account(AccountId=member)
    assert organizations.describe_account(AccountId=member)["Account"]["State"] == "CLOSED"
    with pytest.raises(organizations.exceptions.AccountAlreadyClosedException):
        organizations.close_account(AccountId=member)
