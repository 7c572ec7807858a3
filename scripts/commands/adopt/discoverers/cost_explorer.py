"""Cost Explorer: the anomaly monitor and its subscription."""

from __future__ import annotations

from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CREATE, IMPORT, Finding


def _monitor(d: Discovery, address: str, body: dict) -> Finding:
    """An account has one DIMENSIONAL monitor per dimension, whatever its name: such a monitor is
    ours to take over (a second one would be refused); any other monitor by its name."""
    name = body["name"]
    what = f"cost anomaly monitor {name}"
    pages = d.client("ce").get_paginator("get_anomaly_monitors").paginate()
    monitors = [monitor for page in pages for monitor in page["AnomalyMonitors"]]
    dimensional = body["monitor_type"] == "DIMENSIONAL"
    found = next(
        (
            m
            for m in monitors
            if (
                m["MonitorType"] == "DIMENSIONAL"
                and m.get("MonitorDimension") == body.get("monitor_dimension")
                if dimensional
                else m["MonitorName"] == name
            )
        ),
        None,
    )
    if found is None:
        return Finding(address, what, CREATE)
    renamed = "" if found["MonitorName"] == name else f"renamed from {found['MonitorName']}"
    return Finding(address, what, IMPORT, found["MonitorArn"], why=renamed)


def _subscription(d: Discovery, address: str, body: dict) -> Finding:
    """A subscription of our monitor, by its name."""
    name = body["name"]
    what = f"cost anomaly subscription {name}"
    monitors = [d.value(arn) for arn in body["monitor_arn_list"]]
    if not all(monitors):
        return Finding(address, what, CREATE)
    pages = (
        d.client("ce").get_paginator("get_anomaly_subscriptions").paginate(MonitorArn=monitors[0])
    )
    found = next(
        (
            s
            for page in pages
            for s in page["AnomalySubscriptions"]
            if s["SubscriptionName"] == name
        ),
        None,
    )
    return (
        Finding(
            address,
            what,
            IMPORT,
            found["SubscriptionArn"],
            why="its subscribers and threshold are replaced by ours",
        )
        if found
        else Finding(address, what, CREATE)
    )


discovers("aws_ce_anomaly_monitor")(_monitor)
discovers("aws_ce_anomaly_subscription")(_subscription)
