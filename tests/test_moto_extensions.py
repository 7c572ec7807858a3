"""The emulator's extensions to moto, each against the AWS behaviour it supplies."""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from flask import Flask
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from foundation import policies
from scripts import aws
from scripts.emulator import extensions
from scripts.emulator.server import CA_BUNDLE

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
    assert extensions.condition_holds(condition, context) is holds


@pytest.fixture
def tls_only_bucket():
    extensions.evaluate_bucket_policy_conditions()
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

    organizations.enable_aws_service_access(ServicePrincipal=extensions.IAM_SERVICE_PRINCIPAL)
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


def test_update_budget_replaces_all_but_name_notifications_and_tags(mocked_aws):
    budgets = mocked_aws("budgets")
    arn = "arn:aws:budgets::123456789012:budget/dev"
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                    "Threshold": 80.0, "ThresholdType": "PERCENTAGE"}
    subscribers = [{"SubscriptionType": "EMAIL", "Address": "aws-dev@example.com"}]
    budget = {"BudgetName": "dev", "BudgetLimit": {"Amount": "5.0", "Unit": "USD"},
              "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    budgets.create_budget(
        AccountId="123456789012", Budget=budget, ResourceTags=[{"Key": "owner", "Value": "me"}],
        NotificationsWithSubscribers=[{"Notification": notification, "Subscribers": subscribers}])
    budgets.update_budget(AccountId="123456789012", NewBudget={
        **budget, "BudgetLimit": {"Amount": "7.0", "Unit": "USD"},
        "CostTypes": {"IncludeTax": False}})

    updated = budgets.describe_budget(AccountId="123456789012", BudgetName="dev")["Budget"]
    assert updated["BudgetLimit"] == {"Amount": "7.0", "Unit": "USD"}
    assert updated["CostTypes"] == {"IncludeTax": False}
    assert updated["CalculatedSpend"]["ActualSpend"]["Amount"] == "0"
    assert budgets.describe_notifications_for_budget(
        AccountId="123456789012", BudgetName="dev")["Notifications"] == [notification]
    assert budgets.describe_subscribers_for_notification(
        AccountId="123456789012", BudgetName="dev", Notification=notification)["Subscribers"] == \
        subscribers
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "owner", "Value": "me"}]
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.update_budget(AccountId="123456789012", NewBudget={**budget, "BudgetName": "test"})


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


ACCOUNT_ID = "123456789012"
BUDGET = {"BudgetName": "dev", "BudgetLimit": {"Amount": "5", "Unit": "USD"},
          "TimeUnit": "MONTHLY", "BudgetType": "COST"}


def _trust(service: str) -> str:
    return json.dumps(policies.document(policies.statement(
        "ServiceAssumes", "Allow", actions=["sts:AssumeRole"], principal={"Service": service},
        resources=None)))


BUDGETS_TRUST = _trust(extensions.BUDGETS_SERVICE_PRINCIPAL)


@pytest.fixture
def freeze_setup(mocked_aws):
    """An organization with one member account, a freeze SCP, a budget and a role that Budgets
    may assume: {"member", "policy_id", "role_arn"}."""
    organizations, iam = mocked_aws("organizations"), mocked_aws("iam")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="aws-dev@example.com")[
        "CreateAccountStatus"]["AccountId"]
    policy_id = organizations.create_policy(
        Name="freeze", Description="freeze", Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(policies.document(policies.statement(
            "Freeze", "Deny", actions=["ec2:RunInstances"], resources=["*"]))))["Policy"][
        "PolicySummary"]["Id"]
    role_arn = iam.create_role(RoleName="budget-action",
                               AssumeRolePolicyDocument=BUDGETS_TRUST)["Role"]["Arn"]
    mocked_aws("budgets").create_budget(AccountId=ACCOUNT_ID, Budget=BUDGET)
    return {"member": member, "policy_id": policy_id, "role_arn": role_arn}


def _create_freeze_action(budgets, setup, **overrides) -> str:
    return budgets.create_budget_action(**{
        "AccountId": ACCOUNT_ID, "BudgetName": "dev", "NotificationType": "ACTUAL",
        "ActionType": "APPLY_SCP_POLICY",
        "ActionThreshold": {"ActionThresholdValue": 100, "ActionThresholdType": "PERCENTAGE"},
        "Definition": {"ScpActionDefinition": {"PolicyId": setup["policy_id"],
                                               "TargetIds": [setup["member"]]}},
        "ExecutionRoleArn": setup["role_arn"], "ApprovalModel": "AUTOMATIC",
        "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "aws-root@example.com"}],
        **overrides})["ActionId"]


def _attached_scps(organizations, target: str) -> list[str]:
    return [p["Name"] for p in organizations.list_policies_for_target(
        TargetId=target, Filter="SERVICE_CONTROL_POLICY")["Policies"]]


def _status(budgets, action_id: str) -> str:
    return budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev",
                                          ActionId=action_id)["Action"]["Status"]


def test_budget_action_crud_and_tags(mocked_aws, freeze_setup):
    budgets = mocked_aws("budgets")
    action_id = _create_freeze_action(budgets, freeze_setup,
                                      ResourceTags=[{"Key": "workspace", "Value": "management"}])
    action = budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev",
                                            ActionId=action_id)["Action"]
    assert (action["Status"], action["ApprovalModel"]) == ("STANDBY", "AUTOMATIC")
    assert action["Definition"]["ScpActionDefinition"]["TargetIds"] == [freeze_setup["member"]]
    arn = f"arn:aws:budgets::{ACCOUNT_ID}:budget/dev/action/{action_id}"
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "management"}]

    updated = budgets.update_budget_action(
        AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id,
        ActionThreshold={"ActionThresholdValue": 80, "ActionThresholdType": "PERCENTAGE"})
    assert updated["OldAction"]["ActionThreshold"]["ActionThresholdValue"] == 100
    assert updated["NewAction"]["ActionThreshold"]["ActionThresholdValue"] == 80
    assert updated["NewAction"]["ExecutionRoleArn"] == freeze_setup["role_arn"]

    second = _create_freeze_action(budgets, freeze_setup, NotificationType="FORECASTED")
    listed = budgets.describe_budget_actions_for_budget(AccountId=ACCOUNT_ID, BudgetName="dev",
                                                        MaxResults=1)
    rest = budgets.describe_budget_actions_for_account(AccountId=ACCOUNT_ID, MaxResults=1,
                                                       NextToken=listed["NextToken"])
    assert [a["ActionId"] for a in listed["Actions"] + rest["Actions"]] == [action_id, second]
    assert "NextToken" not in rest
    with pytest.raises(budgets.exceptions.InvalidNextTokenException):
        budgets.describe_budget_actions_for_account(AccountId=ACCOUNT_ID, NextToken="elsewhere")

    deleted = budgets.delete_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev",
                                           ActionId=action_id)
    assert deleted["Action"]["ActionId"] == action_id
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == []
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id)


def test_budget_action_needs_its_budget_and_a_matching_definition(mocked_aws, freeze_setup):
    budgets = mocked_aws("budgets")
    with pytest.raises(budgets.exceptions.NotFoundException):
        _create_freeze_action(budgets, freeze_setup, BudgetName="missing")
    with pytest.raises(budgets.exceptions.InvalidParameterException):
        _create_freeze_action(budgets, freeze_setup, ActionType="APPLY_IAM_POLICY")
    action_id = _create_freeze_action(budgets, freeze_setup)
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName="dev")
    assert budgets.describe_budget_actions_for_account(AccountId=ACCOUNT_ID)["Actions"] == []
    budgets.create_budget(AccountId=ACCOUNT_ID, Budget=BUDGET)
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id)


def test_executing_a_budget_action_attaches_and_reversing_detaches_its_scp(
        mocked_aws, freeze_setup):
    budgets, organizations = mocked_aws("budgets"), mocked_aws("organizations")
    action_id = _create_freeze_action(budgets, freeze_setup)

    def execute(execution_type: str) -> None:
        budgets.execute_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id,
                                      ExecutionType=execution_type)

    execute("APPROVE_BUDGET_ACTION")
    assert _status(budgets, action_id) == "EXECUTION_SUCCESS"
    assert "freeze" in _attached_scps(organizations, freeze_setup["member"])
    with pytest.raises(budgets.exceptions.InvalidParameterException):
        execute("APPROVE_BUDGET_ACTION")

    execute("REVERSE_BUDGET_ACTION")
    assert _status(budgets, action_id) == "REVERSE_SUCCESS"
    assert "freeze" not in _attached_scps(organizations, freeze_setup["member"])
    execute("RESET_BUDGET_ACTION")
    assert _status(budgets, action_id) == "STANDBY"


def test_budget_action_fails_when_budgets_cannot_assume_its_role(mocked_aws, freeze_setup):
    budgets, organizations = mocked_aws("budgets"), mocked_aws("organizations")
    iam = mocked_aws("iam")
    iam.update_assume_role_policy(RoleName="budget-action",
                                  PolicyDocument=_trust("ec2.amazonaws.com"))
    action_id = _create_freeze_action(budgets, freeze_setup)
    budgets.execute_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id,
                                  ExecutionType="APPROVE_BUDGET_ACTION")
    assert _status(budgets, action_id) == "EXECUTION_FAILURE"
    assert "freeze" not in _attached_scps(organizations, freeze_setup["member"])

    iam.update_assume_role_policy(RoleName="budget-action", PolicyDocument=BUDGETS_TRUST)
    budgets.execute_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id,
                                  ExecutionType="RETRY_BUDGET_ACTION")
    assert _status(budgets, action_id) == "EXECUTION_SUCCESS"
    assert "freeze" in _attached_scps(organizations, freeze_setup["member"])


SERVICE_MONITOR = {"MonitorName": "services", "MonitorType": "DIMENSIONAL",
                   "MonitorDimension": "SERVICE"}
IMPACT_OVER_10_USD = {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                                     "MatchOptions": ["GREATER_THAN_OR_EQUAL"], "Values": ["10"]}}


def test_anomaly_monitor_lifecycle_with_tags(mocked_aws):
    ce = mocked_aws("ce")
    arn = ce.create_anomaly_monitor(AnomalyMonitor=SERVICE_MONITOR, ResourceTags=[
        {"Key": "workspace", "Value": "management"}])["MonitorArn"]
    assert arn.startswith(f"arn:aws:ce::{ACCOUNT_ID}:anomalymonitor/")
    [monitor] = ce.get_anomaly_monitors(MonitorArnList=[arn], MaxResults=1)["AnomalyMonitors"]
    assert {k: monitor[k] for k in SERVICE_MONITOR} == SERVICE_MONITOR
    assert "MonitorSpecification" not in monitor
    ce.update_anomaly_monitor(MonitorArn=arn, MonitorName="per-service")
    assert ce.get_anomaly_monitors()["AnomalyMonitors"][0]["MonitorName"] == "per-service"
    ce.tag_resource(ResourceArn=arn, ResourceTags=[{"Key": "owner", "Value": "me"}])
    ce.untag_resource(ResourceArn=arn, ResourceTagKeys=["workspace"])
    assert ce.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [
        {"Key": "owner", "Value": "me"}]
    ce.delete_anomaly_monitor(MonitorArn=arn)
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.get_anomaly_monitors(MonitorArnList=[arn])
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.delete_anomaly_monitor(MonitorArn=arn)


def test_anomaly_subscription_lifecycle_and_validation(mocked_aws):
    ce = mocked_aws("ce")
    monitor = ce.create_anomaly_monitor(AnomalyMonitor=SERVICE_MONITOR)["MonitorArn"]
    email = [{"Address": "aws-root@example.com", "Type": "EMAIL"}]
    subscription = {"SubscriptionName": "spend", "MonitorArnList": [monitor],
                    "Subscribers": email, "Frequency": "DAILY",
                    "ThresholdExpression": IMPACT_OVER_10_USD}
    arn = ce.create_anomaly_subscription(AnomalySubscription=subscription, ResourceTags=[
        {"Key": "workspace", "Value": "management"}])["SubscriptionArn"]
    [found] = ce.get_anomaly_subscriptions(SubscriptionArnList=[arn])["AnomalySubscriptions"]
    assert {k: found[k] for k in subscription} == subscription
    assert found["AccountId"] == ACCOUNT_ID
    assert ce.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "management"}]
    assert [s["SubscriptionArn"] for s in ce.get_anomaly_subscriptions(
        MonitorArn=monitor)["AnomalySubscriptions"]] == [arn]

    ce.update_anomaly_subscription(SubscriptionArn=arn, Frequency="WEEKLY")
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"][0]["Frequency"] == "WEEKLY"
    with pytest.raises(ce.exceptions.ClientError, match="SNS"):
        ce.update_anomaly_subscription(SubscriptionArn=arn, Frequency="IMMEDIATE")
    without_threshold = {k: v for k, v in subscription.items() if k != "ThresholdExpression"}
    with pytest.raises(ce.exceptions.ClientError, match="ThresholdExpression"):
        ce.create_anomaly_subscription(AnomalySubscription=without_threshold)
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.create_anomaly_subscription(AnomalySubscription={
            **subscription, "MonitorArnList": [monitor.replace(monitor[-4:], "0000")]})

    ce.delete_anomaly_subscription(SubscriptionArn=arn)
    with pytest.raises(ce.exceptions.UnknownSubscriptionException):
        ce.get_anomaly_subscriptions(SubscriptionArnList=[arn])
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"] == []


@pytest.mark.parametrize(("service", "operation", "arguments"), [
    ("sts", "DecodeAuthorizationMessage", {"EncodedMessage": "x"}),  # query protocol
    ("ec2", "DescribeCapacityBlockOfferings", {"CapacityDurationHours": 24}),  # ec2
    ("budgets", "DescribeBudgetPerformanceHistory",  # json
     {"AccountId": "123456789012", "BudgetName": "dev"}),
    ("lambda", "GetAccountSettings", {}),  # rest-json, a path moto has no route for
    ("route53", "GetCheckerIpRanges", {}),  # rest-xml, likewise
])
def test_unimplemented_action_fails_at_once(emulator, monkeypatch, service, operation, arguments):
    """Over TLS against the real server, with botocore's default retry configuration."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    client = aws.session(emulator).client(service, endpoint_url=emulator.emulator.endpoint_url,
                                          verify=str(CA_BUNDLE))
    method = getattr(client, xform_name(operation))
    started = time.monotonic()
    with pytest.raises(ClientError) as raised:
        method(**arguments)
    seconds = time.monotonic() - started
    error, metadata = raised.value.response["Error"], raised.value.response["ResponseMetadata"]
    assert (metadata["HTTPStatusCode"], error["Code"], metadata["RetryAttempts"]) == \
        (501, "NotImplemented", 0)
    assert error["Message"].startswith(f"{service}:{operation} is not implemented by the local AWS")
    assert seconds < 10


def test_a_path_that_is_no_operation_stays_not_found(emulator):
    request = urllib.request.Request(
        f"{emulator.emulator.endpoint_url}/2015-03-31/no-such-path", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/"
                             "aws4_request, SignedHeaders=host, Signature=0"})
    context = ssl.create_default_context(cafile=str(CA_BUNDLE))
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10, context=context)
    assert raised.value.code == 404


def test_describe_snapshots_by_owner(mocked_aws):
    ec2 = mocked_aws("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    own = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]

    def listed(**owners) -> set[str]:
        return {s["SnapshotId"] for s in ec2.describe_snapshots(**owners)["Snapshots"]}

    assert listed(OwnerIds=["self"]) == listed(OwnerIds=["123456789012"]) == {own}
    amazons = listed(OwnerIds=["amazon"])
    assert amazons and own not in amazons  # the snapshots behind moto's public AMIs
    assert listed() == amazons | {own}


def test_main_route_table_is_kept(mocked_aws):
    ec2 = mocked_aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    main = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"][0]["RouteTableId"]
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ec2.exceptions.ClientError, match="DependencyViolation"):
        ec2.delete_route_table(RouteTableId=main)
    ec2.delete_route_table(RouteTableId=other)
    ec2.delete_vpc(VpcId=vpc)  # the main route table goes with its VPC
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []


def test_iam_lists_say_if_truncated(mocked_aws):
    iam = mocked_aws("iam")
    iam.create_user(UserName="learner")
    iam.create_instance_profile(InstanceProfileName="web")
    answers = [iam.list_instance_profiles(), iam.list_instance_profiles_for_role(RoleName="web"),
               iam.list_access_keys(UserName="learner"), iam.list_groups()]
    assert [answer["IsTruncated"] for answer in answers] == [False] * 4


@pytest.mark.parametrize(("region", "domain"), [("us-east-1", "ec2.internal"),
                                                ("us-west-2", "us-west-2.compute.internal")])
def test_default_vpc_as_on_aws(mocked_aws, region, domain):
    ec2 = mocked_aws("ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    options = ec2.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"][0]
    assert {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]} \
        == {"domain-name-servers": ["AmazonProvidedDNS"], "domain-name": [domain]}
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    assert len(gateways) == 1
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                                              {"Name": "association.main", "Values": ["true"]}])
    routes = main["RouteTables"][0]["Routes"]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateways[0]["InternetGatewayId"]} \
        in [{k: r[k] for k in ("DestinationCidrBlock", "GatewayId")} for r in routes]


def test_primary_network_interface_goes_with_instance(mocked_aws):
    ec2 = mocked_aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    [interface] = instance["NetworkInterfaces"]
    assert interface["Attachment"]["DeleteOnTermination"] is True
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    remaining = ec2.describe_network_interfaces(Filters=[
        {"Name": "network-interface-id", "Values": [interface["NetworkInterfaceId"]]}])
    assert remaining["NetworkInterfaces"] == []


def test_last_page_has_no_token(mocked_aws):
    ssm = mocked_aws("ssm")
    ssm.create_document(Name="learner-runbook", DocumentType="Command", Content=json.dumps(
        {"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "hi",
                                                "inputs": {"runCommand": ["echo hi"]}}]}))
    page = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}], MaxResults=50)
    assert [d["Name"] for d in page["DocumentIdentifiers"]] == ["learner-runbook"]
    assert "NextToken" not in page


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
    organizations = mocked_aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="dev@example.com")[
        "CreateAccountStatus"]["AccountId"]
    credentials = mocked_aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="test")["Credentials"]
    session = aws.new_session(aws_access_key_id=credentials["AccessKeyId"],
                              aws_secret_access_key=credentials["SecretAccessKey"],
                              aws_session_token=credentials["SessionToken"],
                              region_name="us-east-1")
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
        ServicePrincipal=extensions.ACCOUNT_SERVICE_PRINCIPAL)
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
        extensions.DEFAULT_EVENT_SELECTORS
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
    extensions.install()
    assert len(member_session.client("cloudtrail", region_name="us-east-1")
               .describe_trails()["trailList"]) == 1


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
