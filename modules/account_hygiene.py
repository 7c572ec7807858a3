"""Account hygiene in the management account: a CIS password policy for the IAM users, and an
organization-wide IAM Access Analyzer in each covered region that reports resources shared
outside the organization (an analyzer sees only its own region).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.accessanalyzer_analyzer import AccessanalyzerAnalyzer
from cdktf_cdktf_provider_aws.organizations_organization import (
    OrganizationsOrganization,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from foundation.model import Config
from modules.account_controls import cis_password_policy


class AccountHygiene(Construct):
    """Exposes `password_policy` and `access_analyzers` (by region)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        organization: OrganizationsOrganization,
        providers: dict[str, AwsProvider],
    ):
        super().__init__(scope, id)
        self.password_policy = cis_password_policy(self)
        # Needs trusted access for access-analyzer.amazonaws.com, which Organization enables.
        self.access_analyzers = {
            region: AccessanalyzerAnalyzer(
                self,
                self._analyzer_id(config, region),
                provider=provider,
                analyzer_name=f"{config.name_prefix}-organization",
                type="ORGANIZATION",
                depends_on=[organization],
            )
            for region, provider in providers.items()
        }

    @staticmethod
    def _analyzer_id(config: Config, region: str) -> str:
        """The home region's analyzer keeps the id it had before the other regions got one."""
        return (
            "access_analyzer"
            if region == config.region
            else f"access_analyzer_{region.replace('-', '_')}"
        )
