"""terraform across the stacks: `synth`, `plan`, `apply`, `validate` and `stacks`; management
first, then the member accounts (at once where nobody must answer)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config
from foundation.paths import LOG_DIR
from scripts.commands import YES, Command, Flag
from scripts.console import UserError, say
from scripts.guard.account_removal import ACCOUNT_REMOVAL_VARIABLE
from scripts.guard.approval import approved_without_asking, can_ask_at_the_terminal
from scripts.runner.pool import Task, default_jobs, in_parallel
from scripts.runner.prerequisites import check_credentials_and_state_bucket
from scripts.runner.synth import synth
from scripts.runner.terraform import Terraform
from scripts.workspaces import member_account

ALL_STACKS = "all"


def selected_stacks(config: Config, stack: str) -> tuple[str, ...]:
    if stack == ALL_STACKS:
        return config.stack_names
    if stack not in config.stack_names:
        raise UserError(
            f"Unknown stack '{stack}' for environment '{config.env_name}': "
            f"choose one of {', '.join(config.stack_names)} or {ALL_STACKS}."
        )
    return (stack,)


def require_management_first(config: Config, stack: str) -> None:
    """A member stack needs the management outputs, and they need the state bucket: the first
    missing piece is named, with its command (make bootstrap before make apply)."""
    if stack != MANAGEMENT_STACK:
        check_credentials_and_state_bucket(config)
        member_account(config, stack)


def plan(
    config: Config,
    stack: str,
    *,
    jobs: int = 1,
    log_dir: Path = LOG_DIR,
    allow_account_removal: frozenset[str] = frozenset(),
) -> None:
    synth(config)
    stacks = selected_stacks(config, stack)
    if MANAGEMENT_STACK in stacks:
        say(f"== terraform plan: {MANAGEMENT_STACK} ({config.env_name})")
        Terraform(config, MANAGEMENT_STACK).plan(allow_account_removal=allow_account_removal)
    members = [name for name in stacks if name != MANAGEMENT_STACK]
    if jobs > 1 and len(members) > 1:
        for name in members:
            require_management_first(config, name)
        plan_members_in_parallel(config, members, jobs=jobs, log_dir=log_dir)
        return
    for name in members:
        say(f"== terraform plan: {name} ({config.env_name})")
        plan_member(config, name)


def plan_member(config: Config, name: str) -> None:
    """Reading the management outputs is a second S3 round trip beside the runner's own
    checks: it runs only to explain a failed plan, the likelier reason first."""
    try:
        Terraform(config, name).plan()
    except UserError:
        require_management_first(config, name)
        raise


def plan_members_in_parallel(
    config: Config, members: list[str], *, jobs: int, log_dir: Path, stacks: Path | None = None
) -> None:
    """The member workspaces are independent once management is applied."""
    say(f"== terraform plan: {', '.join(members)} ({config.env_name}), {jobs} at a time")
    in_parallel(
        [
            member_task(config, name, log_dir, stacks, lambda terraform: terraform.plan())
            for name in members
        ],
        jobs,
    )


def member_task(
    config: Config,
    name: str,
    log_dir: Path,
    stacks: Path | None,
    action: Callable[[Terraform], object],
) -> Task:
    log = log_dir / config.env_name / f"{name}.log"
    return Task(
        name, log, lambda: action(Terraform(config, name, stacks, log=log, own_process_group=True))
    )


def apply(
    config: Config,
    stack: str,
    *,
    yes: bool,
    jobs: int = 1,
    log_dir: Path = LOG_DIR,
    allow_account_removal: frozenset[str] = frozenset(),
) -> None:
    stacks = selected_stacks(config, stack)
    approved = {name: approved_without_asking(name, yes=yes) for name in stacks}
    for name in stacks:  # before anything runs: a refusal must not leave half an apply behind
        if not approved[name]:
            can_ask_at_the_terminal(name)
    synth(config)
    members = [name for name in stacks if name != MANAGEMENT_STACK]
    # Concurrent terraforms cannot share the terminal's prompt: only when nobody must answer.
    concurrently = jobs > 1 and len(members) > 1 and all(approved[name] for name in members)
    for name in [name for name in stacks if name == MANAGEMENT_STACK or not concurrently]:
        say(f"== terraform apply: {name} ({config.env_name})")
        require_management_first(config, name)
        Terraform(config, name).apply(
            auto_approve=approved[name], allow_account_removal=allow_account_removal
        )
    if concurrently:
        for name in members:
            require_management_first(config, name)
        say(f"== terraform apply: {', '.join(members)} ({config.env_name}), {jobs} at a time")
        in_parallel(
            [
                member_task(
                    config,
                    name,
                    log_dir,
                    None,
                    lambda terraform: terraform.apply(auto_approve=True),
                )
                for name in members
            ],
            jobs,
        )


def list_stacks(config: Config, *, members_only: bool, as_json: bool) -> None:
    """The stack names in apply order, for scripts (a CI matrix reads the JSON)."""
    names = [name for name in config.stack_names if not (members_only and name == MANAGEMENT_STACK)]
    say(json.dumps(names) if as_json else "\n".join(names))


def validate(config: Config, stack: str) -> None:
    synth(config)
    for name in selected_stacks(config, stack):
        Terraform(config, name).validate()
        say(f"{name}: configuration is valid")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


def account_names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


STACK = Flag(
    ("--stack",),
    dict(default=ALL_STACKS, help="management, a member account name, or all (default)"),
)
JOBS = Flag(
    ("--jobs",),
    dict(
        type=positive_int,
        default=None,
        help="member stacks at once after management (default: one per core, as memory allows)",
    ),
)
LOG_DIR_FLAG = Flag(
    ("--log-dir",),
    dict(
        type=Path,
        default=LOG_DIR,
        help=f"where concurrent stacks write their logs, <env>/<stack>.log (default: {LOG_DIR})",
    ),
)
ALLOW_ACCOUNT_REMOVAL = Flag(
    ("--allow-account-removal",),
    dict(
        type=account_names,
        default=os.environ.get(ACCOUNT_REMOVAL_VARIABLE, ""),
        metavar="NAME[,NAME...]",
        help="accounts the plan may remove from the organization ('organization': the "
        f"organization itself); default: {ACCOUNT_REMOVAL_VARIABLE}=",
    ),
)


def _jobs(args: argparse.Namespace) -> int:
    return args.jobs or default_jobs()


COMMANDS = (
    Command(
        "synth",
        "synthesize the stacks (skipped when no input changed)",
        lambda config, args: synth(config, force=args.force),
        (Flag(("--force",), dict(action="store_true", help="synthesize even if up to date")),),
    ),
    Command(
        "plan",
        "terraform plan the stacks, management first, then the members at once",
        lambda config, args: plan(
            config,
            args.stack,
            jobs=_jobs(args),
            log_dir=args.log_dir,
            allow_account_removal=args.allow_account_removal,
        ),
        (STACK, JOBS, LOG_DIR_FLAG, ALLOW_ACCOUNT_REMOVAL),
    ),
    Command(
        "apply",
        "terraform apply the stacks, management first, then the members (at once "
        "when none asks for a confirmation)",
        lambda config, args: apply(
            config,
            args.stack,
            yes=args.yes,
            jobs=_jobs(args),
            log_dir=args.log_dir,
            allow_account_removal=args.allow_account_removal,
        ),
        (STACK, YES, JOBS, LOG_DIR_FLAG, ALLOW_ACCOUNT_REMOVAL),
    ),
    Command(
        "stacks",
        "print the stack names, management first (--members: only the member accounts)",
        lambda config, args: list_stacks(config, members_only=args.members, as_json=args.json),
        (
            Flag(("--members",), dict(action="store_true", help="leave out the management stack")),
            Flag(("--json",), dict(action="store_true", help="one JSON list (for a CI matrix)")),
        ),
    ),
    Command(
        "validate",
        "terraform validate the stacks with the real provider",
        lambda config, args: validate(config, args.stack),
        (STACK,),
    ),
)
