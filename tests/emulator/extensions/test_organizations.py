"""AWS Organizations as the emulator completes it (scripts/emulator/extensions/organizations.py);
its IAM trusted access is tested with the IAM features it enables, in test_iam.py."""

from __future__ import annotations

import json

import pytest

from scripts.emulator.extensions.organizations import organization_of, policies_in_effect

DENY_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
)


def test_a_policy_attached_twice_to_one_target_is_refused(mocked_aws, organization_with_member):
    """AWS Organizations API reference, AttachPolicy: DuplicatePolicyAttachmentException, "The
    selected policy is already attached to the specified target"."""
    member, _ = organization_with_member
    organizations = mocked_aws("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    policy = organizations.create_policy(
        Name="freeze", Type="SERVICE_CONTROL_POLICY", Description="d", Content=DENY_ALL
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
        Name="deny", Type="SERVICE_CONTROL_POLICY", Description="d", Content=DENY_ALL
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
