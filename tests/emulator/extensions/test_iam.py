"""IAM as the emulator completes it (scripts/emulator/extensions/iam.py)."""

from __future__ import annotations

import json

import pytest

from foundation import policies
from scripts.emulator.extensions.organizations import IAM_SERVICE_PRINCIPAL


def test_iam_organizations_features_need_iam_trusted_access(mocked_aws):
    organizations, iam = mocked_aws("organizations"), mocked_aws("iam")
    organizations.create_organization(FeatureSet="ALL")
    with pytest.raises(iam.exceptions.ClientError, match="ServiceAccessNotEnabledException"):
        iam.enable_organizations_root_sessions()

    organizations.enable_aws_service_access(ServicePrincipal=IAM_SERVICE_PRINCIPAL)
    iam.enable_organizations_root_credentials_management()
    enabled = iam.enable_organizations_root_sessions()
    assert enabled["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    listed = iam.list_organizations_features()
    assert listed["OrganizationId"] == organizations.describe_organization()["Organization"]["Id"]
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == [
        "RootCredentialsManagement"
    ]
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement"]


def test_iam_lists_say_if_truncated(mocked_aws):
    iam = mocked_aws("iam")
    iam.create_user(UserName="learner")
    iam.create_instance_profile(InstanceProfileName="web")
    answers = [
        iam.list_instance_profiles(),
        iam.list_instance_profiles_for_role(RoleName="web"),
        iam.list_access_keys(UserName="learner"),
        iam.list_groups(),
    ]
    assert [answer["IsTruncated"] for answer in answers] == [False] * 4


def test_a_policy_may_name_a_root_user_as_resource(mocked_aws):
    iam = mocked_aws("iam")
    iam.create_role(
        RoleName="root-sessions",
        AssumeRolePolicyDocument=json.dumps(policies.trust_account("123456789012")),
    )
    iam.put_role_policy(
        RoleName="root-sessions",
        PolicyName="assume-root",
        PolicyDocument=json.dumps(policies.start_root_sessions(["210987654321"])),
    )
    stored = iam.get_role_policy(RoleName="root-sessions", PolicyName="assume-root")
    assert stored["PolicyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:iam::210987654321:root"
    ]
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(
            RoleName="root-sessions",
            PolicyName="typo",
            PolicyDocument=json.dumps(
                policies.document(
                    policies.statement(
                        "Typo",
                        actions=["iam:GetUser"],
                        resources=["arn:aws:iam::210987654321:usr/x"],
                    )
                )
            ),
        )
