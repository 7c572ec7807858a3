"""Monthly cost budgets: one for the whole organization, one per member account; the cost kill
switch on the member budgets; Cost Anomaly Detection.

All live in the management (payer) account, which sees every member's costs; a member's budget
filters on its linked account. Each threshold e-mails twice: when the month's forecast crosses it
and when the actual cost does. The organization's budget goes to the management email, a
member's to that account's email.

The kill switch: when a member account's actual cost passes `freeze_at_percent` of its budget, a
budget action attaches the freeze SCP to that account (SCPs never restrict the management
account, so it has none). See docs/kill-switch.md, "The cost kill switch".
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.budgets_budget import (
    BudgetsBudget,
    BudgetsBudgetCostFilter,
    BudgetsBudgetCostTypes,
    BudgetsBudgetNotification,
)
from cdktf_cdktf_provider_aws.budgets_budget_action import (
    BudgetsBudgetAction,
    BudgetsBudgetActionActionThreshold,
    BudgetsBudgetActionDefinition,
    BudgetsBudgetActionDefinitionScpActionDefinition,
    BudgetsBudgetActionSubscriber,
)
from cdktf_cdktf_provider_aws.ce_anomaly_monitor import CeAnomalyMonitor
from cdktf_cdktf_provider_aws.ce_anomaly_subscription import (
    CeAnomalySubscription,
    CeAnomalySubscriptionSubscriber,
    CeAnomalySubscriptionThresholdExpression,
    CeAnomalySubscriptionThresholdExpressionDimension,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.organizations_policy import OrganizationsPolicy
from constructs import Construct

from foundation import organization_policies, policies
from foundation.model import Config
from modules.organization import Organization

NOTIFICATION_TYPES = ("FORECASTED", "ACTUAL")


def amount(usd: float) -> str:
    """Budgets take the limit as a string: 20 -> "20", 12.5 -> "12.5"."""
    return f"{usd:g}"


class Budgets(Construct):
    """Exposes `organization` and `accounts` (by name)."""

    def __init__(self, scope: Construct, id: str, *, config: Config, account_ids: dict[str, str]):
        super().__init__(scope, id)
        self.config = config
        self.organization = self.budget(
            "organization",
            f"{config.name_prefix}-organization-monthly",
            config.budgets.organization_monthly_usd,
            config.management_email,
        )
        self.accounts: dict[str, BudgetsBudget] = {}
        for account in config.accounts:
            self.accounts[account.name] = self.budget(
                f"account_{account.name}",
                f"{config.name_prefix}-{account.name}-monthly",
                account.monthly_budget_usd,
                account.email,
                linked_account=account_ids[account.name],
            )

    def budget(
        self, id: str, name: str, usd: float, email: str, *, linked_account: str | None = None
    ) -> BudgetsBudget:
        cost_filter = (
            [BudgetsBudgetCostFilter(name="LinkedAccount", values=[linked_account])]
            if linked_account
            else None
        )
        return BudgetsBudget(
            self,
            id,
            name=name,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=amount(usd),
            limit_unit="USD",
            cost_filter=cost_filter,
            # Gross cost: promotional credits must not hide a forgotten resource.
            cost_types=BudgetsBudgetCostTypes(include_credit=False, include_refund=False),
            notification=[
                BudgetsBudgetNotification(
                    comparison_operator="GREATER_THAN",
                    notification_type=kind,
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=[email],
                )
                for percent in self.config.budgets.thresholds_percent
                for kind in NOTIFICATION_TYPES
            ],
        )


BUDGETS_SERVICE = "budgets.amazonaws.com"


class KillSwitch(Construct):
    """One freeze SCP (attached to nothing until a switch fires or `make dev-freeze`), and for
    each member account whose `freeze_at_percent` is above 0 a budget action on its monthly
    budget that attaches the SCP to that account only, run by a role allowed nothing else.
    Exposes `policy`, `actions` and `roles` (by account name)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        organization: Organization,
        budgets: dict[str, BudgetsBudget],
    ):
        super().__init__(scope, id)
        document = organization_policies.freeze_scp()
        organization_policies.refuse_oversized_scp(
            document,
            name="freeze SCP",
            source=config.source,
            remedy="shorten organization_policies.FREEZE_DENIED_ACTIONS",
        )
        self.policy = OrganizationsPolicy(
            self,
            "freeze_scp",
            name=f"{config.name_prefix}-freeze",
            type="SERVICE_CONTROL_POLICY",
            description="The cost kill switch: attached to a member account that overspends "
            "(see the README)",
            content=organization_policies.to_compact_json(document),
            depends_on=[organization.organization],
        )
        management_id = organization.organization.master_account_id
        self.actions: dict[str, BudgetsBudgetAction] = {}
        self.roles: dict[str, IamRole] = {}
        for account in config.accounts:
            if not account.freeze_at_percent:
                continue
            target = organization.accounts[account.name]
            role = IamRole(
                self,
                f"freeze_{account.name}_role",
                name=f"{config.name_prefix}-{account.name}-budget-freeze",
                description=f"AWS Budgets freezes the {account.name} account with this role",
                assume_role_policy=policies.to_json(
                    policies.trust_service(
                        BUDGETS_SERVICE,
                        source_account=management_id,
                        source_arn_pattern=f"arn:aws:budgets::{management_id}:budget/*",
                    )
                ),
            )
            permissions = IamRolePolicy(
                self,
                f"freeze_{account.name}_role_policy",
                name="attach-the-freeze-scp",
                role=role.id,
                policy=policies.to_json(policies.attach_and_detach(self.policy.arn, target.arn)),
            )
            self.roles[account.name] = role
            self.actions[account.name] = BudgetsBudgetAction(
                self,
                f"freeze_{account.name}",
                budget_name=budgets[account.name].name,
                action_type="APPLY_SCP_POLICY",
                approval_model="AUTOMATIC",
                notification_type="ACTUAL",
                execution_role_arn=role.arn,
                action_threshold=BudgetsBudgetActionActionThreshold(
                    action_threshold_type="PERCENTAGE",
                    action_threshold_value=account.freeze_at_percent,
                ),
                definition=BudgetsBudgetActionDefinition(
                    scp_action_definition=BudgetsBudgetActionDefinitionScpActionDefinition(
                        policy_id=self.policy.id, target_ids=[target.id]
                    )
                ),
                subscriber=[
                    BudgetsBudgetActionSubscriber(address=email, subscription_type="EMAIL")
                    for email in (account.email, config.management_email)
                ],
                depends_on=[permissions],
            )


class CostAnomalyDetection(Construct):
    """One AWS-services monitor (AWS allows one per account; in the payer account it watches the
    whole organization's spend by service) and a daily e-mail of anomalies whose total impact
    reaches `budgets.anomaly_alert_usd`. Free of charge. Exposes `monitor` and `subscription`."""

    def __init__(self, scope: Construct, id: str, *, config: Config):
        super().__init__(scope, id)
        self.monitor = CeAnomalyMonitor(
            self,
            "services",
            name=f"{config.name_prefix}-services",
            monitor_type="DIMENSIONAL",
            monitor_dimension="SERVICE",
        )
        self.subscription = CeAnomalySubscription(
            self,
            "alerts",
            name=f"{config.name_prefix}-cost-anomalies",
            frequency="DAILY",
            monitor_arn_list=[self.monitor.arn],
            subscriber=[
                CeAnomalySubscriptionSubscriber(address=config.management_email, type="EMAIL")
            ],
            threshold_expression=CeAnomalySubscriptionThresholdExpression(
                dimension=CeAnomalySubscriptionThresholdExpressionDimension(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                    match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[amount(config.budgets.anomaly_alert_usd)],
                )
            ),
        )
