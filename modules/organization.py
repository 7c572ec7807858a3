"""The organization (all features, SCPs on) and its member accounts."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.organizations_account import OrganizationsAccount
from cdktf_cdktf_provider_aws.organizations_organization import (
    OrganizationsOrganization,
)
from constructs import Construct

from foundation.config import Config

# Services trusted to act across the organization: the organization trail and the org-wide
# IAM Access Analyzer always; IAM too when centralized root access is on.
TRUSTED_SERVICES = ["access-analyzer.amazonaws.com", "cloudtrail.amazonaws.com"]
ROOT_ACCESS_SERVICE = "iam.amazonaws.com"


def trusted_services(config: Config) -> list[str]:
    extra = [ROOT_ACCESS_SERVICE] if config.guardrails.centralize_root_access else []
    return sorted(TRUSTED_SERVICES + extra)


class Organization(Construct):
    """Exposes `organization`, `accounts` (by name) and `role_arns` (by name)."""

    def __init__(self, scope: Construct, id: str, *, config: Config):
        super().__init__(scope, id)
        self.organization = OrganizationsOrganization(
            self, "organization", feature_set="ALL",
            aws_service_access_principals=trusted_services(config),
            enabled_policy_types=["SERVICE_CONTROL_POLICY"])
        self.accounts: dict[str, OrganizationsAccount] = {}
        self.role_arns: dict[str, str] = {}
        for member in config.accounts:
            account = OrganizationsAccount(
                self, f"account_{member.name}", name=f"{config.name_prefix}-{member.name}",
                email=member.email, role_name=member.role_name, close_on_deletion=False,
                depends_on=[self.organization],
                # AWS never returns role_name, so a diff on it would replace the account. The
                # name is only set at creation: an adopted account keeps the name it has (renaming
                # it would need the Account Management API's trusted access; the console does it).
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True,
                                                     ignore_changes=["role_name", "name"]))
            self.accounts[member.name] = account
            self.role_arns[member.name] = f"arn:aws:iam::{account.id}:role/{member.role_name}"
