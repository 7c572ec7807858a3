"""The one place IAM policy documents are built, from plain Python structures.

Pure Python (no cdktf), so helpers such as the state bootstrap use the same statements.
Values may hold Terraform tokens; they pass through JSON encoding unchanged. IAM policy variables
are written `$${aws:username}`: Terraform reads `${...}` as its own interpolation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

VERSION = "2012-10-17"


def statement(
    sid: str,
    effect: str = "Allow",
    *,
    actions: Iterable[str] | None = None,
    not_actions: Iterable[str] | None = None,
    resources: Iterable[str] | str | None = "*",
    principal: dict[str, Any] | str | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principal is not None:
        result["Principal"] = principal
    if actions is not None:
        result["Action"] = sorted(actions)
    if not_actions is not None:
        result["NotAction"] = sorted(not_actions)
    if resources is not None:  # trust policies name no resource
        result["Resource"] = resources if isinstance(resources, str) else list(resources)
    if condition:
        result["Condition"] = condition
    return result


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    sids = [s["Sid"] for s in statements]
    if len(sids) != len(set(sids)):
        raise ValueError(f"duplicate statement ids in policy: {sids}")
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2)


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    return statement(
        "DenyInsecureTransport",
        "Deny",
        actions=["s3:*"],
        resources=[bucket_arn, f"{bucket_arn}/*"],
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


_OWN_USER = "arn:aws:iam::*:user/$${aws:username}"

# What a user without MFA may still do: set up their own MFA device and sign in with it. Not even
# their own password: AWS's example leaves iam:ChangePassword and iam:GetAccountPasswordPolicy
# out of this list and advises against adding them (a stolen password alone could replace it).
_ALLOWED_WITHOUT_MFA = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
]


def force_mfa() -> dict[str, Any]:
    """AWS's recommended self-service policy for MFA-authenticated users (IAM user guide, "AWS:
    Allows MFA-authenticated IAM users to manage their own credentials on the Security
    credentials page", its password and MFA statements): without MFA everything is denied but
    setting up an MFA device; the password can be changed only in a session with MFA. So a first
    password is given without "must reset at next sign-in" (see docs/real-aws.md, "An admin's
    first sign-in")."""
    return document(
        statement(
            "AllowViewAccountInfo",
            actions=["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
        ),
        statement(
            "AllowManageOwnPasswords",
            actions=["iam:ChangePassword", "iam:GetUser"],
            resources=[_OWN_USER],
        ),
        statement(
            "AllowManageOwnVirtualMFADevice",
            actions=["iam:CreateVirtualMFADevice"],
            resources=["arn:aws:iam::*:mfa/*"],
        ),
        statement(
            "AllowManageOwnUserMFA",
            actions=[
                "iam:DeactivateMFADevice",
                "iam:EnableMFADevice",
                "iam:GetMFADevice",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
            ],
            resources=[_OWN_USER],
        ),
        statement(
            "DenyAllExceptListedIfNoMFA",
            "Deny",
            not_actions=_ALLOWED_WITHOUT_MFA,
            condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        ),
    )


def assume_member_roles(role_arns: Iterable[str]) -> dict[str, Any]:
    return document(
        statement(
            "AssumeMemberAccountRolesWithMfa",
            actions=["sts:AssumeRole"],
            resources=list(role_arns),
            condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        )
    )


def cloudtrail_writes(
    bucket_arn: str, trail_arn: str, organization_id: str, management_account_id: str
) -> list[dict[str, Any]]:
    """Statements letting the organization trail write the org's and the management account's
    log files (the bucket policy also needs the TLS deny)."""
    service = {"Service": "cloudtrail.amazonaws.com"}
    source = {"StringEquals": {"aws:SourceArn": trail_arn}}
    written = {
        "StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    return [
        statement(
            "AWSCloudTrailAclCheck",
            actions=["s3:GetBucketAcl"],
            resources=[bucket_arn],
            principal=service,
            condition=source,
        ),
        statement(
            "AWSCloudTrailWriteManagementAccount",
            actions=["s3:PutObject"],
            resources=[f"{bucket_arn}/AWSLogs/{management_account_id}/*"],
            principal=service,
            condition=written,
        ),
        statement(
            "AWSCloudTrailWriteOrganization",
            actions=["s3:PutObject"],
            resources=[f"{bucket_arn}/AWSLogs/{organization_id}/*"],
            principal=service,
            condition=written,
        ),
    ]


def trust_service(service: str, *, source_account: str, source_arn_pattern: str) -> dict[str, Any]:
    """Trust policy of a role that an AWS service assumes, only on behalf of `source_account`'s
    resources matching `source_arn_pattern` (the confused-deputy guard AWS recommends)."""
    return document(
        statement(
            "TrustServiceForOwnResources",
            actions=["sts:AssumeRole"],
            resources=None,
            principal={"Service": service},
            condition={
                "StringEquals": {"aws:SourceAccount": source_account},
                "ArnLike": {"aws:SourceArn": source_arn_pattern},
            },
        )
    )


# AWS's task policies for root sessions (sts:AssumeRoot); each allows one narrow task only.
ROOT_TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
ROOT_TASK_POLICIES = (
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
)


def start_root_sessions(member_account_ids: Iterable[str]) -> dict[str, Any]:
    """sts:AssumeRoot into the member accounts' root users, and only with an AWS task policy."""
    return document(
        statement(
            "AssumeRootInMemberAccounts",
            actions=["sts:AssumeRoot"],
            resources=[f"arn:aws:iam::{account_id}:root" for account_id in member_account_ids],
            condition={
                "StringEquals": {
                    "sts:TaskPolicyArn": [
                        ROOT_TASK_POLICY_PREFIX + name for name in ROOT_TASK_POLICIES
                    ]
                }
            },
        )
    )


def trust_account(account_id: str, *, require_mfa: bool = True) -> dict[str, Any]:
    """Trust policy letting principals of `account_id` assume a role, with MFA by default."""
    condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}} if require_mfa else None
    return document(
        statement(
            "TrustAccountPrincipals",
            actions=["sts:AssumeRole"],
            resources=None,
            principal={"AWS": f"arn:aws:iam::{account_id}:root"},
            condition=condition,
        )
    )


def attach_and_detach(policy_arn: str, target_arn: str) -> dict[str, Any]:
    """What a budget action's execution role may do: attach and detach one SCP on one target."""
    return document(
        statement(
            "AttachAndDetachOnePolicyOnOneTarget",
            actions=["organizations:AttachPolicy", "organizations:DetachPolicy"],
            resources=[policy_arn, target_arn],
        )
    )
