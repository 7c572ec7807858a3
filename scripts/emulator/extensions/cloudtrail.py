"""CloudTrail: organization trails as member accounts see them, trails by name."""

from __future__ import annotations

import json

from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.models import CloudTrailBackend, Trail, cloudtrail_backends
from moto.organizations.models import organizations_backends

from scripts.emulator.extensions.registry import extension, wrap

# What CloudTrail reports for a trail nobody set event selectors on: every management event.
DEFAULT_EVENT_SELECTORS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]


def organization_trails(backend) -> list:
    membership = organizations_backends.master_accounts.get(backend.account_id)
    if membership is None:
        return []
    management_id, _ = membership
    return [
        trail
        for regional in cloudtrail_backends[management_id].values()
        for trail in regional.trails.values()
        if trail.is_org_trail
        and (trail.is_multi_region or trail.region_name == backend.region_name)
    ]


def with_organization_trails(describe_trails):
    def describe_with_organization_trails(backend, include_shadow_trails: bool):
        own = list(describe_trails(backend, include_shadow_trails))
        return own + organization_trails(backend) if include_shadow_trails else own

    return describe_with_organization_trails


def own_or_organization_trail(get_trail):
    def get_own_or_organization_trail(backend, name_or_arn: str):
        try:
            return get_trail(backend, name_or_arn)
        except TrailNotFoundException:
            for trail in organization_trails(backend):
                if trail.arn == name_or_arn:
                    return trail
            raise

    return get_own_or_organization_trail


def or_default(get_event_selectors):
    def selectors_or_default(trail):
        event_selectors, advanced = get_event_selectors(trail)
        if not event_selectors and not advanced:
            return [dict(selector) for selector in DEFAULT_EVENT_SELECTORS], []
        return event_selectors, advanced

    return selectors_or_default


@extension
def organization_trail_in_member_accounts() -> None:
    """CloudTrail as member accounts see an organization trail, and default event selectors.

    In a member account, DescribeTrails (with shadow trails, the default) lists the management
    account's organization trails, and GetTrail, GetTrailStatus and GetEventSelectors answer for
    them by ARN; GetEventSelectors of a trail without selectors returns the default "all
    management events" selector. moto shows a trail only in its own account and returns no
    selector."""
    wrap(CloudTrailBackend, "describe_trails", with_organization_trails)
    wrap(CloudTrailBackend, "get_trail", own_or_organization_trail)
    wrap(Trail, "get_event_selectors", or_default)


@extension
def cloudtrail_describe_trails_by_name() -> None:
    """CloudTrail DescribeTrails answers only for the trails in `trailNameList` (names or ARNs),
    as AWS does; moto answered with every trail, so the provider found two where it asked for one
    whenever the account had a trail besides the organization trail."""
    from moto.cloudtrail.responses import CloudTrailResponse

    def by_name(describe_all):
        def describe_trails(response) -> str:
            wanted = response._get_param("trailNameList") or []
            answer = describe_all(response)
            if not wanted:
                return answer
            trails = json.loads(answer)["trailList"]
            return json.dumps(
                {
                    "trailList": [
                        trail
                        for trail in trails
                        if trail["Name"] in wanted or trail["TrailARN"] in wanted
                    ]
                }
            )

        return describe_trails

    wrap(CloudTrailResponse, "describe_trails", by_name)
