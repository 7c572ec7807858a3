"""The cost kill switch by hand, and what the budgets say: `make dev-freeze`, `make dev-thaw`,
`make status`.

Freezing attaches the freeze SCP to a member account through Organizations. Thawing detaches it:
through AWS Budgets (`REVERSE_BUDGET_ACTION`) when the account's budget action is what froze it,
so that Budgets knows — AWS documents that a reversed action is not evaluated again for the rest
of the budget period, so the account is not frozen again this month — and directly otherwise. A
detach behind Budgets' back would leave the action in EXECUTION_SUCCESS, and a later reverse
would fail. Both ask the guard first (scripts/guard/); a thaw also asks for the typed account
id.

`status` reads spend from the Budgets API only (DescribeBudget's CalculatedSpend, what AWS Budgets
last computed): the Cost Explorer API costs money per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_ACCOUNT_BUDGETS,
    OUTPUT_FREEZE_ACTION_IDS,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_ORGANIZATION_BUDGET,
)
from foundation.model import Config
from scripts import aws, workspaces
from scripts.commands import ACCOUNT, YES, Command
from scripts.console import UserError, say, say_table
from scripts.guard.approval import approved_without_asking, confirmed
from scripts.guard.kill_switch import KillSwitchTarget, kill_switch_guard

EXECUTED, REVERSED, FAILED = "EXECUTION_SUCCESS", "REVERSE_SUCCESS", "EXECUTION_FAILURE"
# What Organizations answers when the freeze SCP is on the account already (AttachPolicy, AWS
# Organizations API reference): a hand freeze and the budget action meet it, in either order.
ALREADY_ATTACHED = "DuplicatePolicyAttachmentException"
# AWS runs an execution in the background (…_IN_PROGRESS); the emulator finishes at once.
SETTLE_TIMEOUT_SECONDS = 300
SETTLE_POLL_SECONDS = 5
NO_VALUE = "-"


def is_frozen(config: Config, account_id: str, policy_id: str) -> bool:
    """Whether Organizations has the freeze SCP attached to the account."""
    pages = (
        aws.client(config, "organizations")
        .get_paginator("list_policies_for_target")
        .paginate(TargetId=account_id, Filter="SERVICE_CONTROL_POLICY")
    )
    return any(policy["Id"] == policy_id for page in pages for policy in page["Policies"])


def budget_action(
    config: Config, management_id: str, budget_name: str | None, action_id: str | None
) -> dict | None:
    """The account's budget action as AWS Budgets describes it; None where the switch is off."""
    if not (budget_name and action_id):
        return None
    return aws.client(config, "budgets").describe_budget_action(
        AccountId=management_id, BudgetName=budget_name, ActionId=action_id
    )["Action"]


def freeze(config: Config, account_name: str) -> None:
    target = kill_switch_guard(config, account_name, "freeze")
    already = f"Account '{account_name}' ({target.account_id}) is already frozen; nothing changed."
    if is_frozen(config, target.account_id, target.freeze_policy_id):
        say(already)
        return
    try:
        aws.client(config, "organizations").attach_policy(
            PolicyId=target.freeze_policy_id, TargetId=target.account_id
        )
    except ClientError as error:  # the budget action froze it since the check above
        if error.response["Error"]["Code"] != ALREADY_ATTACHED:
            raise
        say(already)
        return
    if not is_frozen(config, target.account_id, target.freeze_policy_id):
        raise UserError(
            f"Organizations accepted the attachment but does not list the freeze SCP "
            f"{target.freeze_policy_id} on {target.account_id}: run `make status "
            f"ENV={config.env_name}` and try again."
        )
    say(
        f"Account '{account_name}' ({target.account_id}) is frozen: nothing new that costs money "
        f"can be created or started there; reads, stops and deletes still work. Thaw it with "
        f"`make dev-thaw ENV={config.env_name} ACCOUNT={account_name}`."
    )


def thaw(config: Config, account_name: str, *, auto_approve: bool) -> None:
    target = kill_switch_guard(config, account_name, "thaw")
    if not is_frozen(config, target.account_id, target.freeze_policy_id):
        say(f"Account '{account_name}' ({target.account_id}) is not frozen; nothing changed.")
        return
    action = budget_action(
        config, target.management_account_id, target.budget_name, target.action_id
    )
    confirmed(
        f"Thaw account {target.account_id} ('{account_name}'), so that resources that cost "
        "money can be created there again?",
        target.account_id,
        auto_approve=auto_approve,
        skipped=f"thawing account {target.account_id}",
    )
    if action and action["Status"] == EXECUTED:
        say("      Its budget action froze it: reversing the action through AWS Budgets…")
        action = _executed(config, target, "REVERSE_BUDGET_ACTION")
        if action["Status"] != REVERSED:
            raise UserError(
                f"AWS Budgets could not reverse the action (status "
                f"{action['Status']}); the account is still frozen. See the action "
                "history in the Budgets console, then run this again."
            )
    if is_frozen(config, target.account_id, target.freeze_policy_id):  # frozen by hand too
        aws.client(config, "organizations").detach_policy(
            PolicyId=target.freeze_policy_id, TargetId=target.account_id
        )
    if is_frozen(config, target.account_id, target.freeze_policy_id):
        raise UserError(
            f"The freeze SCP is still attached to {target.account_id}: run `make "
            f"status ENV={config.env_name}` and try again."
        )
    if action and action["Status"] == FAILED:
        say("      Its budget action failed, the SCP being on already: re-arming it…")
        action = _executed(config, target, "RESET_BUDGET_ACTION")
    after = _after_thaw(config, target, action)
    say(f"Account '{account_name}' ({target.account_id}) is thawed. {after}")


def _executed(config: Config, target: KillSwitchTarget, execution_type: str) -> dict:
    """The budget action once AWS Budgets has carried out `execution_type` on it (or after the
    timeout)."""
    aws.client(config, "budgets").execute_budget_action(
        AccountId=target.management_account_id,
        BudgetName=target.budget_name,
        ActionId=target.action_id,
        ExecutionType=execution_type,
    )
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        action = budget_action(
            config, target.management_account_id, target.budget_name, target.action_id
        )
        if not action["Status"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return action
        time.sleep(SETTLE_POLL_SECONDS)


def _after_thaw(config: Config, target: KillSwitchTarget, action: dict | None) -> str:
    if action is None:
        return "Its automatic freeze is off (freeze_at_percent = 0)."
    if action["Status"] == REVERSED:
        return (
            "AWS Budgets will not freeze it again this month (a reversed action is not "
            "evaluated for the rest of the budget period). To re-arm the switch sooner, e.g. "
            "after raising the budget: "
            + aws.cli_hint(
                config,
                f"budgets execute-budget-action --account-id {target.management_account_id} "
                f"--budget-name {target.budget_name} --action-id {target.action_id} "
                "--execution-type RESET_BUDGET_ACTION",
            )
        )
    return (
        f"Its kill switch stays {_switch(action)}: AWS Budgets freezes the account again if "
        "this month's actual cost passes the threshold."
    )


# --- make status ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountState:
    """One row of `make status`."""

    name: str
    account_id: str
    frozen: str
    budget: str
    limit_usd: str
    actual_usd: str
    forecast_usd: str
    kill_switch: str


def account_states(config: Config) -> list[AccountState]:
    """Management first, then every member account, as Organizations and AWS Budgets see them."""
    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    policy_id = outputs.get(OUTPUT_FREEZE_POLICY_ID)
    if not policy_id:
        raise UserError(
            f"The management workspace has no kill switch outputs yet: run `make apply "
            f"ENV={config.env_name} STACK={MANAGEMENT_STACK}` first."
        )
    management_id = outputs[OUTPUT_MANAGEMENT_ACCOUNT_ID]
    budgets = aws.client(config, "budgets")

    def spend(budget_name: str) -> dict:
        return budgets.describe_budget(AccountId=management_id, BudgetName=budget_name)["Budget"]

    organization = spend(outputs[OUTPUT_ORGANIZATION_BUDGET])
    states = [
        AccountState(
            MANAGEMENT_STACK,
            management_id,
            "never",
            organization["BudgetName"],
            *_amounts(organization),
            "none: SCPs never restrict management",
        )
    ]
    for account in config.accounts:
        account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account.name)
        budget_name = outputs.get(OUTPUT_ACCOUNT_BUDGETS, {}).get(account.name)
        if not (account_id and budget_name):
            states.append(
                AccountState(
                    account.name,
                    "not created yet",
                    NO_VALUE,
                    NO_VALUE,
                    NO_VALUE,
                    NO_VALUE,
                    NO_VALUE,
                    NO_VALUE,
                )
            )
            continue
        action = budget_action(
            config,
            management_id,
            budget_name,
            outputs.get(OUTPUT_FREEZE_ACTION_IDS, {}).get(account.name),
        )
        states.append(
            AccountState(
                account.name,
                account_id,
                "FROZEN" if is_frozen(config, account_id, policy_id) else "no",
                budget_name,
                *_amounts(spend(budget_name)),
                _switch(action) if action else "off (freeze_at_percent = 0)",
            )
        )
    return states


def _amounts(budget: dict) -> tuple[str, str, str]:
    """(limit, actual, forecast) in USD; AWS leaves out a forecast it cannot make yet."""
    spent = budget.get("CalculatedSpend", {})

    def usd(money: dict | None) -> str:
        return f"{float(money['Amount']):.2f}" if money else NO_VALUE

    return (
        usd(budget.get("BudgetLimit")),
        usd(spent.get("ActualSpend")),
        usd(spent.get("ForecastedSpend")),
    )


def _switch(action: dict) -> str:
    threshold = f"{action['ActionThreshold']['ActionThresholdValue']:g} %"
    meaning = {
        "STANDBY": f"armed at {threshold}",
        EXECUTED: f"fired at {threshold}",
        REVERSED: "reversed: off until next month",
        FAILED: f"failed at {threshold}: frozen by hand already; a thaw re-arms it",
    }.get(action["Status"], f"at {threshold}")
    return f"{meaning} ({action['Status']})"


def status(config: Config) -> None:
    states = account_states(config)
    say(
        f"Accounts of '{config.env_name}': freeze SCP attached or not (Organizations), this "
        "month's budget and spend as AWS Budgets last computed it (refreshed a few times a day), "
        "and each kill switch."
    )
    say_table(
        (
            "ACCOUNT",
            "ID",
            "FROZEN",
            "BUDGET",
            "LIMIT USD",
            "ACTUAL USD",
            "FORECAST USD",
            "KILL SWITCH",
        ),
        [
            (
                s.name,
                s.account_id,
                s.frozen,
                s.budget,
                s.limit_usd,
                s.actual_usd,
                s.forecast_usd,
                s.kill_switch,
            )
            for s in states
        ],
    )
    if any(s.frozen == "FROZEN" for s in states):
        say(f"Thaw a frozen account with `make dev-thaw ENV={config.env_name} ACCOUNT=<name>`.")


COMMANDS = (
    Command(
        "dev-freeze",
        "attach the freeze SCP to a member account by hand (--account, default dev), guarded",
        lambda config, args: freeze(config, args.account),
        (ACCOUNT,),
    ),
    Command(
        "dev-thaw",
        "detach the freeze SCP from a member account, after the guard and a typed account id",
        lambda config, args: thaw(
            config, args.account, auto_approve=approved_without_asking(args.account, yes=args.yes)
        ),
        (ACCOUNT, YES),
    ),
    Command(
        "status",
        "every account: frozen or not, this month's budget and spend (Budgets API), kill switch",
        lambda config, args: status(config),
    ),
)
