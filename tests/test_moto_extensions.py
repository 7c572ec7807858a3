"""The emulator's extensions to moto, each against the AWS behaviour it supplies."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from foundation import policies
from scripts import moto_extensions

BUCKET_ARN = "arn:aws:s3:::state"


@pytest.mark.parametrize(("condition", "context", "holds"), [
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    ({"StringEquals": {"aws:SourceArn": ["a", "b"]}}, {"aws:SourceArn": "b"}, True),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
     {"aws:PrincipalArn": "arn:aws:iam::1:root"}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, False),  # unknown operator
])
def test_condition_holds(condition, context, holds):
    assert moto_extensions.condition_holds(condition, context) is holds


@pytest.fixture
def tls_only_bucket():
    moto_extensions.evaluate_bucket_policy_conditions()
    bucket = FakeBucket("state", account_id="123456789012", region_name="us-east-1")
    bucket.policy = json.dumps(policies.document(
        policies.deny_insecure_transport(BUCKET_ARN))).encode()
    return bucket


@pytest.mark.parametrize(("scheme", "expected"), [
    ("https", PermissionResult.NEUTRAL),
    ("http", PermissionResult.DENIED),
])
def test_tls_deny_applies_only_to_plain_http(tls_only_bucket, scheme, expected):
    with Flask(__name__).test_request_context(base_url=f"{scheme}://127.0.0.1:4566"):
        assert tls_only_bucket.get_permission("s3:PutObject", f"{BUCKET_ARN}/key") == expected


def test_unconditional_deny_still_denies(tls_only_bucket):
    tls_only_bucket.policy = json.dumps(policies.document(policies.statement(
        "DenyAll", "Deny", actions=["s3:*"], resources=[f"{BUCKET_ARN}/*"], principal="*")))
    assert tls_only_bucket.get_permission("s3:GetObject", f"{BUCKET_ARN}/k") == \
        PermissionResult.DENIED


def test_budget_notification_subscribers(mocked_aws):
    budgets = mocked_aws("budgets")
    notification = {"NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN",
                    "Threshold": 80, "ThresholdType": "PERCENTAGE"}
    subscribers = [{"SubscriptionType": "EMAIL", "Address": "aws-dev@example.com"}]
    budgets.create_budget(
        AccountId="123456789012",
        Budget={"BudgetName": "dev", "BudgetLimit": {"Amount": "5", "Unit": "USD"},
                "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        NotificationsWithSubscribers=[{"Notification": notification, "Subscribers": subscribers}])
    found = budgets.describe_subscribers_for_notification(
        AccountId="123456789012", BudgetName="dev", Notification={**notification, "Threshold": 80.0})
    assert found["Subscribers"] == subscribers
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_subscribers_for_notification(
            AccountId="123456789012", BudgetName="dev",
            Notification={**notification, "NotificationType": "ACTUAL"})


def test_iam_organizations_features_need_iam_trusted_access(mocked_aws):
    organizations, iam = mocked_aws("organizations"), mocked_aws("iam")
    organizations.create_organization(FeatureSet="ALL")
    with pytest.raises(iam.exceptions.ClientError, match="ServiceAccessNotEnabledException"):
        iam.enable_organizations_root_sessions()

    organizations.enable_aws_service_access(ServicePrincipal=moto_extensions.IAM_SERVICE_PRINCIPAL)
    iam.enable_organizations_root_credentials_management()
    enabled = iam.enable_organizations_root_sessions()
    assert enabled["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    listed = iam.list_organizations_features()
    assert listed["OrganizationId"] == organizations.describe_organization()["Organization"]["Id"]
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == \
        ["RootCredentialsManagement"]
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement"]


def test_budget_tags(mocked_aws):
    budgets = mocked_aws("budgets")
    arn = "arn:aws:budgets::123456789012:budget/dev"
    budgets.create_budget(
        AccountId="123456789012",
        Budget={"BudgetName": "dev", "BudgetLimit": {"Amount": "5", "Unit": "USD"},
                "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        ResourceTags=[{"Key": "environment", "Value": "local"}])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "environment", "Value": "local"}]
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "workspace", "Value": "dev"},
                                                        {"Key": "owner", "Value": "me"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["owner", "environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "dev"}]


def test_access_analyzer_lifecycle(mocked_aws):
    analyzer = mocked_aws("accessanalyzer")
    arn = analyzer.create_analyzer(analyzerName="org", type="ORGANIZATION",
                                   tags={"managed-by": "x"})["arn"]
    found = analyzer.get_analyzer(analyzerName="org")["analyzer"]
    assert (found["arn"], found["type"], found["status"]) == (arn, "ORGANIZATION", "ACTIVE")
    analyzer.tag_resource(resourceArn=arn, tags={"workspace": "management"})
    analyzer.untag_resource(resourceArn=arn, tagKeys=["managed-by"])
    assert analyzer.list_tags_for_resource(resourceArn=arn)["tags"] == {"workspace": "management"}
    with pytest.raises(analyzer.exceptions.ConflictException):
        analyzer.create_analyzer(analyzerName="org", type="ORGANIZATION")
    analyzer.delete_analyzer(analyzerName="org")
    with pytest.raises(analyzer.exceptions.ResourceNotFoundException):
        analyzer.get_analyzer(analyzerName="org")


def test_describe_trails_answers_for_the_trails_named(mocked_aws):
    s3, cloudtrail = mocked_aws("s3"), mocked_aws("cloudtrail")
    s3.create_bucket(Bucket="trail-logs")
    arns = {name: cloudtrail.create_trail(Name=name, S3BucketName="trail-logs")["TrailARN"]
            for name in ("organization-trail", "management-events")}
    by_arn = cloudtrail.describe_trails(trailNameList=[arns["organization-trail"]])["trailList"]
    assert [trail["Name"] for trail in by_arn] == ["organization-trail"]
    by_name = cloudtrail.describe_trails(trailNameList=["management-events"])["trailList"]
    assert [trail["TrailARN"] for trail in by_name] == [arns["management-events"]]
    assert cloudtrail.describe_trails(trailNameList=["no-such-trail"])["trailList"] == []
    assert {trail["Name"] for trail in cloudtrail.describe_trails()["trailList"]} == set(arns)


def test_a_policy_may_name_a_root_user_as_resource(mocked_aws):
    iam = mocked_aws("iam")
    iam.create_role(RoleName="root-sessions", AssumeRolePolicyDocument=json.dumps(
        policies.trust_account("123456789012")))
    iam.put_role_policy(RoleName="root-sessions", PolicyName="assume-root",
                        PolicyDocument=json.dumps(policies.start_root_sessions(["210987654321"])))
    stored = iam.get_role_policy(RoleName="root-sessions", PolicyName="assume-root")
    assert stored["PolicyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:iam::210987654321:root"]
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName="root-sessions", PolicyName="typo", PolicyDocument=json.dumps(
            policies.document(policies.statement("Typo", actions=["iam:GetUser"],
                                                 resources=["arn:aws:iam::210987654321:usr/x"]))))
