"""Guardrails: the member accounts' service control policies (the guardrails, and the standing
guard against commitments where an account has not lifted it), the organization's resource
control policy and management policies on the root (AI services opt-out, tags, EC2 declarative),
centralized root access, and the security scan's documented exceptions.

SCPs are attached to each member account, never to the management account (SCPs cannot restrict
it anyway) nor to the organization root. Their deny-root statement exempts root sessions
started with sts:AssumeRoot, which is how centralized root access works; see
docs/guardrails.md, "Root access: how the deny-root SCP and root sessions fit together".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jsii
from cdktf import IAspect, TerraformResource
from cdktf_cdktf_provider_aws.iam_organizations_features import IamOrganizationsFeatures
from cdktf_cdktf_provider_aws.organizations_policy import OrganizationsPolicy
from cdktf_cdktf_provider_aws.organizations_policy_attachment import (
    OrganizationsPolicyAttachment,
)
from constructs import Construct, IConstruct

from foundation import management_policies, organization_policies
from foundation.contract import ROOT_ACCESS_FEATURES
from foundation.model import Config
from modules.member_baseline import SANDBOX
from modules.organization import (
    AI_OPT_OUT_POLICY_TYPE,
    EC2_DECLARATIVE_POLICY_TYPE,
    RCP_TYPE,
    SCP_TYPE,
    TAG_POLICY_TYPE,
    Organization,
)

# Stands in for the organization id when the resource control policy's final size is estimated.
_PLACEHOLDER_ORGANIZATION_ID = "o-abcdefghij"


class Guardrails(Construct):
    """Exposes `policy` (None when every SCP guardrail is off), `attachments` (by account name),
    `no_commitments` and `commitment_guards` (by account name; None and empty when every account
    allows commitments), `root_access` (None when centralized root access is off), and
    `resource_perimeter`, `ai_services_opt_out`, `tag_policy` and `ec2_protections` (each None
    when switched off)."""

    def __init__(self, scope: Construct, id: str, *, config: Config, organization: Organization):
        super().__init__(scope, id)
        settings = config.guardrails
        self.organization = organization
        self.policy: OrganizationsPolicy | None = None
        self.attachments: dict[str, OrganizationsPolicyAttachment] = {}
        self.root_access: IamOrganizationsFeatures | None = None

        document = self.scp(config)
        if document is not None:
            check_scp_size(config)
            self.policy, self.attachments = self.member_policy(
                "member_accounts_scp",
                f"{config.name_prefix}-guardrails",
                "Guardrails of every member account (docs/guardrails.md)",
                document,
                [account.name for account in config.accounts],
            )
        guarded = [account.name for account in config.accounts if not account.allow_commitments]
        self.no_commitments, self.commitment_guards = (
            self.member_policy(
                "no_commitments",
                f"{config.name_prefix}-no-commitments",
                "No Savings Plans, reservations, subscriptions or domains (docs/guardrails.md)",
                organization_policies.no_commitments_scp(),
                guarded,
            )
            if guarded
            else (None, {})
        )

        if settings.centralize_root_access:
            # Needs trusted access for iam.amazonaws.com, which Organization enables.
            self.root_access = IamOrganizationsFeatures(
                self,
                "root_access",
                enabled_features=list(ROOT_ACCESS_FEATURES),
                depends_on=[organization.organization],
            )

        self.resource_perimeter: OrganizationsPolicy | None = None
        if settings.resource_perimeter:
            check_rcp_size(config)
            self.resource_perimeter = self.root_policy(
                "resource_perimeter",
                f"{config.name_prefix}-resource-perimeter",
                RCP_TYPE,
                organization_policies.resource_perimeter_rcp(organization.organization.id),
                "Only this organization reaches its member accounts' data, over TLS",
            )
        self.ai_services_opt_out = (
            self.root_policy(
                "ai_services_opt_out",
                f"{config.name_prefix}-ai-services-opt-out",
                AI_OPT_OUT_POLICY_TYPE,
                management_policies.ai_services_opt_out(),
                "Opts every account out of AI services using its content to improve them",
            )
            if settings.ai_services_opt_out
            else None
        )
        self.tag_policy = (
            self.root_policy(
                "tag_policy",
                f"{config.name_prefix}-tags",
                TAG_POLICY_TYPE,
                management_policies.tag_policy(foundation_tags(config)),
                "The foundation's tag keys and values (reported, not enforced)",
            )
            if settings.tag_policy
            else None
        )
        self.ec2_protections = (
            self.root_policy(
                "ec2_protections",
                f"{config.name_prefix}-ec2-protections",
                EC2_DECLARATIVE_POLICY_TYPE,
                management_policies.ec2_declarative_policy(),
                "No public AMIs or snapshots, IMDSv2 by default, no serial console",
            )
            if settings.ec2_protections
            else None
        )

    def member_policy(
        self, id: str, name: str, description: str, content: dict, account_names: list[str]
    ) -> tuple[OrganizationsPolicy, dict[str, OrganizationsPolicyAttachment]]:
        """An SCP attached to each named member account, by id."""
        policy = OrganizationsPolicy(
            self,
            id,
            name=name,
            type=SCP_TYPE,
            description=description,
            content=organization_policies.to_compact_json(content),
            depends_on=[self.organization.organization],
        )
        attachments = {
            account: OrganizationsPolicyAttachment(
                self,
                f"{id}_{account}",
                policy_id=policy.id,
                target_id=self.organization.accounts[account].id,
            )
            for account in account_names
        }
        return policy, attachments

    def root_policy(
        self, id: str, name: str, policy_type: str, content: dict, description: str
    ) -> OrganizationsPolicy:
        """A policy attached to the organization root, so every account inherits it. Attaching
        needs the type enabled on the root, which Organization does; creating it needs the
        organization (AWSOrganizationsNotInUseException before it exists)."""
        organization = self.organization.organization
        policy = OrganizationsPolicy(
            self,
            id,
            name=name,
            type=policy_type,
            description=description,
            content=organization_policies.to_compact_json(content),
            depends_on=[organization],
        )
        OrganizationsPolicyAttachment(
            self, f"{id}_root", policy_id=policy.id, target_id=organization.roots.get(0).id
        )
        return policy

    @staticmethod
    def scp(config: Config) -> dict | None:
        settings = config.guardrails
        return organization_policies.guardrails_scp(
            deny_leave=settings.deny_leave_organization,
            deny_root=settings.deny_member_root,
            allowed_regions=settings.allowed_regions,
            protected_roles=[a.role_name for a in config.accounts]
            if settings.protect_member_role
            else (),
            member_roles=[a.role_name for a in config.accounts],
        )


def foundation_tags(config: Config) -> dict[str, list[str]]:
    """Every tag key the foundation writes, with the values it writes under it in any
    workspace."""
    tags: dict[str, set[str]] = {}
    for workspace in config.stack_names:
        for key, value in config.workspace_tags(workspace).items():
            tags.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in tags.items()}


def check_scp_size(config: Config) -> int:
    """The guardrails SCP's size; refuses one AWS would reject."""
    return organization_policies.refuse_oversized_scp(
        Guardrails.scp(config),
        name="guardrails SCP",
        source=config.source,
        remedy="list fewer guardrails.allowed_regions",
    )


def check_rcp_size(config: Config) -> int:
    """The resource control policy's size once Terraform filled in the organization id."""
    return organization_policies.refuse_oversized_scp(
        organization_policies.resource_perimeter_rcp(_PLACEHOLDER_ORGANIZATION_ID),
        name="resource perimeter RCP",
        source=config.source,
        remedy="shorten organization_policies.resource_perimeter_rcp",
    )


# --- Security scan exceptions --------------------------------------------------------------------
# checkov checks that do not fit a personal learning organization, each with its reason. They are
# written into the resource they concern (in its "//" comment block, as checkov:skip=ID:reason
# lines), so the synthesized JSON says why a check does not apply where it does not.
# checkov's terraform_json runner does not read inline skips (bridgecrewio/checkov#4634), so
# tests/test_security_scan.py applies these lines itself and flags any that no longer match a
# failed check.


@dataclass(frozen=True)
class ScanException:
    resource_type: str
    check_id: str
    reason: str
    applies: Callable[[TerraformResource], bool] = lambda resource: True


_NO_SECOND_COPY = "a learner's organization keeps one copy of its data: replication doubles cost"
SCAN_EXCEPTIONS: tuple[ScanException, ...] = (
    ScanException(
        "aws_s3_bucket",
        "CKV_AWS_18",
        "no access-log bucket: CloudTrail already records who changed the bucket, and "
        "a log bucket per bucket would need its own logging",
    ),
    ScanException("aws_s3_bucket", "CKV_AWS_144", _NO_SECOND_COPY),
    ScanException(
        "aws_s3_bucket",
        "CKV_AWS_145",
        "SSE-S3 (AES256) encryption: a customer-managed KMS key costs a monthly fee "
        "and adds a key policy to keep right, for no gain in a one-person org",
    ),
    ScanException(
        "aws_s3_bucket", "CKV2_AWS_62", "no consumer for S3 event notifications in this foundation"
    ),
    ScanException(
        "aws_s3_bucket",
        "CKV2_AWS_61",
        "the member sandbox bucket has no lifecycle rule: `make dev-reset` empties it, "
        "and a lifecycle configuration costs every member apply 55 s",
        lambda resource: f"-{SANDBOX}-" in (resource.bucket_input or ""),
    ),
    ScanException(
        "aws_cloudtrail",
        "CKV_AWS_35",
        "logs are encrypted with SSE-S3 in the hardened bucket; a KMS key costs a "
        "monthly fee and must trust every member account",
    ),
    ScanException(
        "aws_cloudtrail",
        "CKV_AWS_252",
        "no SNS topic: nobody subscribes to per-log-file delivery notices",
    ),
    ScanException(
        "aws_cloudtrail",
        "CKV2_AWS_10",
        "no CloudWatch Logs copy: its ingestion is paid; the logs stay in S3",
    ),
    ScanException(
        "aws_iam_user",
        "CKV_AWS_273",
        "IAM Identity Center is not part of this foundation: admins are IAM users "
        "with forced MFA and no managed password or access key",
    ),
    ScanException(
        "aws_iam_group_policy_attachment",
        "CKV_AWS_274",
        "the Administrators group of a personal organization is meant to hold "
        "AdministratorAccess; its members must use MFA",
        lambda resource: resource.policy_arn_input == "arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    ScanException(
        "aws_iam_account_password_policy",
        "CKV_AWS_9",
        "no forced password expiry: CIS AWS Foundations 1.4+ and NIST SP 800-63B "
        "advise against periodic rotation; length, classes and reuse are enforced",
    ),
)


def skip_comment(exception: ScanException) -> str:
    return f"checkov:skip={exception.check_id}:{exception.reason}"


@jsii.implements(IAspect)
class ScanExceptions:
    """Aspect writing the matching SCAN_EXCEPTIONS into each resource of a stack."""

    def __init__(self, exceptions: tuple[ScanException, ...] = SCAN_EXCEPTIONS):
        self.exceptions = exceptions

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource):
            return
        skips = [
            skip_comment(e)
            for e in self.exceptions
            if e.resource_type == node.terraform_resource_type and e.applies(node)
        ]
        if skips:
            node.add_override("//.checkov.skip", skips)
