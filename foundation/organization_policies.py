"""The organization's policies, built with the one policy builder (foundation/policies.py): the
guardrail service control policies and their size quota, the AI services opt-out and tag
policies, and the cost kill switch's freeze SCP.

SCPs only ever deny here: the AWS-managed FullAWSAccess policy stays attached and allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from foundation.contract import RESET_SESSION_NAME
from foundation.policies import document, statement

SCP_MAX_CHARACTERS = 5120  # AWS Organizations quota for one SCP document, whitespace included
ROOT_USER_ARN_PATTERN = "arn:aws:iam::*:root"

# Present only in sessions started with sts:AssumeRoot (centralized root access) from the
# management account; "Null: true" means "not such a session".
NOT_A_ROOT_SESSION = {"Null": {"aws:AssumedRoot": "true"}}

# Actions of global services (single endpoint, mostly in us-east-1) and account-wide reads that a
# region deny must not block: AWS's documented region-deny example plus the billing consoles.
GLOBAL_SERVICE_ACTIONS = (
    "a4b:*",
    "access-analyzer:*",
    "account:*",
    "acm:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "freetier:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "invoicing:*",
    "kms:*",
    "mobileanalytics:*",
    "networkmanager:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "tax:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
)
# The dev reset's session (aws:userid of an assumed role is "<role id>:<session name>").
RESET_SESSION = {"aws:userid": f"*:{RESET_SESSION_NAME}"}
# What the dev reset's session may still do outside the allowed regions: read and delete. The
# verbs are those of aws-nuke's listers and removers (rebuy-de/aws-nuke 2.25 and ekristen/aws-nuke
# v3, resources/*.go), with the few other calls its removers make: lifting the deletion
# protection a learner set, and S3Bucket's logging switched off before the bucket goes. SCPs take
# a wildcard at the start of an action since September 2025 ("full IAM language",
# https://aws.amazon.com/blogs/security/unlock-new-possibilities-aws-organizations-service-control-policy-now-supports-full-iam-language/).
RESET_ACTIONS = (
    "*:Describe*",
    "*:Get*",
    "*:List*",
    "*:BatchGet*",
    "*:Search*",
    "*:Scan",
    "*:Delete*",
    "*:BatchDelete*",
    "*:Remove*",
    "*:Detach*",
    "*:Disassociate*",
    "*:Deregister*",
    "*:Terminate*",
    "*:Stop*",
    "*:Disable*",
    "*:Cancel*",
    "*:Release*",
    "*:Revoke*",
    "*:Reject*",
    "*:Abort*",
    "*:Deactivate*",
    "*:Unsubscribe",
    "*:Untag*",
    "*:ScheduleKeyDeletion",
    "cloudformation:UpdateTerminationProtection",
    "dynamodb:UpdateTable",
    "ec2:ModifyInstanceAttribute",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "rds:ModifyDB*",
    "s3:PutBucketLogging",
)
TRAIL_TAMPERING_ACTIONS = (
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
)
LOG_BUCKET_TAMPERING_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
LOG_OBJECT_TAMPERING_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl")


def to_compact_json(policy: dict[str, Any]) -> str:
    """JSON without whitespace, for documents with a tight size quota such as SCPs."""
    return json.dumps(policy, separators=(",", ":"))


def refuse_oversized_scp(
    policy: dict[str, Any] | None, *, name: str, source: object, remedy: str
) -> int:
    """The compact size of an SCP as AWS will receive it; a ValueError naming `source` (the
    environment file) and the remedy when it exceeds the quota."""
    size = len(to_compact_json(policy)) if policy else 0
    if size > SCP_MAX_CHARACTERS:
        raise ValueError(
            f"{source}: the {name} SCP would have {size} characters, more than the "
            f"{SCP_MAX_CHARACTERS} AWS allows: {remedy}"
        )
    return size


def deny_leave_organization() -> dict[str, Any]:
    return statement("DenyLeaveOrganization", "Deny", actions=["organizations:LeaveOrganization"])


def protect_trail(trail_arn: str, log_bucket_arn: str) -> list[dict[str, Any]]:
    """No member principal may stop, change or delete the organization trail or its logs."""
    return [
        statement(
            "ProtectAuditTrail", "Deny", actions=TRAIL_TAMPERING_ACTIONS, resources=[trail_arn]
        ),
        statement(
            "ProtectAuditLogBucket",
            "Deny",
            actions=LOG_BUCKET_TAMPERING_ACTIONS,
            resources=[log_bucket_arn],
        ),
        statement(
            "ProtectAuditLogs",
            "Deny",
            actions=LOG_OBJECT_TAMPERING_ACTIONS,
            resources=[f"{log_bucket_arn}/*"],
        ),
    ]


def deny_member_root() -> dict[str, Any]:
    """Nothing may be done as a member account's root user, except in a root session that the
    management account started with sts:AssumeRoot (centralized root access, AWS task policies)."""
    return statement(
        "DenyMemberRootUser",
        "Deny",
        actions=["*"],
        condition={"ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN_PATTERN}, **NOT_A_ROOT_SESSION},
    )


def deny_outside_regions(regions: Iterable[str]) -> list[dict[str, Any]]:
    """AWS's region deny: regional actions only in `regions`; global services stay usable.
    Root sessions are exempt so a locked resource can still be unlocked wherever it is. The dev
    reset's session is exempt too, but may only read and delete there: what was made before the
    guardrail, or in a region since removed from the list, is found and deleted."""
    outside = {"StringNotEquals": {"aws:RequestedRegion": sorted(regions)}}
    return [
        statement(
            "DenyOutsideAllowedRegions",
            "Deny",
            not_actions=GLOBAL_SERVICE_ACTIONS,
            condition={**outside, **NOT_A_ROOT_SESSION, "StringNotLike": RESET_SESSION},
        ),
        statement(
            "DenyResetOutsideAllowedRegionsButReadDelete",
            "Deny",
            not_actions=RESET_ACTIONS,
            condition={**outside, "StringLike": RESET_SESSION},
        ),
    ]


def guardrails_scp(
    *,
    deny_leave: bool,
    deny_root: bool,
    allowed_regions: Iterable[str] = (),
    trail_arn: str | None = None,
    log_bucket_arn: str | None = None,
) -> dict[str, Any] | None:
    """The member accounts' SCP from the switched-on guardrails; None when none is on.
    The trail is protected when both ARNs are given; no regions means no region deny."""
    statements = []
    if deny_leave:
        statements.append(deny_leave_organization())
    if trail_arn and log_bucket_arn:
        statements += protect_trail(trail_arn, log_bucket_arn)
    if deny_root:
        statements.append(deny_member_root())
    regions = list(allowed_regions)
    if regions:
        statements += deny_outside_regions(regions)
    return document(*statements) if statements else None


_NO_CHILD_OVERRIDE = {"@@operators_allowed_for_child_policies": ["@@none"]}


def ai_services_opt_out() -> dict[str, Any]:
    """Every current and future AWS AI service ("default") opted out of storing and using the
    organization's content; no policy lower in the organization can opt back in, not even for
    one service (hence the lock on "services" itself, as in AWS's example)."""
    return {
        "services": {
            **_NO_CHILD_OVERRIDE,
            "default": {
                **_NO_CHILD_OVERRIDE,
                "opt_out_policy": {**_NO_CHILD_OVERRIDE, "@@assign": "optOut"},
            },
        }
    }


def tag_policy(tags: dict[str, Iterable[str]]) -> dict[str, Any]:
    """A tag policy fixing each key's capitalization and its allowed values ({key: values}).
    Nothing is enforced ("enforced_for" is absent): non-compliant tags are only reported."""
    return {
        "tags": {
            key.lower(): {
                "tag_key": {"@@assign": key},
                "tag_value": {"@@assign": sorted(set(values))},
            }
            for key, values in sorted(tags.items())
        }
    }


# --- The cost kill switch -------------------------------------------------------------------------
# The freeze SCP denies creating or starting what costs money, by statement. It never denies a
# read, stop, terminate or delete, so the account can be cleaned up while frozen (tests evaluate
# these patterns against IAM's action catalogue). IAM roles, S3 buckets and their settings are free
# and stay allowed, so the member baseline can still be rebuilt. Scaling is denied both ways where
# one action does both (ECS services, EKS node groups, Auto Scaling groups): delete them instead.
# Batch compute environments stay updatable: aws-nuke disables them before deleting.
FREEZE_DENIED_ACTIONS: dict[str, tuple[str, ...]] = {
    "FreezeCompute": (
        "ec2:RunInstances",
        "ec2:StartInstances",
        "ec2:CreateFleet",
        "ec2:RequestSpot*",
        "ec2:Purchase*",
        "ec2:AllocateHosts",
        "ec2:CreateCapacityReservation*",
        "ec2:CreateVolume",
        "autoscaling:CreateAutoScalingGroup",
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:SetDesiredCapacity",
        "autoscaling:StartInstanceRefresh",
        "lightsail:Create*",
        "workspaces:CreateWorkspaces",
    ),
    "FreezeNetworking": (
        "ec2:CreateNatGateway",
        "ec2:AllocateAddress",
        "ec2:CreateVpcEndpoint",
        "ec2:CreateTransitGateway*",
        "ec2:CreateVpnConnection",
        "ec2:CreateClientVpnEndpoint",
        "elasticloadbalancing:CreateLoadBalancer",
        "globalaccelerator:CreateAccelerator",
        "network-firewall:CreateFirewall",
        "transfer:CreateServer",
    ),
    "FreezeContainersAndFunctions": (
        "ecs:CreateService",
        "ecs:UpdateService",
        "ecs:RunTask",
        "ecs:StartTask",
        "eks:CreateCluster",
        "eks:CreateNodegroup",
        "eks:CreateFargateProfile",
        "eks:UpdateNodegroupConfig",
        "batch:CreateComputeEnvironment",
        "batch:SubmitJob",
        "lambda:CreateFunction*",
        "lambda:UpdateFunction*",
        "lambda:PutProvisionedConcurrencyConfig",
        "apprunner:CreateService",
        "apprunner:ResumeService",
        "elasticbeanstalk:CreateEnvironment",
    ),
    "FreezeDatabasesAndAnalytics": (
        "rds:CreateDBInstance*",
        "rds:CreateDBCluster",
        "rds:CreateGlobalCluster",
        "rds:CreateDBProxy",
        "rds:CreateDBShardGroup",
        "rds:CreateBlueGreenDeployment",
        "rds:RestoreDB*",
        "rds:StartDB*",
        "rds:Purchase*",
        "redshift:CreateCluster",
        "redshift:RestoreFromClusterSnapshot",
        "redshift:ResumeCluster",
        "redshift:Purchase*",
        "redshift-serverless:CreateWorkgroup",
        "elasticache:CreateCacheCluster",
        "elasticache:CreateReplicationGroup",
        "elasticache:CreateServerlessCache",
        "elasticache:Purchase*",
        "memorydb:CreateCluster",
        "es:CreateDomain",
        "es:CreateElasticsearchDomain",
        "aoss:CreateCollection",
        "docdb-elastic:CreateCluster",
        "dms:CreateReplicationInstance",
        "elasticmapreduce:RunJobFlow",
        "emr-serverless:CreateApplication",
        "emr-serverless:StartApplication",
        "glue:CreateDevEndpoint",
        "glue:CreateSession",
        "glue:StartJobRun",
        "kafka:CreateCluster*",
        "kinesis:CreateStream",
        "fsx:CreateFileSystem*",
        "mq:CreateBroker",
    ),
    "FreezeMachineLearning": (
        "sagemaker:CreateEndpoint*",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:StartNotebookInstance",
        "sagemaker:Create*Job",
        "sagemaker:CreateApp",
        "sagemaker:CreateCluster",
        "sagemaker:CreateInferenceComponent",
        "sagemaker:InvokeEndpoint*",
        "bedrock:Invoke*",
        "bedrock:Create*Job",
        "bedrock:CreateProvisionedModelThroughput",
        "bedrock:RetrieveAndGenerate*",
        "kendra:CreateIndex",
    ),
    "FreezeCommitments": (
        "savingsplans:CreateSavingsPlan",
        "aws-marketplace:Subscribe",
        "shield:CreateSubscription",
        "route53domains:RegisterDomain",
        "cloudhsm:CreateHsm",
    ),
}


def freeze_scp() -> dict[str, Any]:
    """The SCP a budget action (or `make dev-freeze`) attaches to a member account: nothing new
    that costs money, for everyone but root sessions (which stay exempt, as in the guardrails)."""
    return document(
        *(
            statement(sid, "Deny", actions=actions, condition=NOT_A_ROOT_SESSION)
            for sid, actions in FREEZE_DENIED_ACTIONS.items()
        )
    )
