"""The role admins assume to start root sessions in member accounts (centralized root access).

`sts:AssumeRoot` cannot be called with an admin's own credentials: long-term keys without MFA are
denied everything by the force-MFA policy, and credentials from GetSessionToken may call no STS
API but AssumeRole and GetCallerIdentity. A role session may, so admins assume this role (with
MFA) and call AssumeRoot from it. The role may do nothing else: AssumeRoot into this
organization's member accounts, with one of AWS's task policies.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from foundation import policies
from foundation.contract import root_sessions_role_name
from foundation.model import Config


class RootSessions(Construct):
    """Exposes `role`."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        management_account_id: str,
        member_account_ids: list[str],
    ):
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            name=root_sessions_role_name(config.name_prefix),
            description="Admins assume it with MFA to start root sessions in member accounts",
            assume_role_policy=policies.to_json(policies.trust_account(management_account_id)),
        )
        IamRolePolicy(
            self,
            "assume_root",
            role=self.role.name,
            name="assume-root-in-member-accounts",
            policy=policies.to_json(policies.start_root_sessions(member_account_ids)),
        )
