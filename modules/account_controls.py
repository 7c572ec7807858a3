"""The free CIS AWS Foundations controls every account gets, the management account included.

Account-level S3 Block Public Access (CIS 3.1.4), EBS encryption by default in each covered
region (CIS 6.1.1), and a support role that the management account's admins assume with MFA
(CIS 2.16). The CIS password policy (CIS 2.7, 2.8) is built by `cis_password_policy`, so its
one definition (`foundation.contract.CIS_PASSWORD_POLICY`) reaches every account.
"""

from __future__ import annotations

import dataclasses

from cdktf_cdktf_provider_aws.ebs_encryption_by_default import EbsEncryptionByDefault
from cdktf_cdktf_provider_aws.iam_account_password_policy import (
    IamAccountPasswordPolicy,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_account_public_access_block import (
    S3AccountPublicAccessBlock,
)
from constructs import Construct

from foundation import policies
from foundation.contract import CIS_PASSWORD_POLICY
from foundation.model import Config

SUPPORT_POLICY = "arn:aws:iam::aws:policy/AWSSupportAccess"


def cis_password_policy(scope: Construct, id: str = "password_policy") -> IamAccountPasswordPolicy:
    return IamAccountPasswordPolicy(scope, id, **dataclasses.asdict(CIS_PASSWORD_POLICY))


class AccountControls(Construct):
    """Exposes `public_access_block`, `ebs_encryption` (by region) and `support_role`.

    `providers` holds one provider per region of `config.control_regions`;
    `management_account_id` is the account whose principals may assume the support role."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        providers: dict[str, AwsProvider],
        management_account_id: str,
    ):
        super().__init__(scope, id)
        # Covers every bucket of the account, also those experiments create later.
        self.public_access_block = S3AccountPublicAccessBlock(
            self,
            "s3_public_access_block",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        # New EBS volumes and snapshot copies are encrypted with the free AWS managed key.
        self.ebs_encryption = {
            region: EbsEncryptionByDefault(
                self, f"ebs_encryption_{region.replace('-', '_')}", enabled=True, provider=provider
            )
            for region, provider in providers.items()
        }
        self.support_role = IamRole(
            self,
            "support_role",
            name=f"{config.name_prefix}-support",
            description="Opens and manages AWS Support cases; assumed from the management "
            "account with MFA",
            assume_role_policy=policies.to_json(policies.trust_account(management_account_id)),
        )
        IamRolePolicyAttachment(
            self, "support_access", role=self.support_role.name, policy_arn=SUPPORT_POLICY
        )
