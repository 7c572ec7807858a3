"""Before the freeze SCP is attached or detached by hand."""

from __future__ import annotations

from dataclasses import dataclass

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_ACCOUNT_BUDGETS,
    OUTPUT_FREEZE_ACTION_IDS,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
)
from foundation.model import Config
from scripts import aws, workspaces
from scripts.guard.checks import (
    REASON_NO_FREEZE_POLICY,
    REASON_NOT_APPLIED,
    REASON_NOT_IN_ORGANIZATION,
    REASON_NOT_MANAGEMENT_CALLER,
    REASON_TARGET_IS_MANAGEMENT,
    Checks,
)
from scripts.guard.member import check_member_account

MEMBER_OF_THIS_ORGANIZATION = "the target is a member account of this organization"


@dataclass
class KillSwitchTarget:
    """What the kill-switch guard verified: the member account, the freeze SCP, and the account's
    budget and budget action (None where its automatic freeze is off)."""

    account_name: str
    account_id: str
    management_account_id: str
    freeze_policy_id: str
    budget_name: str | None
    action_id: str | None


def kill_switch_guard(config: Config, account_name: str, attempt: str) -> KillSwitchTarget:
    """Check every rule before the freeze SCP is attached to or detached from `account_name`
    by hand (`attempt`: "freeze" or "thaw"); raise `Refused` with all reasons."""
    checks = Checks()
    attempted = f"{attempt} the '{account_name}' account"
    if not check_member_account(checks, config, account_name):
        needs = f"'{account_name}' to be a member account"
        checks.skip("management workspace applied", needs)
        checks.skip(MEMBER_OF_THIS_ORGANIZATION, needs)
        checks.refuse_if_any(attempted)

    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account_name)
    management_id = outputs.get(OUTPUT_MANAGEMENT_ACCOUNT_ID)
    policy_id = outputs.get(OUTPUT_FREEZE_POLICY_ID)
    where = f"s3://{config.state_bucket}/{config.state_key(MANAGEMENT_STACK)}"
    named = bool(account_id and management_id and policy_id)
    if not outputs:
        checks.record(
            REASON_NOT_APPLIED,
            False,
            f"{where} has no outputs: run `make apply "
            f"ENV={config.env_name} STACK={MANAGEMENT_STACK}` first",
        )
    elif not named:
        missing = [
            what
            for what, value in (
                ("freeze SCP (apply management again)", policy_id),
                (f"member account '{account_name}'", account_id),
                ("management account id", management_id),
            )
            if not value
        ]
        checks.record(
            REASON_NO_FREEZE_POLICY, False, f"{where} names no {' and no '.join(missing)}"
        )
    else:
        checks.record(
            "management workspace applied",
            True,
            f"{where} names account {account_id} and the freeze SCP {policy_id}",
        )

    if not named:
        checks.skip(MEMBER_OF_THIS_ORGANIZATION, f"the management outputs for '{account_name}'")
    else:
        problem = _membership_problem(config, account_id, management_id)
        if problem:
            checks.record(problem[0], False, problem[1])
        else:
            checks.record(
                MEMBER_OF_THIS_ORGANIZATION,
                True,
                f"Organizations lists {account_id}; the management account, "
                f"{management_id}, is the caller",
            )

    checks.refuse_if_any(attempted)
    return KillSwitchTarget(
        account_name=account_name,
        account_id=account_id,
        management_account_id=management_id,
        freeze_policy_id=policy_id,
        budget_name=outputs.get(OUTPUT_ACCOUNT_BUDGETS, {}).get(account_name),
        action_id=outputs.get(OUTPUT_FREEZE_ACTION_IDS, {}).get(account_name),
    )


def _membership_problem(
    config: Config, account_id: str, management_id: str
) -> tuple[str, str] | None:
    """(reason, detail) why `account_id` may not be frozen or thawed, asked of STS and
    Organizations; None when it is a member of the organization these credentials manage."""
    try:
        caller = aws.account_id(config)
        organizations = aws.client(config, "organizations")
        master = organizations.describe_organization()["Organization"]["MasterAccountId"]
        if account_id not in {management_id, master}:
            organizations.describe_account(AccountId=account_id)
    except aws.ERRORS as error:
        return (
            REASON_NOT_IN_ORGANIZATION,
            f"Organizations could not confirm {account_id} ({aws.explain(error)})",
        )
    if account_id in {management_id, master, caller}:
        return REASON_TARGET_IS_MANAGEMENT, (
            f"{account_id} is the management account (outputs: {management_id}, Organizations: "
            f"{master}, these credentials: {caller}); SCPs never restrict it"
        )
    if caller != master:
        return REASON_NOT_MANAGEMENT_CALLER, (
            f"these credentials are in {caller}, the organization's management account is {master}"
        )
    return None
