"""The refusal of a plan that removes an account (or the organization) nobody named."""

from __future__ import annotations

from collections.abc import Collection

from scripts.console import UserError

ACCOUNT_REMOVAL_VARIABLE = "ALLOW_ACCOUNT_REMOVAL"
ACCOUNT_TYPE = "aws_organizations_account"
ORGANIZATION_TYPE = "aws_organizations_organization"

# What ALLOW_ACCOUNT_REMOVAL names to allow deleting the organization itself.
ORGANIZATION_NAME = "organization"


def account_removals(plan: dict, name_prefix: str = "") -> list[tuple[str, str]]:
    """(name, how) for each account or organization that `terraform show -json` of a plan
    deletes or replaces; an account by its name in the environment file (the organization's
    name for it without `<name_prefix>-`)."""
    removals = []
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if change.get("type") not in (ACCOUNT_TYPE, ORGANIZATION_TYPE) or "delete" not in actions:
            continue
        before = change["change"].get("before") or {}
        name = before.get("name", "?") if change["type"] == ACCOUNT_TYPE else ORGANIZATION_NAME
        name = name.removeprefix(f"{name_prefix}-") if name_prefix else name
        how = "replaced" if "create" in actions else "removed"
        removals.append((name, f"{change.get('address', change['type'])} would be {how}"))
    return removals


def refuse_account_removals(
    plan: dict, allowed: Collection[str], stack: str, name_prefix: str = "", env_name: str = "<env>"
) -> None:
    refused = [
        (name, how) for name, how in account_removals(plan, name_prefix) if name not in allowed
    ]
    if not refused:
        return
    names = ",".join(sorted({name for name, _ in refused}))
    first = sorted({name for name, _ in refused})[0]
    raise UserError(
        f"The plan of stack '{stack}' removes {len(refused)} account(s) from the organization; "
        "nothing was changed:\n"
        + "".join(f"  {name}: {how}\n" for name, how in refused)
        + "Removing an account from the environment file removes it from the organization "
        "(close_on_deletion = false): it becomes a standalone account that keeps billing to its "
        "own payment method, and its root user must be recovered by password reset. To remove "
        f"one on purpose, in this order ({first} stands for each; "
        "docs/real-aws.md#removing-a-member-account):\n"
        f"  1. While [accounts.{first}] is still in the environment file (put it back if it is "
        f"gone): `make dev-reset ENV={env_name} ACCOUNT={first}` deletes what is in the "
        f"account, then `make dev-destroy ENV={env_name} ACCOUNT={first}` its workspace.\n"
        "  2. To close it as well: the AWS Organizations console, or `aws organizations "
        "close-account --account-id <id>`.\n"
        f"  3. Remove [accounts.{first}] from the file and run again with "
        f"{ACCOUNT_REMOVAL_VARIABLE}={names} (make plan/apply {ACCOUNT_REMOVAL_VARIABLE}={names}); "
        "the apply also deletes the account's empty workspace state.\n"
        "If the removal is a mistake, restore the account in the environment file."
    )
