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


def test_access_analyzer_lists_the_analyzers_of_its_region_by_type(mocked_aws):
    east, west = mocked_aws("accessanalyzer"), mocked_aws("accessanalyzer", "us-west-2")
    east.create_analyzer(analyzerName="org", type="ORGANIZATION")
    east.create_analyzer(analyzerName="mine", type="ACCOUNT")
    west.create_analyzer(analyzerName="org", type="ORGANIZATION")
    assert sorted(a["name"] for a in east.list_analyzers()["analyzers"]) == ["mine", "org"]
    [organization] = east.list_analyzers(type="ORGANIZATION")["analyzers"]
    assert organization["arn"].startswith("arn:aws:access-analyzer:us-east-1:")
    assert [a["arn"].split(":")[3] for a in west.list_analyzers()["analyzers"]] == ["us-west-2"]


@pytest.fixture
def organization_with_member(mocked_aws):
    """An organization and one member account; returns (member id, a session in the member)."""
    import boto3

    organizations = mocked_aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="dev@example.com")[
        "CreateAccountStatus"]["AccountId"]
    credentials = mocked_aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="test")["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    return member, session


CONTACT = {"AlternateContactType": "SECURITY", "Name": "Alice", "Title": "Owner",
           "EmailAddress": "security@example.com", "PhoneNumber": "+1 555 0100"}


def test_member_contacts_need_the_management_account_and_trusted_access(
        mocked_aws, organization_with_member):
    member, member_session = organization_with_member
    account = mocked_aws("account")
    with pytest.raises(account.exceptions.AccessDeniedException, match="trusted access"):
        account.put_alternate_contact(AccountId=member, **CONTACT)

    mocked_aws("organizations").enable_aws_service_access(
        ServicePrincipal=moto_extensions.ACCOUNT_SERVICE_PRINCIPAL)
    account.put_alternate_contact(AccountId=member, **CONTACT)
    found = account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    assert found["AlternateContact"]["EmailAddress"] == "security@example.com"
    # The member reads its own contact without an account id, as AWS lets it.
    in_member = member_session.client("account", region_name="us-east-1")
    assert in_member.get_alternate_contact(AlternateContactType="SECURITY")[
        "AlternateContact"]["Name"] == "Alice"

    management = mocked_aws("sts").get_caller_identity()["Account"]
    with pytest.raises(account.exceptions.AccessDeniedException, match="its own AccountId"):
        account.get_alternate_contact(AccountId=management, AlternateContactType="SECURITY")
    with pytest.raises(account.exceptions.AccessDeniedException, match="not a member"):
        account.put_alternate_contact(AccountId="999999999999", **CONTACT)
    with pytest.raises(in_member.exceptions.AccessDeniedException, match="not the management"):
        in_member.get_alternate_contact(AccountId=management, AlternateContactType="SECURITY")
    account.put_alternate_contact(**CONTACT)  # the management account's own, without an id
    account.delete_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    with pytest.raises(account.exceptions.ResourceNotFoundException):
        account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")


def organization_trail(mocked_aws, name: str = "org-trail") -> str:
    mocked_aws("s3").create_bucket(Bucket="org-trail-logs")
    return mocked_aws("cloudtrail").create_trail(
        Name=name, S3BucketName="org-trail-logs", IsMultiRegionTrail=True,
        IsOrganizationTrail=True)["TrailARN"]


def test_member_accounts_see_the_organization_trail(mocked_aws, organization_with_member):
    _, member_session = organization_with_member
    arn = organization_trail(mocked_aws)
    mocked_aws("cloudtrail").start_logging(Name="org-trail")
    for region in ("us-east-1", "eu-west-1"):  # a multi-region trail shows in every region
        cloudtrail = member_session.client("cloudtrail", region_name=region)
        [trail] = cloudtrail.describe_trails()["trailList"]
        assert (trail["TrailARN"], trail["IsOrganizationTrail"]) == (arn, True)
        assert cloudtrail.describe_trails(includeShadowTrails=False)["trailList"] == []
    cloudtrail = member_session.client("cloudtrail", region_name="us-east-1")
    assert cloudtrail.get_trail_status(Name=arn)["IsLogging"] is True
    assert cloudtrail.get_event_selectors(TrailName=arn)["EventSelectors"] == \
        moto_extensions.DEFAULT_EVENT_SELECTORS
    with pytest.raises(cloudtrail.exceptions.TrailNotFoundException):
        cloudtrail.get_event_selectors(TrailName="arn:aws:cloudtrail:us-east-1:1:trail/other")


def test_trail_selectors_default_to_all_management_events_until_set(mocked_aws):
    cloudtrail = mocked_aws("cloudtrail")
    organization_trail(mocked_aws, "trail")
    assert cloudtrail.get_event_selectors(TrailName="trail")["EventSelectors"] == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
         "ExcludeManagementEventSources": []}]
    write_only = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    cloudtrail.put_event_selectors(TrailName="trail", EventSelectors=write_only)
    assert [s["ReadWriteType"] for s in
            cloudtrail.get_event_selectors(TrailName="trail")["EventSelectors"]] == ["WriteOnly"]


def test_installing_twice_changes_nothing(mocked_aws, organization_with_member):
    """Tests install the extensions before each test: wrappers must not stack up."""
    _, member_session = organization_with_member
    organization_trail(mocked_aws)
    moto_extensions.install()
    assert len(member_session.client("cloudtrail", region_name="us-east-1")
               .describe_trails()["trailList"]) == 1
