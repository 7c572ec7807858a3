"""What a dev reset reads of the member account before it writes aws-nuke's config: the regions
enabled in it, each one's default VPC, and what the member workspace's state holds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3

from foundation.model import Config
from scripts import aws, workspaces
from scripts.commands.dev_reset import nuke_config
from scripts.workspaces import managed_resources

# Regions are read at once: a dozen and a half of them, four calls each.
READERS = 8


def enabled_regions(config: Config, member: boto3.Session) -> list[str]:
    """Every region enabled for the account (EC2 DescribeRegions without AllRegions): the default
    ones and the opt-in ones it enabled."""
    regions = aws.client(config, "ec2", member).describe_regions()["Regions"]
    return sorted(region["RegionName"] for region in regions)


def managed(config: Config, account_name: str) -> nuke_config.Managed:
    """The roles and buckets the target's own workspace holds, from its state."""
    resources = managed_resources(workspaces.read_state(config, account_name))
    names = {
        kind: tuple(
            sorted(
                attributes[key] for r in resources if r.type == kind for attributes in r.instances
            )
        )
        for kind, key in (("aws_iam_role", "name"), ("aws_s3_bucket", "bucket"))
    }
    return nuke_config.Managed(account_name, names["aws_iam_role"], names["aws_s3_bucket"])


def default_vpcs(
    config: Config, member: boto3.Session, scanned: list[str]
) -> list[nuke_config.DefaultVpc]:
    """Each scanned region's default VPC, with the pieces aws-nuke names only by id."""
    # Clients are made here, one thread at a time (a session is not thread-safe; clients are).
    clients = [
        aws.client(config, "ec2", member, region=region)
        for region in scanned
        if region != nuke_config.GLOBAL_REGION
    ]
    with ThreadPoolExecutor(READERS) as pool:
        found = pool.map(_default_vpcs_of_region, clients)
    return [vpc for region in found for vpc in region]


def _default_vpcs_of_region(ec2) -> list[nuke_config.DefaultVpc]:
    found = []
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
        by_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        gateways = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}]
        )["InternetGateways"]
        tables = ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]
        dhcp = vpc.get("DhcpOptionsId")
        found.append(
            nuke_config.DefaultVpc(
                vpc["VpcId"],
                tuple(g["InternetGatewayId"] for g in gateways),
                tuple(t["RouteTableId"] for t in tables),
                dhcp if dhcp and dhcp != "default" else None,
            )
        )
    return found
