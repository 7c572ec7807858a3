"""Account hygiene in the management account: a CIS password policy for the IAM users, and an
organization-wide IAM Access Analyzer that reports resources shared outside the organization.
"""

from __future__ import annotations

import dataclasses

from cdktf_cdktf_provider_aws.accessanalyzer_analyzer import AccessanalyzerAnalyzer
from cdktf_cdktf_provider_aws.iam_account_password_policy import (
    IamAccountPasswordPolicy,
)
from cdktf_cdktf_provider_aws.organizations_organization import (
    OrganizationsOrganization,
)
from constructs import Construct

from foundation.config import Config
from foundation.contract import CIS_PASSWORD_POLICY


class AccountHygiene(Construct):
    """Exposes `password_policy` and `access_analyzer`."""

    def __init__(self, scope: Construct, id: str, *, config: Config,
                 organization: OrganizationsOrganization):
        super().__init__(scope, id)
        self.password_policy = IamAccountPasswordPolicy(
            self, "password_policy", **dataclasses.asdict(CIS_PASSWORD_POLICY))
        # Needs trusted access for access-analyzer.amazonaws.com, which Organization enables.
        self.access_analyzer = AccessanalyzerAnalyzer(
            self, "access_analyzer", analyzer_name=f"{config.name_prefix}-organization",
            type="ORGANIZATION", depends_on=[organization])
