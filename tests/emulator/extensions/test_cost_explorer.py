"""Cost Explorer's anomaly detection (scripts/emulator/extensions/cost_explorer.py)."""

from __future__ import annotations

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

SERVICE_MONITOR = {
    "MonitorName": "services",
    "MonitorType": "DIMENSIONAL",
    "MonitorDimension": "SERVICE",
}
IMPACT_OVER_10_USD = {
    "Dimensions": {
        "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
        "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
        "Values": ["10"],
    }
}


def test_anomaly_monitor_lifecycle_with_tags(mocked_aws):
    ce = mocked_aws("ce")
    arn = ce.create_anomaly_monitor(
        AnomalyMonitor=SERVICE_MONITOR, ResourceTags=[{"Key": "workspace", "Value": "management"}]
    )["MonitorArn"]
    assert arn.startswith(f"arn:aws:ce::{DEFAULT_ACCOUNT_ID}:anomalymonitor/")
    [monitor] = ce.get_anomaly_monitors(MonitorArnList=[arn], MaxResults=1)["AnomalyMonitors"]
    assert {k: monitor[k] for k in SERVICE_MONITOR} == SERVICE_MONITOR
    assert "MonitorSpecification" not in monitor
    ce.update_anomaly_monitor(MonitorArn=arn, MonitorName="per-service")
    assert ce.get_anomaly_monitors()["AnomalyMonitors"][0]["MonitorName"] == "per-service"
    ce.tag_resource(ResourceArn=arn, ResourceTags=[{"Key": "owner", "Value": "me"}])
    ce.untag_resource(ResourceArn=arn, ResourceTagKeys=["workspace"])
    assert ce.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [
        {"Key": "owner", "Value": "me"}
    ]
    ce.delete_anomaly_monitor(MonitorArn=arn)
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.get_anomaly_monitors(MonitorArnList=[arn])
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.delete_anomaly_monitor(MonitorArn=arn)


def test_anomaly_subscription_lifecycle_and_validation(mocked_aws):
    ce = mocked_aws("ce")
    monitor = ce.create_anomaly_monitor(AnomalyMonitor=SERVICE_MONITOR)["MonitorArn"]
    email = [{"Address": "aws-root@example.com", "Type": "EMAIL"}]
    subscription = {
        "SubscriptionName": "spend",
        "MonitorArnList": [monitor],
        "Subscribers": email,
        "Frequency": "DAILY",
        "ThresholdExpression": IMPACT_OVER_10_USD,
    }
    arn = ce.create_anomaly_subscription(
        AnomalySubscription=subscription, ResourceTags=[{"Key": "workspace", "Value": "management"}]
    )["SubscriptionArn"]
    [found] = ce.get_anomaly_subscriptions(SubscriptionArnList=[arn])["AnomalySubscriptions"]
    assert {k: found[k] for k in subscription} == subscription
    assert found["AccountId"] == DEFAULT_ACCOUNT_ID
    assert ce.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "management"}
    ]
    assert [
        s["SubscriptionArn"]
        for s in ce.get_anomaly_subscriptions(MonitorArn=monitor)["AnomalySubscriptions"]
    ] == [arn]

    ce.update_anomaly_subscription(SubscriptionArn=arn, Frequency="WEEKLY")
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"][0]["Frequency"] == "WEEKLY"
    with pytest.raises(ce.exceptions.ClientError, match="SNS"):
        ce.update_anomaly_subscription(SubscriptionArn=arn, Frequency="IMMEDIATE")
    without_threshold = {k: v for k, v in subscription.items() if k != "ThresholdExpression"}
    with pytest.raises(ce.exceptions.ClientError, match="ThresholdExpression"):
        ce.create_anomaly_subscription(AnomalySubscription=without_threshold)
    with pytest.raises(ce.exceptions.UnknownMonitorException):
        ce.create_anomaly_subscription(
            AnomalySubscription={
                **subscription,
                "MonitorArnList": [monitor.replace(monitor[-4:], "0000")],
            }
        )

    ce.delete_anomaly_subscription(SubscriptionArn=arn)
    with pytest.raises(ce.exceptions.UnknownSubscriptionException):
        ce.get_anomaly_subscriptions(SubscriptionArnList=[arn])
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"] == []


def test_an_account_has_one_dimensional_monitor_per_dimension(mocked_aws):
    """AWS refuses a second AWS managed (DIMENSIONAL) monitor of a dimension whatever its name:
    ValidationException "Limit exceeded on dimensional spend monitor creation" (monitor types:
    https://docs.aws.amazon.com/cost-management/latest/userguide/getting-started-ad.html#monitor-type-def).
    A custom monitor is not limited so."""
    ce = mocked_aws("ce")
    ce.create_anomaly_monitor(AnomalyMonitor=SERVICE_MONITOR)
    with pytest.raises(ce.exceptions.ClientError, match="Limit exceeded on dimensional spend"):
        ce.create_anomaly_monitor(AnomalyMonitor={**SERVICE_MONITOR, "MonitorName": "another"})
    custom = {
        "MonitorName": "dev",
        "MonitorType": "CUSTOM",
        "MonitorSpecification": {
            "Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["123456789012"]}
        },
    }
    ce.create_anomaly_monitor(AnomalyMonitor=custom)
    ce.create_anomaly_monitor(AnomalyMonitor={**custom, "MonitorName": "dev-again"})
    assert len(ce.get_anomaly_monitors()["AnomalyMonitors"]) == 3
