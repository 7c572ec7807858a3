"""The organization's authorization policies, built with the one policy builder
(foundation/policies.py): the member accounts' service control policies (the guardrails, the
standing guard against commitments, the cost kill switch's freeze), the resource control policy
on the root, and the size quota they share. Its management policies (AI services opt-out, tags,
EC2 declarative) are in foundation/management_policies.py.

They only ever deny here: AWS's FullAWSAccess and RCPFullAWSAccess stay attached and allow.
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
# The dev reset's sessions of a member access role (aws:userid of a role session is
# "<role id>:<session name>").
RESET_SESSION = {"aws:userid": f"*:{RESET_SESSION_NAME}"}


def to_compact_json(policy: dict[str, Any]) -> str:
    """JSON without whitespace, for documents with a tight size quota such as SCPs."""
    return json.dumps(policy, separators=(",", ":"))


def refuse_oversized_scp(
    policy: dict[str, Any] | None, *, name: str, source: object, remedy: str
) -> int:
    """The compact size of an SCP (or an RCP: the same quota) as AWS will receive it; a
    ValueError naming `source` (the environment file) and the remedy when it exceeds the quota."""
    size = len(to_compact_json(policy)) if policy else 0
    if size > SCP_MAX_CHARACTERS:
        raise ValueError(
            f"{source}: the {name} would have {size} characters, more than the "
            f"{SCP_MAX_CHARACTERS} AWS allows: {remedy}"
        )
    return size


def deny_leave_organization() -> dict[str, Any]:
    return statement("DenyLeaveOrganization", "Deny", actions=["organizations:LeaveOrganization"])


# AWS's SCP example "Prevent IAM principals from making certain changes" to a role.
ROLE_CHANGING_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


def protect_member_access_role(role_names: Iterable[str]) -> dict[str, Any]:
    """No member principal may change or delete the role the management account reaches the
    account through (OrganizationAccountAccessRole unless the file names another): without it
    the member workspace, the dev reset and every helper acting in the account stop working.
    Root sessions are exempt, as everywhere here."""
    return statement(
        "ProtectMemberAccessRole",
        "Deny",
        actions=ROLE_CHANGING_ACTIONS,
        resources=[f"arn:aws:iam::*:role/{name}" for name in sorted(set(role_names))],
        condition=NOT_A_ROOT_SESSION,
    )


def deny_member_root() -> dict[str, Any]:
    """Nothing may be done as a member account's root user, except in a root session that the
    management account started with sts:AssumeRoot (centralized root access, AWS task policies)."""
    return statement(
        "DenyMemberRootUser",
        "Deny",
        actions=["*"],
        condition={"ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN_PATTERN}, **NOT_A_ROOT_SESSION},
    )


def deny_outside_regions(
    regions: Iterable[str], member_roles: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """AWS's region deny: regional actions only in `regions`; global services stay usable.
    Root sessions are exempt so a locked resource can still be unlocked wherever it is. With
    `member_roles`, so are the dev reset's sessions of those roles (named RESET_SESSION_NAME):
    the reset finds and deletes there what was made before the guardrail, or in a region since
    taken off the list. Every condition of a statement must hold, so "everyone but those
    sessions" takes two statements, AWS's way of exempting a role (ArnNotLike aws:PrincipalARN)
    and the role's other sessions."""
    outside = {"StringNotEquals": {"aws:RequestedRegion": sorted(regions)}, **NOT_A_ROOT_SESSION}
    roles = {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{r}" for r in sorted(set(member_roles))]}
    if not roles["aws:PrincipalArn"]:
        return [
            statement(
                "DenyOutsideAllowedRegions",
                "Deny",
                not_actions=GLOBAL_SERVICE_ACTIONS,
                condition=outside,
            )
        ]
    return [
        statement(
            "DenyOutsideAllowedRegions",
            "Deny",
            not_actions=GLOBAL_SERVICE_ACTIONS,
            condition={**outside, "ArnNotLike": roles},
        ),
        statement(
            "DenyOutsideAllowedRegionsButTheReset",
            "Deny",
            not_actions=GLOBAL_SERVICE_ACTIONS,
            condition={**outside, "ArnLike": roles, "StringNotLike": RESET_SESSION},
        ),
    ]


def guardrails_scp(
    *,
    deny_leave: bool,
    deny_root: bool,
    allowed_regions: Iterable[str] = (),
    protected_roles: Iterable[str] = (),
    member_roles: Iterable[str] = (),
) -> dict[str, Any] | None:
    """The member accounts' SCP from the switched-on guardrails; None when none is on. No
    regions means no region deny; no roles, no role protection; `member_roles`: the roles whose
    dev reset sessions the region deny exempts."""
    statements = []
    if deny_leave:
        statements.append(deny_leave_organization())
    roles = list(protected_roles)
    if roles:
        statements.append(protect_member_access_role(roles))
    if deny_root:
        statements.append(deny_member_root())
    regions = list(allowed_regions)
    if regions:
        statements += deny_outside_regions(regions, member_roles)
    return document(*statements) if statements else None


# --- Commitments -------------------------------------------------------------------------------
# What cannot be undone once bought: a term (1 or 3 years of Savings Plans, reserved capacity, a
# Shield Advanced subscription, provisioned throughput, an Outposts order), a registered domain, a
# Marketplace subscription, a host or capacity reserved by the hour. Denied in every member account
# whose `allow_commitments` is false (the standing guard) and in every frozen one.
COMMITMENT_ACTIONS = (
    "savingsplans:CreateSavingsPlan",
    "ec2:Purchase*",
    "ec2:AcceptReservedInstancesExchangeQuote",
    "ec2:AllocateHosts",
    "ec2:CreateCapacityReservation*",
    "rds:Purchase*",
    "elasticache:Purchase*",
    "es:PurchaseReserved*",
    "redshift:Purchase*",
    "redshift:AcceptReservedNodeExchange",
    "memorydb:Purchase*",
    "dynamodb:PurchaseReservedCapacityOfferings",
    "medialive:PurchaseOffering",
    "mediaconnect:PurchaseOffering",
    "shield:CreateSubscription",
    "route53domains:RegisterDomain",
    "route53domains:TransferDomain",
    "route53domains:RenewDomain",
    "route53domains:AcceptDomainTransferFromAnotherAwsAccount",
    "aws-marketplace:Subscribe",
    "aws-marketplace:AcceptAgreementRequest",
    "bedrock:CreateProvisionedModelThroughput",
    "sagemaker:CreateTrainingPlan",
    "outposts:CreateOrder",
)


def no_commitments_scp() -> dict[str, Any]:
    """The standing guard of the member accounts that may not commit to spending."""
    return document(
        statement(
            "DenyCommitments", "Deny", actions=COMMITMENT_ACTIONS, condition=NOT_A_ROOT_SESSION
        )
    )


# --- The cost kill switch -------------------------------------------------------------------------
# The freeze SCP denies creating or starting what costs money, by statement. It never denies a
# read, stop, terminate or delete, so the account can be cleaned up while frozen (tests evaluate
# these patterns against IAM's action catalogue). IAM roles, S3 buckets and their settings are free
# and stay allowed, so the member baseline can still be rebuilt. Scaling is denied both ways where
# one action does both (ECS services, EKS node groups, Auto Scaling groups, GameLift fleets):
# delete them instead. Batch compute environments stay updatable: aws-nuke disables them before
# deleting. Mid-string wildcards (`sagemaker:Create*Job`) are valid in SCPs since AWS's full IAM
# language for SCPs (Sept 2025; "SCP syntax", Organizations User Guide).
FREEZE_DENIED_ACTIONS: dict[str, tuple[str, ...]] = {
    "FreezeCompute": (
        "ec2:RunInstances",
        "ec2:StartInstances",
        "ec2:CreateFleet",
        "ec2:RequestSpot*",
        "ec2:CreateVolume",
        "autoscaling:CreateAutoScalingGroup",
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:SetDesiredCapacity",
        "autoscaling:StartInstanceRefresh",
        "lightsail:Create*",
        "workspaces:CreateWorkspaces",
        "appstream:CreateFleet",
        "appstream:StartFleet",
        "gamelift:CreateFleet*",
        "gamelift:UpdateFleetCapacity",
        "cloudhsm:CreateHsm",
        "ds:CreateDirectory",
        "ds:CreateMicrosoftAD",
        "ds:ConnectDirectory",
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
        "route53resolver:CreateResolverEndpoint",
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
        "airflow:CreateEnvironment",
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
        "redshift:CreateCluster",
        "redshift:RestoreFromClusterSnapshot",
        "redshift:ResumeCluster",
        "redshift-serverless:CreateWorkgroup",
        "elasticache:CreateCacheCluster",
        "elasticache:CreateReplicationGroup",
        "elasticache:CreateServerlessCache",
        "memorydb:CreateCluster",
        "es:CreateDomain",
        "es:CreateElasticsearchDomain",
        "aoss:CreateCollection",
        "osis:CreatePipeline",
        "osis:StartPipeline",
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
        "kinesisanalytics:CreateApplication",
        "kinesisanalytics:StartApplication",
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
        "bedrock:RetrieveAndGenerate*",
        "kendra:CreateIndex",
    ),
    "FreezeCommitments": COMMITMENT_ACTIONS,
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


# --- Resource control policy ---------------------------------------------------------------------
# The services whose resources the perimeter covers: RCPs' first five (S3, STS, KMS, SQS, Secrets
# Manager; "Resource control policies (RCPs)", Organizations User Guide).
PERIMETER_ACTIONS = ("s3:*", "sqs:*", "kms:*", "secretsmanager:*")
# The STS actions of AWS's identity perimeter example; web identity and SAML federation, whose
# callers come from outside by design, are not among them.
PERIMETER_STS_ACTIONS = (
    "sts:AssumeRole",
    "sts:DecodeAuthorizationMessage",
    "sts:GetAccessKeyInfo",
    "sts:GetFederationToken",
    "sts:GetServiceBearerToken",
    "sts:GetSessionToken",
    "sts:SetContext",
)


def resource_perimeter_rcp(organization_id: str) -> dict[str, Any]:
    """AWS's published RCP examples that fit a personal organization: only principals of this
    organization reach its member accounts' buckets, queues, keys, secrets and roles
    (EnforceOrgIdentities); AWS services act on them only for this organization
    (EnforceConfusedDeputyProtection); and only over TLS (EnforceSecureTransport).
    AWS services acting as themselves are exempt (aws:PrincipalIsAWSService), as in AWS's
    examples; RCPs never touch the management account, where the trail and the state live.
    Sources: "Resource control policy examples" (Organizations User Guide) and AWS's
    data-perimeter-policy-examples and resource-control-policy-examples on GitHub."""
    covered = (*PERIMETER_ACTIONS, *PERIMETER_STS_ACTIONS)
    return document(
        statement(
            "EnforceOrgIdentities",
            "Deny",
            actions=covered,
            principal="*",
            condition={
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization_id},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        ),
        statement(
            "EnforceConfusedDeputyProtection",
            "Deny",
            actions=(*PERIMETER_ACTIONS, "sts:*"),
            principal="*",
            condition={
                "StringNotEqualsIfExists": {"aws:SourceOrgID": organization_id},
                "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"},
            },
        ),
        statement(
            "EnforceSecureTransport",
            "Deny",
            actions=(*PERIMETER_ACTIONS, "sts:*"),
            principal="*",
            condition={"BoolIfExists": {"aws:SecureTransport": "false"}},
        ),
    )
