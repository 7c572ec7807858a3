"""Cost Explorer: anomaly monitors and subscriptions."""

from __future__ import annotations

import json
from datetime import date

from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random

from scripts.emulator.extensions.registry import extension, one_page


def stored(response, kind: str) -> dict[str, dict]:
    """ARN -> monitor or subscription, on moto's backend so that they reset with it."""
    return response.ce_backend.__dict__.setdefault(kind, {})


def existing(response, kind: str, arns: list[str] | None) -> list[dict]:
    """The monitors or subscriptions named (all of them when none is)."""
    found = stored(response, kind)
    unknown = [arn for arn in arns or () if arn not in found]
    if unknown:
        name = "Monitor" if kind == "anomalymonitor" else "Subscription"
        raise JsonRESTError(
            f"Unknown{name}Exception", f"No anomaly {name.lower()} found for ARN {unknown[0]}"
        )
    return [found[arn] for arn in arns] if arns else list(found.values())


def create(response, kind: str, item: dict) -> str:
    arn = f"arn:{response.partition}:ce::{response.current_account}:{kind}/{mock_random.uuid4()}"
    stored(response, kind)[arn] = item
    response.ce_backend.tag_resource(arn, json.loads(response.body).get("ResourceTags") or [])
    return arn


def delete(response, kind: str, arn: str) -> str:
    existing(response, kind, [arn])
    stored(response, kind).pop(arn)
    response.ce_backend.tagger.delete_all_tags_for_resource(arn)
    return "{}"


def listing(response, key: str, items: list[dict]) -> str:
    params = json.loads(response.body)
    page, token = one_page(items, params.get("MaxResults"), params.get("NextPageToken"))
    return json.dumps({key: page, **({"NextPageToken": token} if token else {})})


def check_subscription(response, subscription: dict) -> None:
    existing(response, "anomalymonitor", subscription["MonitorArnList"])
    if subscription.get("Threshold") is None and subscription.get("ThresholdExpression") is None:
        raise JsonRESTError(
            "ValidationException", "Threshold and ThresholdExpression cannot both be null"
        )
    if subscription["Frequency"] == "IMMEDIATE" and any(
        s["Type"] != "SNS" for s in subscription["Subscribers"]
    ):
        raise JsonRESTError(
            "ValidationException",
            "IMMEDIATE alerts are sent to SNS topics only; use DAILY or "
            "WEEKLY for e-mail subscribers",
        )


def check_one_dimensional_monitor(response, monitor: dict) -> None:
    """An account has at most one AWS managed (DIMENSIONAL) monitor per dimension: AWS refuses a
    second one whatever its name."""
    if monitor["MonitorType"] == "DIMENSIONAL" and any(
        other["MonitorType"] == "DIMENSIONAL"
        and other.get("MonitorDimension") == monitor.get("MonitorDimension")
        for other in stored(response, "anomalymonitor").values()
    ):
        raise JsonRESTError(
            "ValidationException", "Limit exceeded on dimensional spend monitor creation"
        )


def create_anomaly_monitor(response) -> str:
    today = date.today().isoformat()
    monitor = {
        key: value
        for key, value in json.loads(response.body)["AnomalyMonitor"].items()
        if key in ("MonitorName", "MonitorType", "MonitorDimension", "MonitorSpecification")
    }
    check_one_dimensional_monitor(response, monitor)
    monitor.update(CreationDate=today, LastUpdatedDate=today, DimensionalValueCount=0)
    monitor["MonitorArn"] = create(response, "anomalymonitor", monitor)
    return json.dumps({"MonitorArn": monitor["MonitorArn"]})


def get_anomaly_monitors(response) -> str:
    arns = json.loads(response.body).get("MonitorArnList")
    return listing(response, "AnomalyMonitors", existing(response, "anomalymonitor", arns))


def update_anomaly_monitor(response) -> str:
    params = json.loads(response.body)
    [monitor] = existing(response, "anomalymonitor", [params["MonitorArn"]])
    if params.get("MonitorName"):
        monitor.update(MonitorName=params["MonitorName"], LastUpdatedDate=date.today().isoformat())
    return json.dumps({"MonitorArn": monitor["MonitorArn"]})


def delete_anomaly_monitor(response) -> str:
    return delete(response, "anomalymonitor", json.loads(response.body)["MonitorArn"])


def create_anomaly_subscription(response) -> str:
    subscription = {
        key: value
        for key, value in json.loads(response.body)["AnomalySubscription"].items()
        if key != "SubscriptionArn"
    }
    subscription.setdefault("AccountId", response.current_account)
    check_subscription(response, subscription)
    subscription["SubscriptionArn"] = create(response, "anomalysubscription", subscription)
    return json.dumps({"SubscriptionArn": subscription["SubscriptionArn"]})


def get_anomaly_subscriptions(response) -> str:
    params = json.loads(response.body)
    subscriptions = existing(response, "anomalysubscription", params.get("SubscriptionArnList"))
    monitor = params.get("MonitorArn")
    return listing(
        response,
        "AnomalySubscriptions",
        [s for s in subscriptions if monitor is None or monitor in s["MonitorArnList"]],
    )


def update_anomaly_subscription(response) -> str:
    params = json.loads(response.body)
    [subscription] = existing(response, "anomalysubscription", [params["SubscriptionArn"]])
    changed = {
        key: value
        for key, value in params.items()
        if key != "SubscriptionArn" and value is not None
    }
    check_subscription(response, {**subscription, **changed})
    subscription.update(changed)
    return json.dumps({"SubscriptionArn": subscription["SubscriptionArn"]})


def delete_anomaly_subscription(response) -> str:
    return delete(response, "anomalysubscription", json.loads(response.body)["SubscriptionArn"])


@extension
def cost_anomaly_detection() -> None:
    """Cost Explorer anomaly monitors and subscriptions (Create/Get/Update/Delete), which moto
    lacks, tagged through moto's own Cost Explorer tagging. Like AWS, a subscription needs
    existing monitors and a threshold, and IMMEDIATE alerts go to SNS topics only. Nothing is
    ever detected."""
    for handler in (
        create_anomaly_monitor,
        get_anomaly_monitors,
        update_anomaly_monitor,
        delete_anomaly_monitor,
        create_anomaly_subscription,
        get_anomaly_subscriptions,
        update_anomaly_subscription,
        delete_anomaly_subscription,
    ):
        setattr(CostExplorerResponse, handler.__name__, handler)
