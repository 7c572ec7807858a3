"""The Free Tier API's account plan (scripts/emulator/extensions/free_tier.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from scripts.emulator.extensions.free_tier import ACCOUNT_PLAN_VARIABLE


def test_an_account_is_on_the_paid_plan_unless_the_emulator_is_told_free(mocked_aws):
    """GetAccountPlanState answers the plan type and status
    (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_freetier_GetAccountPlanState.html)."""
    plan = mocked_aws("freetier").get_account_plan_state()
    assert (plan["accountId"], plan["accountPlanType"], plan["accountPlanStatus"]) == (
        DEFAULT_ACCOUNT_ID,
        "PAID",
        "ACTIVE",
    )


def test_the_free_plan_has_credits_and_an_end_and_upgrades_to_paid_only(mocked_aws, monkeypatch):
    """UpgradeAccountPlan moves a free account to the paid plan
    (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_freetier_UpgradeAccountPlan.html);
    nothing moves an account back."""
    monkeypatch.setenv(ACCOUNT_PLAN_VARIABLE, "FREE")
    freetier = mocked_aws("freetier")
    plan = freetier.get_account_plan_state()
    assert (plan["accountPlanType"], plan["accountPlanRemainingCredits"]) == (
        "FREE",
        {"amount": 100.0, "unit": "USD"},
    )
    ends = plan["accountPlanExpirationDate"] - datetime.now(UTC)
    assert timedelta(days=180) < ends < timedelta(days=184)
    upgraded = freetier.upgrade_account_plan(accountPlanType="PAID")
    assert (upgraded["accountPlanType"], upgraded["accountPlanStatus"]) == ("PAID", "ACTIVE")
    assert freetier.get_account_plan_state()["accountPlanType"] == "PAID"
    with pytest.raises(freetier.exceptions.ValidationException):
        freetier.upgrade_account_plan(accountPlanType="FREE")
