"""Stacks wire constructs together: one management stack, one stack per member account."""

from __future__ import annotations

from cdktf import Aspects, Fn, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_account_password_policy import (
    IamAccountPasswordPolicy,
)
from constructs import Construct

from foundation import contract
from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config, MemberAccount
from modules import aws_settings
from modules.account_controls import AccountControls
from modules.account_hygiene import AccountHygiene
from modules.audit_trail import AuditTrail
from modules.budgets import Budgets, CostAnomalyDetection, KillSwitch
from modules.contacts import AlternateContacts
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
        provider = aws_settings.aws_provider(
            self, config, MANAGEMENT_STACK, allowed_account_ids=pinned
        )
        providers = aws_settings.regional_providers(
            self, config, MANAGEMENT_STACK, provider, allowed_account_ids=pinned
        )
        aws_settings.s3_backend(self, config, MANAGEMENT_STACK)

        org = Organization(self, "organization", config=config)
        identity = Identity(
            self, "identity", config=config, member_role_arns=list(org.role_arns.values())
        )
        audit = AuditTrail(
            self,
            "audit",
            config=config,
            organization_id=org.organization.id,
            depends_on=[org.organization],
        )
        guardrails = Guardrails(self, "guardrails", config=config, organization=org)
        budgets = Budgets(
            self,
            "budgets",
            config=config,
            account_ids={name: account.id for name, account in org.accounts.items()},
        )
        kill_switch = KillSwitch(
            self, "kill_switch", config=config, organization=org, budgets=budgets.accounts
        )
        if config.budgets.anomaly_alert_usd:
            CostAnomalyDetection(self, "cost_anomalies", config=config)
        hygiene = AccountHygiene(
            self, "hygiene", config=config, organization=org.organization, providers=providers
        )
        controls = AccountControls(
            self,
            "controls",
            config=config,
            providers=providers,
            management_account_id=org.organization.master_account_id,
        )
        contacts = AlternateContacts(self, "contacts", config=config, organization=org)
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
            contract.OUTPUT_BASELINE: {
                **baseline_output(controls, hygiene.password_policy),
                "access_analyzers": {
                    region: analyzer.arn for region, analyzer in hygiene.access_analyzers.items()
                },
                "alternate_contacts": {
                    name: [contact.alternate_contact_type for contact in by_type.values()]
                    for name, by_type in contacts.contacts.items()
                },
                **{
                    name: policy.id if policy else ""
                    for name, policy in {
                        "ai_services_opt_out_policy": guardrails.ai_services_opt_out,
                        "tag_policy": guardrails.tag_policy,
                        "no_commitments_policy": guardrails.no_commitments,
                        "resource_control_policy": guardrails.resource_perimeter,
                        "ec2_declarative_policy": guardrails.ec2_protections,
                    }.items()
                },
            },
            contract.OUTPUT_FREEZE_POLICY_ID: kill_switch.policy.id,
            contract.OUTPUT_ORGANIZATION_BUDGET: budgets.organization.name,
            contract.OUTPUT_ACCOUNT_BUDGETS: {name: b.name for name, b in budgets.accounts.items()},
            contract.OUTPUT_FREEZE_ACTION_IDS: {
                name: a.action_id for name, a in kill_switch.actions.items()
            },
        }
        if config.guardrails.centralize_root_access:
            root_sessions = RootSessions(
                self,
                "root_sessions",
                config=config,
                management_account_id=org.organization.master_account_id,
                member_account_ids=[account.id for account in org.accounts.values()],
            )
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
        provider = aws_settings.aws_provider(
            self, config, account.name, assume_role_arn=role_arn, allowed_account_ids=[account_id]
        )
        providers = aws_settings.regional_providers(
            self,
            config,
            account.name,
            provider,
            assume_role_arn=role_arn,
            allowed_account_ids=[account_id],
        )
        aws_settings.s3_backend(self, config, account.name)

        baseline = MemberBaseline(
            self,
            "baseline",
            config=config,
            account=account,
            providers=providers,
            management_account_id=management.get_string(contract.OUTPUT_MANAGEMENT_ACCOUNT_ID),
        )
        Aspects.of(self).add(ScanExceptions())
        TerraformOutput(self, contract.OUTPUT_ACCOUNT_ID, value=account_id)
        TerraformOutput(self, contract.OUTPUT_SANDBOX_BUCKET, value=baseline.sandbox.bucket.id)
        TerraformOutput(
            self, contract.OUTPUT_EXPERIMENTS_ROLE_ARN, value=baseline.experiments_role.arn
        )
        TerraformOutput(
            self,
            contract.OUTPUT_BASELINE,
            value={
                **baseline_output(baseline.controls, baseline.password_policy),
                "account_alias": baseline.alias.account_alias,
            },
        )


def baseline_output(controls: AccountControls, password_policy: IamAccountPasswordPolicy) -> dict:
    """The CIS controls every account holds, as Terraform read them back after the apply."""
    block = controls.public_access_block
    return {
        "s3_public_access_blocked": Fn.alltrue(
            [
                block.block_public_acls,
                block.block_public_policy,
                block.ignore_public_acls,
                block.restrict_public_buckets,
            ]
        ),
        "password_minimum_length": password_policy.minimum_password_length,
        "support_role": controls.support_role.arn,
        "ebs_encryption_by_default": {
            region: resource.enabled for region, resource in controls.ebs_encryption.items()
        },
    }
