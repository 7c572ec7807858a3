"""The dev account as the reset tests see it: the regions they seed, the member role's sessions
(named as the reset's, which the region guardrail lets act outside the allowed regions) and an
inventory of what the seeded kinds of resource hold."""

from __future__ import annotations

from foundation.contract import MANAGEMENT_STACK, OUTPUT_MEMBER_ROLE_ARNS, RESET_SESSION_NAME
from scripts import aws, workspaces

ACCOUNT = "dev"
# Enabled in every account, outside the local environment's allowed regions.
OUTSIDE = "eu-central-1"
# An opt-in region, enabled by the account (the emulator's Account Management, account.py).
OPT_IN = "af-south-1"


def member_role(config) -> str:
    return workspaces.state_outputs(config, MANAGEMENT_STACK)[OUTPUT_MEMBER_ROLE_ARNS][ACCOUNT]


def member_sessions(config, regions=None) -> dict:
    """Sessions of the member role in each region, named as the reset's: the region guardrail
    lets only those read outside the allowed regions."""
    return {
        region: aws.assume_role(config, member_role(config), RESET_SESSION_NAME, region=region)
        for region in regions or (*config.control_regions, OUTSIDE, OPT_IN)
    }


def member_inventory(config, sessions) -> dict[str, set]:
    """What the seeded kinds of resource hold now in the dev account, per region and kind."""
    found: dict[str, set] = {}
    home = sessions[config.region]
    iam = aws.client(config, "iam", home)
    found["roles"] = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    found["users"] = {u["UserName"] for u in iam.list_users()["Users"]}
    found["aliases"] = set(iam.list_account_aliases()["AccountAliases"])
    found["buckets"] = {b["Name"] for b in aws.client(config, "s3", home).list_buckets()["Buckets"]}
    for region, session in sessions.items():
        client = lambda service, session=session: aws.client(config, service, session)  # noqa: E731
        ec2 = client("ec2")
        found[f"{region} queues"] = set(client("sqs").list_queues().get("QueueUrls", []))
        found[f"{region} vpcs"] = {
            (v["VpcId"], v["IsDefault"]) for v in ec2.describe_vpcs()["Vpcs"]
        }
        found[f"{region} instances"] = {
            i["InstanceId"]
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        }
        found[f"{region} volumes"] = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
        found[f"{region} interfaces"] = {
            n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]
        }
        found[f"{region} tables"] = set(client("dynamodb").list_tables()["TableNames"])
        found[f"{region} topics"] = {t["TopicArn"] for t in client("sns").list_topics()["Topics"]}
        found[f"{region} functions"] = {
            f["FunctionName"] for f in client("lambda").list_functions()["Functions"]
        }
    return found
