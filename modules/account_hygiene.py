"""Account hygiene in the management account: a CIS password policy for the IAM users, and an
organization-wide IAM Access Analyzer that reports resources shared outside the organization.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.accessanalyzer_analyzer import AccessanalyzerAnalyzer
from cdktf_cdktf_provider_aws.iam_account_password_policy import IamAccountPasswordPolicy
from cdktf_cdktf_provider_aws.organizations_organization import OrganizationsOrganization
from constructs import Construct

from scripts.config import Config

# CIS AWS Foundations Benchmark: at least 14 characters, no reuse of the last 24 passwords.
MINIMUM_PASSWORD_LENGTH = 14
PASSWORD_REUSE_PREVENTION = 24


class AccountHygiene(Construct):
    """Exposes `password_policy` and `access_analyzer`."""

    def __init__(self, scope: Construct, id: str, *, config: Config,
                 organization: OrganizationsOrganization):
        super().__init__(scope, id)
        self.password_policy = IamAccountPasswordPolicy(
            self, "password_policy", minimum_password_length=MINIMUM_PASSWORD_LENGTH,
            password_reuse_prevention=PASSWORD_REUSE_PREVENTION,
            require_lowercase_characters=True, require_uppercase_characters=True,
            require_numbers=True, require_symbols=True, allow_users_to_change_password=True)
        # Needs trusted access for access-analyzer.amazonaws.com, which Organization enables.
        self.access_analyzer = AccessanalyzerAnalyzer(
            self, "access_analyzer", analyzer_name=f"{config.name_prefix}-organization",
            type="ORGANIZATION", depends_on=[organization])
