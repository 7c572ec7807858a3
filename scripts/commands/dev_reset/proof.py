"""What a dev reset may claim: what its dry runs covered (regions, resource types, what could not
be listed), and a second witness that does not rely on aws-nuke's own list of resource types:
the services the account's users and roles used (IAM's service last accessed data) that the
installed aws-nuke has no resource type for, named so that a person checks them by hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import boto3

from foundation.model import Config
from scripts import aws
from scripts.commands.dev_reset import nuke_config
from scripts.commands.dev_reset.output import Run

# Services whose use leaves nothing to delete (sessions, reads of the account or the bill).
NOTHING_TO_DELETE = frozenset(
    {
        "account",
        "ce",
        "health",
        "organizations",
        "pricing",
        "signin",
        "sts",
        "support",
        "tag",
        "trustedadvisor",
    }
)
# The start of aws-nuke's resource type names for an IAM namespace where it is not the namespace
# itself without hyphens (EC2…, S3…, SQS…, CloudFormation…, SageMaker… are).
TYPE_PREFIXES = {
    "cognito-idp": "cognito",
    "elasticfilesystem": "efs",
    "elasticloadbalancing": "elb",
    "events": "cloudwatchevents",
    "execute-api": "apigateway",
    "kafka": "msk",
    "logs": "cloudwatchlogs",
    "states": "sfn",
}
AWS_ROLE_PATH = "/aws-service-role/"
JOB_SECONDS = 60
PAGE = 100  # services a page of a report, IAM's default


@dataclass(frozen=True)
class Used:
    """A service someone in the account used: when last, by which user or role."""

    namespace: str
    last: datetime
    entity: str


def services_used(config: Config, member: boto3.Session, since: datetime | None) -> list[Used]:
    """Every service a user or role of the account (service-linked roles aside: AWS acts
    through them) used since `since`, from IAM's service last accessed reports (asked for all
    at once, then read as they complete)."""
    iam = aws.client(config, "iam", member)
    entities = [
        role["Arn"]
        for page in iam.get_paginator("list_roles").paginate()
        for role in page["Roles"]
        if not role["Path"].startswith(AWS_ROLE_PATH)
    ] + [
        user["Arn"] for page in iam.get_paginator("list_users").paginate() for user in page["Users"]
    ]
    jobs = {arn: iam.generate_service_last_accessed_details(Arn=arn)["JobId"] for arn in entities}
    latest: dict[str, Used] = {}
    for arn, job in jobs.items():
        for service in _report(iam, job):
            when = service.get("LastAuthenticated")
            if when is None or (since and when <= since):
                continue
            namespace = service["ServiceNamespace"]
            if namespace not in latest or latest[namespace].last < when:
                latest[namespace] = Used(namespace, when, arn)
    return sorted(latest.values(), key=lambda used: used.namespace)


def _report(iam, job: str) -> list[dict]:
    """Every service of a completed report, page by page (an administrator's lists some 400,
    each allowed service, used or not); none when the job failed or took too long."""
    deadline = time.monotonic() + JOB_SECONDS
    report = iam.get_service_last_accessed_details(JobId=job, MaxItems=PAGE)
    while report["JobStatus"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(1)
        report = iam.get_service_last_accessed_details(JobId=job, MaxItems=PAGE)
    if report["JobStatus"] != "COMPLETED":
        return []
    services = list(report["ServicesLastAccessed"])
    while report.get("IsTruncated"):
        report = iam.get_service_last_accessed_details(
            JobId=job, MaxItems=PAGE, Marker=report["Marker"]
        )
        services += report["ServicesLastAccessed"]
    return services


def uncovered(used: list[Used], resource_types: list[str]) -> list[Used]:
    """The services used that no resource type of aws-nuke belongs to."""
    names = [t.lower() for t in resource_types]

    def covered(namespace: str) -> bool:
        prefix = TYPE_PREFIXES.get(namespace, namespace.replace("-", ""))
        return any(name.startswith(prefix) for name in names)

    return [u for u in used if u.namespace not in NOTHING_TO_DELETE and not covered(u.namespace)]


@dataclass(frozen=True)
class Coverage:
    """What a dry run looked at: the regions, how many resource types in each, and what it could
    not list."""

    regions: tuple[str, ...]
    types_per_region: dict[str, int]
    known_types: int
    failures: dict[str, str]

    def regions_line(self) -> str:
        counts = sorted(set(self.types_per_region.values()))
        if counts == [self.known_types]:
            types = f"each of the {self.known_types} resource types aws-nuke knows, where its "
            types += "service exists"
        else:
            each = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
            types = f"{each} of the {self.known_types} resource types aws-nuke knows in each"
        named = ", ".join(self.regions)
        return f"{len(self.regions)} regions and the global services ({named}); {types}"

    def failures_line(self) -> str:
        return "; ".join(f"{kind} ({why})" for kind, why in sorted(self.failures.items()))


def coverage(config: Config, scanned: list[str], resource_types: list[str], run: Run) -> Coverage:
    """What the dry run `run` covered of `scanned` (nuke_config.regions)."""
    regions = tuple(r for r in scanned if r != nuke_config.GLOBAL_REGION)
    failures: dict[str, set[str]] = {}
    for resource_type, region, code in run.listing_failures:
        failures.setdefault(resource_type, set()).add(f"{code} in {region}" if region else code)
    return Coverage(
        regions,
        {r: len(nuke_config.scanned_types(config, r, resource_types)) for r in regions},
        len(resource_types),
        {kind: ", ".join(sorted(why)) for kind, why in failures.items()},
    )
