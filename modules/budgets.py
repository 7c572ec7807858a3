"""Monthly cost budgets: one for the whole organization, one per member account.

All live in the management (payer) account, which sees every member's costs; a member's budget
filters on its linked account. Each threshold e-mails twice: when the month's forecast crosses it
and when the actual cost does. The organization's budget goes to the management email, a
member's to that account's email.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.budgets_budget import (
    BudgetsBudget,
    BudgetsBudgetCostFilter,
    BudgetsBudgetCostTypes,
    BudgetsBudgetNotification,
)
from constructs import Construct

from foundation.config import Config

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
            "organization", f"{config.name_prefix}-organization-monthly",
            config.budgets.organization_monthly_usd, config.management_email)
        self.accounts: dict[str, BudgetsBudget] = {}
        for account in config.accounts:
            self.accounts[account.name] = self.budget(
                f"account_{account.name}", f"{config.name_prefix}-{account.name}-monthly",
                account.monthly_budget_usd, account.email,
                linked_account=account_ids[account.name])

    def budget(self, id: str, name: str, usd: float, email: str, *,
               linked_account: str | None = None) -> BudgetsBudget:
        cost_filter = ([BudgetsBudgetCostFilter(name="LinkedAccount", values=[linked_account])]
                       if linked_account else None)
        return BudgetsBudget(
            self, id, name=name, budget_type="COST", time_unit="MONTHLY",
            limit_amount=amount(usd), limit_unit="USD", cost_filter=cost_filter,
            # Gross cost: promotional credits must not hide a forgotten resource.
            cost_types=BudgetsBudgetCostTypes(include_credit=False, include_refund=False),
            notification=[
                BudgetsBudgetNotification(
                    comparison_operator="GREATER_THAN", notification_type=kind,
                    threshold=percent, threshold_type="PERCENTAGE",
                    subscriber_email_addresses=[email])
                for percent in self.config.budgets.thresholds_percent
                for kind in NOTIFICATION_TYPES])
