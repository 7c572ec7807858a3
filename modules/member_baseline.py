"""What every member-account workspace holds: the account's CIS controls, its alias, and a
small, free-when-idle base for experiments.

Everything here is torn down by the dev reset and rebuilt by the next apply.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.iam_account_alias import IamAccountAlias
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from foundation import policies
from foundation.model import Config, MemberAccount
from modules.account_controls import AccountControls, cis_password_policy
from modules.hardened_bucket import HardenedBucket

EXPERIMENTS_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
SANDBOX = "sandbox"  # in the sandbox bucket's name, which the scan exception matches


class MemberBaseline(Construct):
    """Exposes `controls` (AccountControls), `password_policy`, `alias`, `sandbox` and
    `experiments_role`."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        account: MemberAccount,
        management_account_id: str,
        providers: dict[str, AwsProvider],
    ):
        super().__init__(scope, id)
        account_id = DataAwsCallerIdentity(self, "current").account_id
        prefix = f"{config.name_prefix}-{account.name}"
        # No lifecycle rule: `make dev-reset` empties the bucket, and every member apply is
        # 55 s faster without one (see HardenedBucket).
        self.sandbox = HardenedBucket(
            self, "sandbox", lifecycle=False, bucket_name=f"{prefix}-{SANDBOX}-{account_id}"
        )
        self.sandbox.bucket.force_destroy = True  # the reset must be able to empty it
        self.experiments_role = IamRole(
            self,
            "experiments_role",
            name=f"{prefix}-experiments",
            description="Assumed from the management account (with MFA) to run experiments",
            assume_role_policy=policies.to_json(policies.trust_account(management_account_id)),
        )
        IamRolePolicyAttachment(
            self,
            "experiments_power_user",
            role=self.experiments_role.name,
            policy_arn=EXPERIMENTS_POLICY,
        )

        self.controls = AccountControls(
            self,
            "controls",
            config=config,
            providers=providers,
            management_account_id=management_account_id,
        )
        # A member account has no IAM users, but scanners check every account's policy.
        self.password_policy = cis_password_policy(self)
        self.alias = IamAccountAlias(self, "alias", account_alias=account.alias)
