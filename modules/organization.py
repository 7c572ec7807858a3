"""The organization (all features, SCPs on) and its member accounts."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.organizations_account import OrganizationsAccount
from cdktf_cdktf_provider_aws.organizations_organization import (
    OrganizationsOrganization,
)
from constructs import Construct

from foundation.model import Config

# Services trusted to act across the organization: the organization trail and the org-wide
# IAM Access Analyzer always; IAM too when centralized root access is on; Account Management
# when the file sets alternate contacts (management sets the members' contacts through it).
TRUSTED_SERVICES = ["access-analyzer.amazonaws.com", "cloudtrail.amazonaws.com"]
ROOT_ACCESS_SERVICE = "iam.amazonaws.com"
ACCOUNT_MANAGEMENT_SERVICE = "account.amazonaws.com"
SCP_TYPE = "SERVICE_CONTROL_POLICY"
RCP_TYPE = "RESOURCE_CONTROL_POLICY"
AI_OPT_OUT_POLICY_TYPE = "AISERVICES_OPT_OUT_POLICY"
TAG_POLICY_TYPE = "TAG_POLICY"
EC2_DECLARATIVE_POLICY_TYPE = "DECLARATIVE_POLICY_EC2"


def trusted_services(config: Config) -> list[str]:
    extra = [ROOT_ACCESS_SERVICE] if config.guardrails.centralize_root_access else []
    if config.contacts.by_type():
        extra.append(ACCOUNT_MANAGEMENT_SERVICE)
    return sorted(TRUSTED_SERVICES + extra)


def policy_types(config: Config) -> list[str]:
    """SCPs always (the kill switch's freeze is one); the other types whose guardrail is on."""
    switched = {
        RCP_TYPE: config.guardrails.resource_perimeter,
        AI_OPT_OUT_POLICY_TYPE: config.guardrails.ai_services_opt_out,
        TAG_POLICY_TYPE: config.guardrails.tag_policy,
        EC2_DECLARATIVE_POLICY_TYPE: config.guardrails.ec2_protections,
    }
    return [SCP_TYPE, *(kind for kind, on in switched.items() if on)]


class Organization(Construct):
    """Exposes `organization`, `accounts` (by name) and `role_arns` (by name)."""

    def __init__(self, scope: Construct, id: str, *, config: Config):
        super().__init__(scope, id)
        self.organization = OrganizationsOrganization(
            self,
            "organization",
            feature_set="ALL",
            aws_service_access_principals=trusted_services(config),
            enabled_policy_types=policy_types(config),
        )
        self.accounts: dict[str, OrganizationsAccount] = {}
        self.role_arns: dict[str, str] = {}
        for member in config.accounts:
            account = OrganizationsAccount(
                self,
                f"account_{member.name}",
                name=f"{config.name_prefix}-{member.name}",
                email=member.email,
                role_name=member.role_name,
                close_on_deletion=False,
                depends_on=[self.organization],
                # AWS never returns role_name, so a diff on it would replace the account. The
                # name is only set at creation: an adopted account keeps the name it has (renaming
                # it would need the Account Management API's trusted access; the console does it).
                lifecycle=TerraformResourceLifecycle(
                    prevent_destroy=True, ignore_changes=["role_name", "name"]
                ),
            )
            self.accounts[member.name] = account
            self.role_arns[member.name] = f"arn:aws:iam::{account.id}:role/{member.role_name}"
