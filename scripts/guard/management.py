"""Rule 6 on its own: the credentials are the management account the environment file pins."""

from __future__ import annotations

from foundation.model import Config
from scripts.console import UserError


def pinned_management_problem(
    config: Config, account_id: str | None, seen: str = "these credentials land in"
) -> str | None:
    """Why `account_id` is not the management account the environment file pins (None: it is,
    or the file pins none). `seen` says where the id comes from."""
    pinned = config.management_account_id
    if pinned is None or account_id == pinned:
        return None
    found = f"account {account_id}" if account_id else "an account STS could not name"
    return (
        f"{seen} {found}, but {config.source.name} pins the management account {pinned} "
        "([management] account_id): use that account's credentials, or correct the id in "
        "the file"
    )


def require_pinned_management_account(config: Config, caller_account_id: str | None) -> None:
    """Refuse, before anything runs, credentials that are not the pinned management account."""
    problem = pinned_management_problem(config, caller_account_id)
    if problem:
        raise UserError(f"Refusing to act; nothing was changed: {problem}.")
