"""Administrators (billing access, forced MFA) and the group that may enter member accounts.

No console password or access key is managed here: Terraform state would hold the secret.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_group import IamGroup
from cdktf_cdktf_provider_aws.iam_group_policy import IamGroupPolicy
from cdktf_cdktf_provider_aws.iam_group_policy_attachment import (
    IamGroupPolicyAttachment,
)
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_user import IamUser
from cdktf_cdktf_provider_aws.iam_user_group_membership import IamUserGroupMembership
from constructs import Construct

from foundation import policies
from foundation.contract import ADMINISTRATORS_GROUP
from foundation.model import Config

ADMINISTRATOR_POLICIES = {
    "administrator_access": "arn:aws:iam::aws:policy/AdministratorAccess",
    "billing": "arn:aws:iam::aws:policy/job-function/Billing",
}


class Identity(Construct):
    def __init__(self, scope: Construct, id: str, *, config: Config, member_role_arns: list[str]):
        super().__init__(scope, id)
        prefix = config.name_prefix
        self.administrators = IamGroup(self, "administrators", name=ADMINISTRATORS_GROUP)
        for name, arn in ADMINISTRATOR_POLICIES.items():
            IamGroupPolicyAttachment(
                self, f"administrators_{name}", group=self.administrators.name, policy_arn=arn
            )
        force_mfa = IamPolicy(
            self,
            "force_mfa",
            name=f"{prefix}-force-mfa",
            description="Self-service MFA; deny everything else until MFA is used",
            policy=policies.to_json(policies.force_mfa()),
        )
        IamGroupPolicyAttachment(
            self,
            "administrators_force_mfa",
            group=self.administrators.name,
            policy_arn=force_mfa.arn,
        )

        self.cross_account = IamGroup(self, "cross_account", name=f"{prefix}-member-account-access")
        IamGroupPolicy(
            self,
            "cross_account_assume",
            name="assume-member-account-roles",
            group=self.cross_account.name,
            policy=policies.to_json(policies.assume_member_roles(member_role_arns)),
        )

        self.users = {}
        for user_name in config.admin_users:
            user = IamUser(self, f"admin_{user_name}", name=user_name, force_destroy=False)
            IamUserGroupMembership(
                self,
                f"admin_{user_name}_groups",
                user=user.name,
                groups=[self.administrators.name, self.cross_account.name],
            )
            self.users[user_name] = user
