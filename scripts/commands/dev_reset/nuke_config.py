"""The aws-nuke configuration of a dev reset, generated from the environment file (never kept by
hand): which account, which regions, which accounts it must refuse, and what it keeps, in the
keys of the installed aws-nuke (rebuy-de's 2.x or ekristen's v3).

`keeps` is the one list of what a reset never deletes, each entry with its reason; the template
(scripts/templates/aws-nuke.yaml.j2) writes it as aws-nuke filters and the preview uses the same
entries to say why something is kept.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from foundation.contract import TAG_FOUNDATION_WORKSPACE
from foundation.model import Config
from scripts.guard.reset import AwsNuke
from scripts.templates import render

TEMPLATE = "aws-nuke.yaml.j2"
GLOBAL_REGION = "global"
# aws-nuke's own session (STS, the account alias) lives in this region.
NUKE_DEFAULT_REGION = "us-east-1"
# The emulator answers these services; aws-nuke skips every resource type whose service has no
# endpoint entry in a region (pkg/awsutil/account.go, ResourceTypeToServiceType), which also keeps
# the scan of every region short. IAM and STS go in NUKE_DEFAULT_REGION only, or IAM is listed
# once per region; the empty service name must come last.
EMULATED_REGIONAL_SERVICES = ("ec2", "s3", "sqs", "sns", "lambda", "dynamodb", "ssm", "cloudtrail")
EMULATED_DEFAULT_REGION_SERVICES = ("iam", "sts", "")

# Resource types whose aws-nuke properties include the resource's tags (tag:<key>).
TAGGED_TYPES = (
    "IAMRole",
    "IAMUser",
    "S3Bucket",
    "EC2VPC",
    "EC2Subnet",
    "EC2SecurityGroup",
    "EC2Instance",
    "SNSTopic",
    "DynamoDBTable",
    "LambdaFunction",
)
# Where a name or ARN of `reset_keep` is looked for (the name aws-nuke prints for each).
KEEPABLE_TYPES = (
    "IAMRole",
    "IAMRolePolicy",
    "IAMRolePolicyAttachment",
    "IAMUser",
    "IAMUserPolicy",
    "IAMUserPolicyAttachment",
    "IAMUserAccessKey",
    "IAMPolicy",
    "IAMGroup",
    "IAMInstanceProfile",
    "S3Bucket",
    "S3Object",
    "SQSQueue",
    "SNSTopic",
    "SNSSubscription",
    "DynamoDBTable",
    "LambdaFunction",
    "SSMParameter",
    "EC2Instance",
    "EC2VPC",
    "EC2Subnet",
    "EC2SecurityGroup",
    "EC2KeyPair",
    "EC2Volume",
    "CloudFormationStack",
    "CloudWatchLogsLogGroup",
    "ECRRepository",
    "KMSKey",
    "KMSAlias",
    "SecretsManagerSecret",
)
# Service-linked and AWS-reserved (IAM Identity Center) roles: by path where aws-nuke shows it
# (IAMRole's Path, IAMRolePolicy's role:Path in 2.16 and v3), and by the names AWS gives them for
# their policy attachments, whose RolePath came only after 2.16 (RoleName is in every version).
AWS_ROLE_PATHS = ("/aws-service-role/*", "/aws-reserved/*")
AWS_ROLE_NAMES = ("AWSServiceRoleFor*", "AWSReservedSSO_*")
# The default VPC and its subnets, by the property aws-nuke 2.16 marks them with; its internet
# gateway, route tables and DHCP options carry no such mark and are kept by id (DefaultVpc).
DEFAULT_VPC_PROPERTIES = (("EC2VPC", "IsDefault"), ("EC2Subnet", "DefaultForAz"))
# Deletion protection a learner set does not stop the reset: 2.x's feature flags, v3's settings
# (ekristen/aws-nuke resources/*.go, the settings each reads).
FEATURE_FLAGS_2 = ("RDSInstance", "EC2Instance", "CloudformationStack")
SETTINGS_V3 = {
    "CloudFormationStack": ("DisableDeletionProtection",),
    "CloudWatchLogsLogGroup": ("DisableDeletionProtection",),
    "CognitoUserPool": ("DisableDeletionProtection",),
    "DocDBCluster": ("DisableDeletionProtection",),
    "DSQLCluster": ("DisableDeletionProtection",),
    "DynamoDBTable": ("DisableDeletionProtection",),
    "EC2Instance": ("DisableDeletionProtection", "DisableStopProtection"),
    "EKSCluster": ("DisableDeletionProtection",),
    "ELBv2": ("DisableDeletionProtection",),
    "LightsailInstance": ("ForceDeleteAddOns",),
    "NeptuneCluster": ("DisableDeletionProtection",),
    "NeptuneGraph": ("DisableDeletionProtection",),
    "NeptuneInstance": ("DisableDeletionProtection", "DisableClusterDeletionProtection"),
    "QLDBLedger": ("DisableDeletionProtection",),
    "RDSInstance": ("DisableDeletionProtection",),
}


@dataclass(frozen=True)
class DefaultVpc:
    """A region's default VPC as found before the reset: what of it aws-nuke names by id."""

    vpc_id: str
    gateway_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    dhcp_options_id: str | None = None

    def named(self) -> list[tuple[str, str]]:
        """(aws-nuke resource type, the name aws-nuke prints) of each piece."""
        return [
            *(("EC2InternetGateway", g) for g in self.gateway_ids),
            *(("EC2InternetGatewayAttachment", f"{g} -> {self.vpc_id}") for g in self.gateway_ids),
            *(("EC2RouteTable", r) for r in self.route_table_ids),
            *([("EC2DHCPOption", self.dhcp_options_id)] if self.dhcp_options_id else []),
        ]


@dataclass(frozen=True)
class Managed:
    """What the target's own workspace manages, by name, from its state: the reset keeps it and
    the rebuild's apply puts back whatever of it the person changed."""

    workspace: str
    role_names: tuple[str, ...] = ()
    bucket_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Keep:
    """One aws-nuke filter: a `resource_type` whose name (or `property`) matches `value` by
    `match` (exact, glob or contains) is kept, because of `reason`."""

    resource_type: str
    value: str
    reason: str
    match: str = "exact"
    property: str | None = None

    def matches(self, name: str, properties: dict[str, str]) -> bool:
        subject = properties.get(self.property, "") if self.property else name
        if self.match == "glob":
            return fnmatch.fnmatchcase(subject, self.value)
        if self.match == "contains":
            return self.value in subject
        return subject == self.value


def keeps(
    config: Config,
    account_name: str,
    managed: Managed,
    default_vpcs: list[DefaultVpc],
    management_account_id: str,
) -> list[Keep]:
    """What a reset of `account_name` never deletes, whatever the person did in the account."""
    account = config.account(account_name)
    role = account.role_name
    access = f"the member access role (accounts.{account_name}.role_name)"
    reserved = "AWS-reserved or service-linked role"
    found = [
        Keep("IAMRole", role, access),
        Keep("IAMRolePolicy", f"{role} -> *", access, "glob"),
        Keep("IAMRolePolicyAttachment", f"{role} -> *", access, "glob"),
    ]
    for path in AWS_ROLE_PATHS:
        found += [
            Keep("IAMRole", path, reserved, "glob", "Path"),
            Keep("IAMRolePolicy", path, reserved, "glob", "role:Path"),
        ]
    found += [
        Keep("IAMRolePolicyAttachment", name, reserved, "glob", "RoleName")
        for name in AWS_ROLE_NAMES
    ]
    trail = "the organization trail's shadow in the member account (AWS keeps it from members)"
    trail_arn = (
        f"arn:aws:cloudtrail:{config.region}:{management_account_id}:trail/{config.trail.name}"
    )
    found += [Keep("CloudTrailTrail", name, trail) for name in (config.trail.name, trail_arn)]
    found.append(
        Keep(
            "EC2DefaultSecurityGroupRule",
            "*",
            "a default security group's rule (aws-nuke 2.17+ and v3 would strip them)",
            "glob",
        )
    )
    found.append(
        Keep(
            "IAMAccountSettingPasswordPolicy",
            "*",
            "the password policy (accounts' CIS baseline; aws-nuke v3 would delete it)",
            "glob",
        )
    )
    for workspace in config.stack_names:
        found += [
            Keep(
                resource_type,
                workspace,
                f"made by the '{workspace}' workspace (tag {TAG_FOUNDATION_WORKSPACE})",
                property=f"tag:{TAG_FOUNDATION_WORKSPACE}",
            )
            for resource_type in TAGGED_TYPES
        ]
    own = f"managed by the '{managed.workspace}' workspace"
    for role in managed.role_names:
        found += [
            Keep("IAMRole", role, own),
            Keep("IAMRolePolicy", f"{role} -> *", own, "glob"),
            Keep("IAMRolePolicyAttachment", f"{role} -> *", own, "glob"),
        ]
    found += [Keep("S3Bucket", f"s3://{bucket}", own) for bucket in managed.bucket_names]
    if not account.reset_default_vpc:
        reason = f"the default VPC (accounts.{account_name}.reset_default_vpc = false)"
        found += [
            Keep(resource_type, "true", reason, property=prop)
            for resource_type, prop in DEFAULT_VPC_PROPERTIES
        ]
        found += [
            Keep(resource_type, name, reason)
            for vpc in default_vpcs
            for resource_type, name in vpc.named()
        ]
    for entry in account.reset_keep:
        found += [
            Keep(resource_type, entry, f"accounts.{account_name}.reset_keep", "contains")
            for resource_type in KEEPABLE_TYPES
        ]
    return found


def regions(config: Config, enabled_regions: list[str]) -> list[str]:
    """The global services, the home region, then every other region enabled in the account,
    inside `guardrails.allowed_regions` or not: what was made before the guardrail, or in a
    region since taken off the list, is found there too."""
    others = sorted(set(enabled_regions) - {config.region})
    scanned = [config.region, *others]
    if config.emulator and NUKE_DEFAULT_REGION not in scanned:
        scanned.append(NUKE_DEFAULT_REGION)  # where the emulator's IAM is asked (see above)
    return [GLOBAL_REGION, *scanned]


def endpoints(config: Config, scanned: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(region, services) entries pointing aws-nuke at the emulator; none for real AWS."""
    if not config.emulator:
        return []
    return [
        (
            region,
            EMULATED_REGIONAL_SERVICES
            + (EMULATED_DEFAULT_REGION_SERVICES if region == NUKE_DEFAULT_REGION else ()),
        )
        for region in scanned
        if region != GLOBAL_REGION
    ]


def scanned_types(config: Config, region: str, resource_types: list[str]) -> list[str]:
    """The resource types aws-nuke lists in `region`: on the emulator those of the services with
    an endpoint entry there (the first entry whose service prefixes the lower-cased type, as
    aws-nuke picks it); on AWS every one it knows."""
    if not config.emulator:
        return list(resource_types)
    services = dict(endpoints(config, [region])).get(region, ())

    def service(resource_type: str) -> str:
        return next((s for s in services if resource_type.lower().startswith(s)), "")

    return [t for t in resource_types if service(t)]


def render_config(
    config: Config,
    account_name: str,
    *,
    account_id: str,
    blocklist: list[str],
    scanned: list[str],
    kept: list[Keep],
    aws_nuke: AwsNuke,
) -> str:
    """The aws-nuke YAML for resetting `account_name` (account `account_id`), keeping `kept`, in
    the keys `aws_nuke` reads: 2.x refuses a key it does not know (yaml.UnmarshalStrict,
    pkg/config/config.go), v3 prefers `blocklist` and `settings` (libnuke pkg/config/config.go)."""
    grouped: dict[str, list[Keep]] = {}
    for keep in kept:
        grouped.setdefault(keep.resource_type, []).append(keep)
    return render(
        TEMPLATE,
        account_name=account_name,
        env_name=config.env_name,
        source=f"environments/{config.source.name}",
        aws_nuke=aws_nuke,
        regions=scanned,
        blocklist=blocklist,
        account_id=account_id,
        feature_flags=FEATURE_FLAGS_2,
        settings=sorted(SETTINGS_V3.items()),
        filters=sorted(grouped.items()),
        endpoints=endpoints(config, scanned),
        endpoint_url=config.emulator.endpoint_url if config.emulator else "",
        default_region=NUKE_DEFAULT_REGION,
    )
