"""AWS Organizations as the emulator answers it today (scripts/emulator/extensions/
organizations.py; its trusted access for IAM is tested with the IAM features in test_iam.py): policy
names, account states, attachments, the policies in effect for an account."""

from __future__ import annotations

import json

import pytest

from scripts.emulator.extensions.organizations import organization_of, policies_in_effect

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


def test_a_policy_attached_twice_to_one_target_is_refused(mocked_aws, organization_with_member):
    """AWS Organizations API reference, AttachPolicy: DuplicatePolicyAttachmentException, "The
    selected policy is already attached to the specified target"."""
    member, _ = organization_with_member
    organizations = mocked_aws("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    policy = organizations.create_policy(
        Name="freeze", Type="SERVICE_CONTROL_POLICY", Description="d", Content=SCP
    )["Policy"]["PolicySummary"]["Id"]
    for target in (member, root):
        organizations.attach_policy(PolicyId=policy, TargetId=target)
        with pytest.raises(organizations.exceptions.DuplicatePolicyAttachmentException):
            organizations.attach_policy(PolicyId=policy, TargetId=target)
    targets = organizations.list_targets_for_policy(PolicyId=policy)["Targets"]
    assert sorted(t["TargetId"] for t in targets) == sorted([member, root])


def test_the_policies_in_effect_go_from_the_root_to_the_account_once_enabled(
    mocked_aws, organization_with_member
):
    """Organizations User Guide, "SCP evaluation": the root, each OU on the way, the account;
    "Enabling a policy type": no policy of a type takes effect before it is enabled."""
    member, _ = organization_with_member
    organizations = mocked_aws("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    unit = organizations.create_organizational_unit(ParentId=root, Name="sandbox")
    unit_id = unit["OrganizationalUnit"]["Id"]
    organizations.move_account(AccountId=member, SourceParentId=root, DestinationParentId=unit_id)
    deny = organizations.create_policy(
        Name="deny", Type="SERVICE_CONTROL_POLICY", Description="d", Content=SCP
    )["Policy"]["PolicySummary"]["Id"]
    organizations.attach_policy(PolicyId=deny, TargetId=unit_id)
    backend, is_management = organization_of(member)
    assert not is_management and organization_of("123456789012")[1]
    assert organization_of("999999999999") is None
    assert policies_in_effect(backend, member, "SERVICE_CONTROL_POLICY") is None
    organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    levels = policies_in_effect(backend, member, "SERVICE_CONTROL_POLICY")
    full_aws_access = [s["Action"] for level in levels for d in level for s in d["Statement"]]
    assert len(levels) == 3 and full_aws_access.count("*") == 4  # 3x FullAWSAccess, the deny
    assert levels[1][-1]["Statement"][0]["Effect"] == "Deny", "the OU's own policies in between"
