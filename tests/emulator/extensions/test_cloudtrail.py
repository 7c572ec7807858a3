"""CloudTrail as member accounts see it (scripts/emulator/extensions/cloudtrail.py)."""

from __future__ import annotations

import pytest

from scripts.emulator.extensions.cloudtrail import DEFAULT_EVENT_SELECTORS


def test_member_accounts_see_the_organization_trail(
    mocked_aws, organization_with_member, organization_trail
):
    _, member_session = organization_with_member
    arn = organization_trail()
    mocked_aws("cloudtrail").start_logging(Name="org-trail")
    for region in ("us-east-1", "eu-west-1"):  # a multi-region trail shows in every region
        cloudtrail = member_session.client("cloudtrail", region_name=region)
        [trail] = cloudtrail.describe_trails()["trailList"]
        assert (trail["TrailARN"], trail["IsOrganizationTrail"]) == (arn, True)
        assert cloudtrail.describe_trails(includeShadowTrails=False)["trailList"] == []
    cloudtrail = member_session.client("cloudtrail", region_name="us-east-1")
    assert cloudtrail.get_trail_status(Name=arn)["IsLogging"] is True
    assert (
        cloudtrail.get_event_selectors(TrailName=arn)["EventSelectors"] == DEFAULT_EVENT_SELECTORS
    )
    with pytest.raises(cloudtrail.exceptions.TrailNotFoundException):
        cloudtrail.get_event_selectors(TrailName="arn:aws:cloudtrail:us-east-1:1:trail/other")


def test_trail_selectors_default_to_all_management_events_until_set(mocked_aws, organization_trail):
    cloudtrail = mocked_aws("cloudtrail")
    organization_trail("trail")
    assert cloudtrail.get_event_selectors(TrailName="trail")["EventSelectors"] == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ExcludeManagementEventSources": [],
        }
    ]
    write_only = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    cloudtrail.put_event_selectors(TrailName="trail", EventSelectors=write_only)
    assert [
        s["ReadWriteType"]
        for s in cloudtrail.get_event_selectors(TrailName="trail")["EventSelectors"]
    ] == ["WriteOnly"]


def test_describe_trails_answers_for_the_trails_named(mocked_aws):
    s3, cloudtrail = mocked_aws("s3"), mocked_aws("cloudtrail")
    s3.create_bucket(Bucket="trail-logs")
    arns = {
        name: cloudtrail.create_trail(Name=name, S3BucketName="trail-logs")["TrailARN"]
        for name in ("organization-trail", "management-events")
    }
    by_arn = cloudtrail.describe_trails(trailNameList=[arns["organization-trail"]])["trailList"]
    assert [trail["Name"] for trail in by_arn] == ["organization-trail"]
    by_name = cloudtrail.describe_trails(trailNameList=["management-events"])["trailList"]
    assert [trail["TrailARN"] for trail in by_name] == [arns["management-events"]]
    assert cloudtrail.describe_trails(trailNameList=["no-such-trail"])["trailList"] == []
    assert {trail["Name"] for trail in cloudtrail.describe_trails()["trailList"]} == set(arns)
