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
    plan: dict, allowed: Collection[str], stack: str, name_prefix: str = ""
) -> None:
    refused = [
        (name, how) for name, how in account_removals(plan, name_prefix) if name not in allowed
    ]
    if not refused:
        return
    names = ",".join(sorted({name for name, _ in refused}))
    raise UserError(
        f"The plan of stack '{stack}' removes {len(refused)} account(s) from the organization; "
        "nothing was changed:\n"
        + "".join(f"  {name}: {how}\n" for name, how in refused)
        + "Removing an account from the environment file removes it from the organization "
        "(close_on_deletion = false): it becomes a standalone account that keeps billing to its "
        "own payment method, and its root user must be recovered by password reset. To close an "
        "account deliberately, close it in the AWS Organizations console or with `aws "
        "organizations close-account --account-id <id>`, remove it from the environment file, "
        f"then run again with {ACCOUNT_REMOVAL_VARIABLE}={names} (make plan/apply "
        f"{ACCOUNT_REMOVAL_VARIABLE}={names}). If the removal is a mistake, restore the account "
        "in the environment file."
    )
