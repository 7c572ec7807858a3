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


def services_used(iam, arn: str) -> dict[str, str]:
    """{namespace: Region} of the service last accessed report of `arn`."""
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert report["JobStatus"] == "COMPLETED"
    return {
        s["ServiceNamespace"]: s["LastAuthenticatedRegion"]
        for s in report["ServicesLastAccessed"]
        if "LastAuthenticated" in s
    }


def test_service_last_accessed_names_what_each_user_and_role_called(mocked_aws):
    from scripts import aws

    iam = mocked_aws("iam")
    user = iam.create_user(UserName="learner")["User"]["Arn"]
    key = iam.create_access_key(UserName="learner")["AccessKey"]
    as_user = aws.new_session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="eu-west-1",
    )
    as_user.client("sqs").list_queues()
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="builder", AssumeRolePolicyDocument=json.dumps(trust))
    unused = iam.create_role(RoleName="unused", AssumeRolePolicyDocument=json.dumps(trust))
    credentials = mocked_aws("sts").assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="build"
    )["Credentials"]
    as_role = aws.session_from_credentials(None, credentials, "ap-south-1")
    as_role.client("bedrock").list_custom_models()
    as_role.client("cloudwatch").list_metrics()
    as_role.client("resourcegroupstaggingapi").get_resources()

    assert services_used(iam, user) == {"sqs": "eu-west-1"}
    assert services_used(iam, role["Role"]["Arn"]) == {
        "bedrock": "ap-south-1",
        "cloudwatch": "ap-south-1",
        "tag": "ap-south-1",
    }
    assert services_used(iam, unused["Role"]["Arn"]) == {}
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.generate_service_last_accessed_details(Arn="arn:aws:iam::123456789012:role/gone")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
