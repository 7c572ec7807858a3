"""The environment file's `[accounts.<name>]` tables: each member account, its e-mail, role,
alias, budget, kill switch and reset settings, read with foundation/reader.py."""

from __future__ import annotations

import re
from typing import Any

from foundation.contract import DEFAULT_ROLE_NAME, DEV_ACCOUNT, MANAGEMENT_STACK
from foundation.model import (
    DEFAULT_ACCOUNT_BUDGET_USD,
    DEFAULT_FREEZE_AT_PERCENT,
    MAX_THRESHOLD_PERCENT,
    MemberAccount,
)
from foundation.reader import IAM_NAME, Reader

_ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,19}$")

# IAM CreateAccountAlias: no leading, trailing or doubled hyphen.
_ACCOUNT_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
ACCOUNT_ALIAS_EXPECTED = (
    "an IAM account alias: 3-63 lowercase letters, digits and hyphens, not "
    "starting or ending with a hyphen, no two hyphens in a row"
)

# A name or ARN the dev reset keeps: no whitespace or quotes, which would read as YAML syntax.
_RESET_KEEP = re.compile(r"^[A-Za-z0-9+=,.@_/:#*-]{3,2048}$")
RESET_KEEP_EXPECTED = (
    'a list of resource names or ARNs to keep, such as ["my-notes-bucket"] '
    "(each 3-2048 of letters, digits and +=,.@_/:#*-, each once)"
)


def member_accounts(
    reader: Reader, raw: object, organization_budget: float, name_prefix: str
) -> tuple[MemberAccount, ...]:
    table = reader.table(raw, "accounts")
    if DEV_ACCOUNT not in table:
        reader.problems.append(
            f"key 'accounts.{DEV_ACCOUNT}': missing (the development account is required)"
        )
    accounts = []
    for name, entry in table.items():
        prefix = f"accounts.{name}"
        if not _ACCOUNT_NAME.match(name) or name == MANAGEMENT_STACK:
            reader.problem(
                prefix,
                "an account name of 1-20 lowercase letters, digits or hyphens, "
                f"starting with a letter, other than '{MANAGEMENT_STACK}'",
                name,
            )
        entry = reader.table(entry, prefix)
        reader.known_keys(
            entry,
            prefix + ".",
            {"email"},
            {
                "role_name",
                "monthly_budget_usd",
                "alias",
                "freeze_at_percent",
                "allow_commitments",
                "reset_default_vpc",
                "reset_keep",
            },
        )
        email = reader.email(entry, "email", f"{prefix}.email")
        role_name = reader.string(
            entry,
            "role_name",
            f"{prefix}.role_name",
            IAM_NAME,
            "an IAM role name (1-64 of letters, digits and +=,.@_-)",
            default=DEFAULT_ROLE_NAME,
        )
        budget = account_budget(reader, entry, f"{prefix}.monthly_budget_usd", organization_budget)
        alias = account_alias(reader, entry, f"{prefix}.alias", name_prefix, name)
        freeze_at = reader.bounded(
            entry,
            "freeze_at_percent",
            f"{prefix}.freeze_at_percent",
            DEFAULT_FREEZE_AT_PERCENT,
            MAX_THRESHOLD_PERCENT,
            f"a percentage of the account's monthly budget from 0 to {MAX_THRESHOLD_PERCENT} "
            "(0 turns the kill switch off)",
        )
        accounts.append(
            MemberAccount(
                name=name,
                email=email,
                role_name=role_name,
                monthly_budget_usd=budget,
                alias=alias,
                freeze_at_percent=freeze_at,
                allow_commitments=reader.boolean(
                    entry, "allow_commitments", f"{prefix}.allow_commitments", False
                ),
                reset_default_vpc=reader.boolean(
                    entry, "reset_default_vpc", f"{prefix}.reset_default_vpc", False
                ),
                reset_keep=reset_keep(reader, entry.get("reset_keep", []), f"{prefix}.reset_keep"),
            )
        )
    return tuple(accounts)


# aws-nuke refuses an account whose alias contains this, in any letter case (2.x and v3:
# `ValidateAccount` in pkg/config/config.go of rebuy-de/aws-nuke and ekristen/aws-nuke).
NUKE_REFUSED_ALIAS_TERM = "prod"
NUKE_REFUSED_ALIAS = (
    f"an alias without '{NUKE_REFUSED_ALIAS_TERM}' in it (in any letter case): aws-nuke refuses "
    f"an account whose alias contains it, so every `make dev-reset` of the account would fail"
)


def account_alias(
    reader: Reader, entry: dict[str, Any], full_key: str, name_prefix: str, name: str
) -> str:
    """The account's IAM alias (aws-nuke refuses an account without one, and one containing
    'prod'): `alias`, or else <name_prefix>-<account name>, which must then be a valid alias
    itself."""
    if "alias" in entry:
        alias = reader.string(entry, "alias", full_key, _ACCOUNT_ALIAS, ACCOUNT_ALIAS_EXPECTED)
        if NUKE_REFUSED_ALIAS_TERM in alias.lower():
            reader.problem(full_key, f"{NUKE_REFUSED_ALIAS}; set another alias", alias)
        return alias
    default = f"{name_prefix}-{name}"
    # An invalid name_prefix or account name is reported under its own key already.
    if not (NAME_PREFIX.match(name_prefix) and _ACCOUNT_NAME.match(name)):
        return default
    if not _ACCOUNT_ALIAS.match(default):
        reader.problem(
            full_key,
            f"{ACCOUNT_ALIAS_EXPECTED}; the default "
            "'<name_prefix>-<account name>' is not one here, so set alias",
            default,
        )
    elif NUKE_REFUSED_ALIAS_TERM in default:
        reader.problem(
            full_key,
            f"{NUKE_REFUSED_ALIAS}; the default '<name_prefix>-<account name>' has it here, so "
            "set alias",
            default,
        )
    return default


def reset_keep(reader: Reader, keep: object, full_key: str) -> tuple[str, ...]:
    if not isinstance(keep, list):
        reader.problem(full_key, RESET_KEEP_EXPECTED, keep)
        return ()
    for index, entry in enumerate(keep):
        if not isinstance(entry, str) or not _RESET_KEEP.match(entry):
            reader.problem(f"{full_key}[{index}]", RESET_KEEP_EXPECTED, entry)
        elif keep.index(entry) != index:
            reader.problem(f"{full_key}[{index}]", "each name or ARN once", entry)
    return tuple(entry for entry in keep if isinstance(entry, str))


def unique_aliases(reader: Reader, accounts: tuple[MemberAccount, ...]) -> None:
    seen: dict[str, str] = {}
    for account in accounts:
        if account.alias in seen:
            reader.problem(
                f"accounts.{account.name}.alias",
                "an alias not already used by "
                f"'accounts.{seen[account.alias]}' (an account alias is unique "
                "across all of AWS)",
                account.alias,
            )
        seen.setdefault(account.alias, account.name)


def unique_emails(
    reader: Reader, management_email: str, accounts: tuple[MemberAccount, ...]
) -> None:
    seen = {management_email.lower(): "management.email"} if management_email else {}
    for account in accounts:
        key = f"accounts.{account.name}.email"
        if account.email and account.email.lower() in seen:
            reader.problem(
                key,
                f"an email not already used by '{seen[account.email.lower()]}' "
                "(every AWS account needs its own)",
                account.email,
            )
        seen.setdefault(account.email.lower(), key)


def account_budget(
    reader: Reader, entry: dict[str, Any], full_key: str, organization_budget: float
) -> float:
    """A member account's monthly budget: at most the organization's; by default the smaller
    of the two defaults."""
    if "monthly_budget_usd" not in entry:
        return min(DEFAULT_ACCOUNT_BUDGET_USD, organization_budget)  # never inf: a default
    budget = reader.amount(entry, "monthly_budget_usd", full_key, DEFAULT_ACCOUNT_BUDGET_USD)
    if budget > organization_budget:
        reader.problem(
            full_key,
            f"an amount no larger than budgets.organization_monthly_usd ({organization_budget:g})",
            budget,
        )
    return budget
