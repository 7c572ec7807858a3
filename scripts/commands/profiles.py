"""AWS CLI profiles for every account of an environment: `make profiles` (`WRITE=1` to install).

One profile for the management account (an admin user's access key, with its MFA device), one
per member account that assumes the member's role from it, and, with centralized root access, one
for the management account's root-sessions role (the one that may call `sts:AssumeRoot`).
Printed to stdout by default; `--write` puts them into the AWS CLI config file
(`$AWS_CONFIG_FILE` or ~/.aws/config, or `--config-file`) between marker comments, after a
timestamped backup. A later run replaces that block in place, so it never duplicates sections; a
same-named section outside the block is refused rather than shadowed.

Account ids come from the management workspace's outputs (the state bucket), then the
environment file's `[management] account_id`, then STS; when none answers, a placeholder and a
note say what to fill in.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

from foundation.contract import (
    MANAGED_BY,
    MANAGEMENT_STACK,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    root_sessions_role_name,
)
from foundation.model import Config, MemberAccount
from scripts import aws, workspaces
from scripts.commands import Command, Flag
from scripts.console import UserError, say
from scripts.templates import ACCOUNT_ID_PLACEHOLDER, render

T = TypeVar("T")


def default_config_file() -> Path:
    return Path(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")).expanduser()


def _unless_unavailable(lookup: Callable[[], T]) -> T | None:
    """The lookup's answer, or None when the state bucket or AWS cannot give it."""
    try:
        return lookup()
    except (UserError, *aws.ERRORS):
        return None


def management_account_id(config: Config) -> str | None:
    outputs = _unless_unavailable(lambda: workspaces.state_outputs(config, MANAGEMENT_STACK)) or {}
    return (
        outputs.get(OUTPUT_MANAGEMENT_ACCOUNT_ID)
        or config.management_account_id
        or aws.caller_account_or_none(config)
    )


def profile_name(config: Config, account: str) -> str:
    return f"{config.name_prefix}-{account}"


def markers(config: Config) -> tuple[str, str]:
    label = f"{MANAGED_BY} profiles, environment {config.env_name}"
    return (
        f"# >>> {label}: written by `make profiles ENV={config.env_name} WRITE=1`; "
        "edits inside are replaced",
        f"# <<< {label}",
    )


def _member_profile(config: Config, account: MemberAccount) -> SimpleNamespace:
    found = _unless_unavailable(lambda: workspaces.member_account(config, account.name))
    if found:
        role_arn, note = found[1], None
    else:
        placeholder = f"<{account.name} account id>"
        role_arn = f"arn:aws:iam::{placeholder}:role/{account.role_name}"
        note = (
            f"Replace {placeholder}: the management workspace has no output for it yet "
            f"(apply management, then run `make profiles ENV={config.env_name}` again)."
        )
    return SimpleNamespace(profile=profile_name(config, account.name), role_arn=role_arn, note=note)


def snippet(config: Config, admin: str | None = None) -> str:
    """The managed block of profiles, markers included, for `admin` (default: the first admin)."""
    admin = admin or config.admin_users[0]
    if admin not in config.admin_users:
        raise UserError(
            f"'{admin}' is not an admin user of '{config.env_name}' "
            f"(admins: {', '.join(config.admin_users)})."
        )
    account_id = management_account_id(config)
    management_note = (
        None
        if account_id
        else (
            f"Replace {ACCOUNT_ID_PLACEHOLDER}: neither the management workspace nor STS answered."
        )
    )
    management_profile = profile_name(config, MANAGEMENT_STACK)
    begin, end = markers(config)
    root_sessions = (
        SimpleNamespace(
            profile=root_sessions_profile(config),
            role_arn=f"arn:aws:iam::{account_id or ACCOUNT_ID_PLACEHOLDER}:role/"
            f"{root_sessions_role_name(config.name_prefix)}",
        )
        if config.guardrails.centralize_root_access
        else None
    )
    return render(
        "profiles.ini.j2",
        begin_marker=begin,
        end_marker=end,
        admin=admin,
        region=config.region,
        management_profile=management_profile,
        management_note=management_note,
        root_sessions=root_sessions,
        mfa_serial=f"arn:aws:iam::{account_id or ACCOUNT_ID_PLACEHOLDER}:mfa/{admin}",
        members=[_member_profile(config, account) for account in config.accounts],
    )


def root_sessions_profile(config: Config) -> str:
    """The profile that assumes the root-sessions role (for `aws sts assume-root`)."""
    return profile_name(config, "root-sessions")


def _sections(text: str) -> set[str]:
    return set(re.findall(r"^\s*\[([^\]]+)\]", text, flags=re.MULTILINE))


def merged(existing: str, block: str, begin: str, end: str) -> str:
    """`existing` with the managed block replaced (or appended when absent)."""
    pattern = re.compile(rf"^{re.escape(begin)}$.*?^{re.escape(end)}$\n?", re.DOTALL | re.MULTILINE)
    outside = pattern.sub("", existing)
    clashes = _sections(outside) & _sections(block)
    if clashes:
        raise UserError(
            f"the AWS CLI config already has {', '.join(sorted(clashes))} outside "
            "the managed block; remove or rename those sections, then run again."
        )
    if pattern.search(existing):
        return pattern.sub(lambda _: block, existing, count=1)
    return f"{existing.rstrip()}\n\n{block}" if existing.strip() else block


def write(config: Config, block: str, path: Path) -> None:
    """Install `block` into `path`: backup first, replace the managed block, never duplicate."""
    existing = path.read_text() if path.is_file() else ""
    updated = merged(existing, block, *markers(config))
    if updated == existing:
        say(f"{path} already has these profiles; nothing written.")
        return
    if path.is_file():
        backup = path.with_name(f"{path.name}.backup-{datetime.now():%Y%m%d-%H%M%S-%f}")
        shutil.copy2(path, backup)
        say(f"Backed up {path} to {backup}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
    say(f"Wrote the profiles of '{config.env_name}' into {path}")


def show(config: Config, admin: str | None = None, write_to: Path | None = None) -> None:
    """Print the profiles; with `write_to`, install them into that AWS CLI config file too."""
    block = snippet(config, admin)
    print(block, end="")
    if write_to is not None:
        write(config, block, write_to)
        if "# Replace <" in block:
            say(
                "Some account ids are placeholders (see the '# Replace' comments): run this "
                "again once `make apply` has created the accounts."
            )


COMMANDS = (
    Command(
        "profiles",
        "print AWS CLI profiles for every account (--write installs)",
        lambda config, args: show(
            config, args.admin, (args.config_file or default_config_file()) if args.write else None
        ),
        (
            Flag(
                ("--write",),
                dict(
                    action="store_true", help="install into the AWS CLI config file, after a backup"
                ),
            ),
            Flag(
                ("--config-file",),
                dict(
                    type=Path,
                    default=None,
                    help="AWS CLI config file (default: $AWS_CONFIG_FILE or ~/.aws/config)",
                ),
            ),
            Flag(
                ("--admin",),
                dict(
                    default=None,
                    help="admin user whose MFA device the profiles use (default: the first admin)",
                ),
            ),
        ),
    ),
)
