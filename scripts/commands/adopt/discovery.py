"""Discovery, read-only: every resource of the synthesized management stack, each after those it
refers to, decided by its type's discoverer (discoverers/)."""

from __future__ import annotations

import json
import re

from foundation.model import Config
from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import loaded
from scripts.commands.adopt.findings import CREATE, MANAGED, Adoption, Finding
from scripts.guard.management import require_pinned_management_account

# The first copy of management events is free; each further copy is charged per event.
EXTRA_COPY_USD_PER_100K_EVENTS = 2.00
_REFERENCED = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.")


def _in_dependency_order(stack: dict) -> list[str]:
    """Every resource address, each after the resources it refers to."""
    ordered: list[str] = []

    def visit(address: str, seen: set[str]) -> None:
        if address in ordered or address in seen:
            return
        resource_type, key = address.split(".", 1)
        body = stack["resource"][resource_type][key]
        text = json.dumps({k: v for k, v in body.items() if k != "//"})
        for reference in [
            *_REFERENCED.findall(text),
            *(tuple(d.split(".", 1)) for d in body.get("depends_on", [])),
        ]:
            if reference[0] in stack["resource"]:
                visit(".".join(reference[:2]), seen | {address})
        ordered.append(address)

    for resource_type, resources in stack["resource"].items():
        for key in resources:
            visit(f"{resource_type}.{key}", set())
    return ordered


def discover(config: Config, stack: dict) -> Adoption:
    """Decide, read-only, what the first apply of `stack` (the management stack) imports."""
    caller = aws.account_id(config)
    require_pinned_management_account(config, caller)
    d = Discovery(config, stack, caller)
    adoption = Adoption()
    discoverers = loaded()
    for address in _in_dependency_order(stack):
        resource_type = address.split(".")[0]
        d.region = d.region_of(d.body(address))
        if address in d.managed:
            finding = Finding(address, resource_type, MANAGED, why="in the management state")
        elif resource_type in discoverers:
            finding = discoverers[resource_type](d, address, d.body(address))
        else:
            finding = Finding(
                address, resource_type, CREATE, why="adopt does not look for this kind of resource"
            )
        d.decided[address] = finding
        adoption.findings.append(finding)
    d.region = config.region
    adoption.notices += _state_bucket(d) + _other_trails(d)
    return adoption


def _state_bucket(d: Discovery) -> list[str]:
    """The state bucket is bootstrap's to create or take over, never an import."""
    bucket = d.config.state_bucket
    status = aws.bucket_status(d.client("s3"), bucket)
    if status == "missing":
        return [
            f"The state bucket {bucket} does not exist yet: `make bootstrap "
            f"ENV={d.config.env_name}` creates it (bootstrap, not an import, takes care of "
            "the state bucket)."
        ]
    if status == "foreign":
        return [
            f"The state bucket {bucket} exists but not in account {d.caller}: choose "
            f"another state.bucket in {d.config.source.name}."
        ]
    return []


def _other_trails(d: Discovery) -> list[str]:
    """Each trail beside ours: what it costs once the organization trail runs, and how to remove
    it then. Never deleted here."""
    notices = []
    ours = d.our_trail_arn()
    for trail in d.trails:
        if trail["TrailARN"] == ours:
            continue
        scope = "every account's" if trail.get("IsOrganizationTrail") else f"account {d.caller}'s"
        home = trail.get("HomeRegion", d.config.region)
        notices.append(
            f"Trail '{trail['Name']}' ({trail['TrailARN']}) records {scope} management events a "
            f"second time beside the organization trail '{d.config.trail.name}'. The first copy "
            f"is free; this one costs USD {EXTRA_COPY_USD_PER_100K_EVENTS:.2f} per 100,000 "
            "events (e.g. USD 20 a month for a million; data or Insights events, if it records "
            "any, are charged on top). It is left alone. Once the organization trail is logging "
            f"(`aws cloudtrail get-trail-status --name {ours} --region {d.config.region} "
            "--query IsLogging` prints true), remove it: "
            f"`aws cloudtrail delete-trail --name {trail['TrailARN']} --region {home}` "
            f"(its bucket {trail.get('S3BucketName', '?')} and the logs in it stay)."
        )
    return notices
