"""Stacks wire constructs together: one management stack, one stack per member account."""

from __future__ import annotations

from cdktf import Aspects, Fn, TerraformOutput, TerraformStack
from constructs import Construct

from foundation import contract
from foundation.config import Config, MemberAccount
from foundation.contract import MANAGEMENT_STACK
from modules import aws_settings
from modules.account_hygiene import AccountHygiene
from modules.audit_trail import AuditTrail
from modules.budgets import Budgets
from modules.guardrails import Guardrails, ScanExceptions
from modules.identity import Identity
from modules.member_baseline import MemberBaseline
from modules.organization import Organization
from modules.root_sessions import RootSessions


class ManagementStack(TerraformStack):
    """Runs with management-account credentials. Nothing experimental goes here."""

    def __init__(self, scope: Construct, config: Config):
        super().__init__(scope, MANAGEMENT_STACK)
        # Pinned: with another account's credentials terraform refuses before it changes anything.
        pinned = [config.management_account_id] if config.management_account_id else None
        aws_settings.aws_provider(self, config, MANAGEMENT_STACK, allowed_account_ids=pinned)
        aws_settings.s3_backend(self, config, MANAGEMENT_STACK)

        org = Organization(self, "organization", config=config)
        identity = Identity(self, "identity", config=config,
                            member_role_arns=list(org.role_arns.values()))
        audit = AuditTrail(self, "audit", config=config, organization_id=org.organization.id,
                           depends_on=[org.organization])
        Guardrails(self, "guardrails", config=config, organization=org,
                   trail_arn=audit.trail.arn, log_bucket_arn=audit.log_bucket.bucket.arn)
        Budgets(self, "budgets", config=config,
                account_ids={name: account.id for name, account in org.accounts.items()})
        AccountHygiene(self, "hygiene", config=config, organization=org.organization)
        Aspects.of(self).add(ScanExceptions())

        outputs = {
            contract.OUTPUT_ORGANIZATION_ID: org.organization.id,
            contract.OUTPUT_MANAGEMENT_ACCOUNT_ID: org.organization.master_account_id,
            contract.OUTPUT_MEMBER_ACCOUNT_IDS: {name: a.id for name, a in org.accounts.items()},
            contract.OUTPUT_MEMBER_ROLE_ARNS: org.role_arns,
            contract.OUTPUT_TRAIL_ARN: audit.trail.arn,
            contract.OUTPUT_TRAIL_BUCKET: audit.log_bucket.bucket.id,
            contract.OUTPUT_ADMINISTRATORS_GROUP: identity.administrators.name,
            contract.OUTPUT_CROSS_ACCOUNT_GROUP: identity.cross_account.name,
        }
        if config.guardrails.centralize_root_access:
            root_sessions = RootSessions(
                self, "root_sessions", config=config,
                management_account_id=org.organization.master_account_id,
                member_account_ids=[account.id for account in org.accounts.values()])
            outputs[contract.OUTPUT_ROOT_SESSIONS_ROLE_ARN] = root_sessions.role.arn
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)


class MemberAccountStack(TerraformStack):
    """A member account's workspace, applied by assuming its role from management credentials.

    The account id comes from the management workspace's outputs; the provider refuses to act
    in any other account.
    """

    def __init__(self, scope: Construct, config: Config, account: MemberAccount):
        super().__init__(scope, account.name)
        management = aws_settings.remote_state(self, config, MANAGEMENT_STACK)
        account_id = Fn.lookup(management.get(contract.OUTPUT_MEMBER_ACCOUNT_IDS), account.name)
        role_arn = Fn.lookup(management.get(contract.OUTPUT_MEMBER_ROLE_ARNS), account.name)
        aws_settings.aws_provider(self, config, account.name, assume_role_arn=role_arn,
                                  allowed_account_ids=[account_id])
        aws_settings.s3_backend(self, config, account.name)

        baseline = MemberBaseline(
            self, "baseline", config=config, account=account,
            management_account_id=management.get_string(contract.OUTPUT_MANAGEMENT_ACCOUNT_ID))
        Aspects.of(self).add(ScanExceptions())
        TerraformOutput(self, contract.OUTPUT_ACCOUNT_ID, value=account_id)
        TerraformOutput(self, contract.OUTPUT_SANDBOX_BUCKET, value=baseline.sandbox.bucket.id)
        TerraformOutput(self, contract.OUTPUT_EXPERIMENTS_ROLE_ARN,
                        value=baseline.experiments_role.arn)
