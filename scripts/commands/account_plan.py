"""What the management account's plan means for the foundation (AWS's free and paid account
plans, since July 2025), said by `make bootstrap` and `make adopt`; why, with AWS's pages, in
docs/real-aws.md#the-account-plan."""

from __future__ import annotations

from foundation.model import Config
from scripts import aws

UPGRADE = (
    "`aws freetier upgrade-account-plan --account-plan-type PAID` (or the Billing and Cost "
    "Management console)"
)
DOCS = "docs/real-aws.md#the-account-plan"


def plan_notice(config: Config) -> str:
    """One paragraph: the plan, what it means here, and what to do."""
    try:
        plan = aws.account_plan(config)
    except aws.ERRORS as error:
        return (
            f"The management account's plan could not be read ({aws.explain(error)}); the "
            f"Billing and Cost Management console shows it. Why it matters: {DOCS}."
        )
    credits = plan.get("accountPlanRemainingCredits")
    left = f", USD {credits['amount']:.2f} of credits left" if credits else ""
    if plan.get("accountPlanType") == "PAID":
        return (
            f"The management account is on the paid plan{left}: what credits do not cover is "
            "billed. The budgets count gross cost (credits and refunds left out), so credits "
            "hide no spending from their alerts or the kill switch."
        )
    if plan.get("accountPlanStatus") == "EXPIRED":
        return (
            "The management account's free plan has ended (EXPIRED), so AWS has closed the "
            f"account: upgrade it to the paid plan to use it again, {UPGRADE}. Nothing can be "
            f"applied before ({DOCS})."
        )
    ends = plan.get("accountPlanExpirationDate")
    until = f" until {ends:%Y-%m-%d}" if ends else ""
    return (
        f"The management account is on AWS's free plan{until}{left}. On it AWS limits the "
        "services an account may use, and when the plan ends (after six months or once the "
        "credits are spent) the account closes, and with it the organization built in it. "
        "AWS's pages we found do not say whether a free-plan account may create an "
        f"organization ({DOCS}). For a foundation meant to outlive the plan, upgrade to the "
        f"paid plan before the first apply: {UPGRADE}."
    )
