"""Command line for every helper: `python -m scripts.cli <command> --env <name>`.

The only place that reads arguments: each command declares the flags it uses and calls domain
functions with typed values. The Makefile is the usual front; known failures become plain
messages here, never tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from foundation import config as config_module
from foundation.config import ConfigError
from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK
from foundation.model import Config
from foundation.paths import LOG_DIR
from scripts import aws
from scripts.commands import (
    adopt,
    bootstrap,
    demo,
    dev_reset,
    dev_workspace,
    kill_switch,
    profiles,
    root_steps,
    root_verify,
)
from scripts.console import Steps, UserError, say
from scripts.emulator import server
from scripts.guard.account_removal import ACCOUNT_REMOVAL_VARIABLE
from scripts.guard.approval import AUTO_APPROVE_VARIABLE, approved_without_asking
from scripts.runner.pool import Task, default_jobs, in_parallel
from scripts.runner.prerequisites import check_credentials_and_state_bucket
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import Terraform
from scripts.workspaces import member_account

ALL_STACKS = "all"


# --- what the commands do, with typed arguments -------------------------------------------------

def selected_stacks(config: Config, stack: str) -> tuple[str, ...]:
    if stack == ALL_STACKS:
        return config.stack_names
    if stack not in config.stack_names:
        raise UserError(f"Unknown stack '{stack}' for environment '{config.env_name}': "
                        f"choose one of {', '.join(config.stack_names)} or {ALL_STACKS}.")
    return (stack,)


def require_management_first(config: Config, stack: str) -> None:
    """A member stack needs the management outputs, and they need the state bucket: the first
    missing piece is named, with its command (make bootstrap before make apply)."""
    if stack != MANAGEMENT_STACK:
        check_credentials_and_state_bucket(config)
        member_account(config, stack)


def plan(config: Config, stack: str, *, jobs: int = 1, log_dir: Path = LOG_DIR,
         allow_account_removal: frozenset[str] = frozenset()) -> None:
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


def plan_members_in_parallel(config: Config, members: list[str], *, jobs: int, log_dir: Path,
                             stacks: Path | None = None) -> None:
    """The member workspaces are independent once management is applied."""
    say(f"== terraform plan: {', '.join(members)} ({config.env_name}), {jobs} at a time")
    in_parallel([member_task(config, name, log_dir, stacks,
                             lambda terraform: terraform.plan()) for name in members], jobs)


def member_task(config: Config, name: str, log_dir: Path, stacks: Path | None,
                action: Callable[[Terraform], object]) -> Task:
    log = log_dir / config.env_name / f"{name}.log"
    return Task(name, log, lambda: action(Terraform(config, name, stacks, log=log,
                                                    own_process_group=True)))


def apply(config: Config, stack: str, *, yes: bool, jobs: int = 1, log_dir: Path = LOG_DIR,
          allow_account_removal: frozenset[str] = frozenset()) -> None:
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
        Terraform(config, name).apply(auto_approve=approved[name],
                                      allow_account_removal=allow_account_removal)
    if concurrently:
        for name in members:
            require_management_first(config, name)
        say(f"== terraform apply: {', '.join(members)} ({config.env_name}), {jobs} at a time")
        in_parallel([member_task(config, name, log_dir, None,
                                 lambda terraform: terraform.apply(auto_approve=True))
                     for name in members], jobs)


def can_ask_at_the_terminal(stack: str) -> None:
    """Terraform asks the person for "yes"; without a terminal nobody can answer, so refuse."""
    if not sys.stdin.isatty():
        raise UserError(f"The {stack} stack needs a confirmation and there is no terminal to "
                        f"ask; nothing was changed. Run it from a terminal, or pass --yes "
                        f"explicitly: python -m scripts.cli apply --env <env> --stack {stack} "
                        "--yes")
    if os.environ.get(AUTO_APPROVE_VARIABLE) == "1":
        say(f"{AUTO_APPROVE_VARIABLE}=1 does not approve the {stack} stack: terraform "
            "asks below (or pass --yes on the command line).")


def list_stacks(config: Config, *, members_only: bool, as_json: bool) -> None:
    """The stack names in apply order, for scripts (a CI matrix reads the JSON)."""
    names = [name for name in config.stack_names if not (members_only and name == MANAGEMENT_STACK)]
    say(json.dumps(names) if as_json else "\n".join(names))


def validate(config: Config, stack: str) -> None:
    synth(config)
    for name in selected_stacks(config, stack):
        Terraform(config, name).validate()
        say(f"{name}: configuration is valid")


def adopt_existing(config: Config) -> None:
    synth(config)
    adopt.adopt(config, stacks_dir())


def root_steps_walk(config: Config, *, print_checklist: bool) -> None:
    account_id, known_member_ids = root_steps.checklist_context(config)
    if print_checklist:
        paths = root_steps.write_checklist(config, account_id, root_steps.STATE_DIR,
                                           known_member_ids)
        say("Wrote the root-user checklist:\n" + "\n".join(f"  {path}" for path in paths))
    else:
        root_steps.walk(config, account_id, root_steps.STATE_DIR, known_member_ids)


def workspace_log(config: Config, account: str) -> Path:
    """Where terraform's destroy and apply output goes: hundreds of lines nobody reads unless
    something fails (then the error shows its end and names the file)."""
    log = LOG_DIR / config.env_name / f"{account}-terraform.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    say(f"terraform output: {log}")
    return log


def dev_destroy(config: Config, account: str, *, yes: bool) -> None:
    steps = Steps(dev_workspace.DESTROY_STEPS)
    result = dev_workspace.destroy(config, account, steps=steps,
                                   auto_approve=approved_without_asking(account, yes=yes),
                                   log=workspace_log(config, account))
    dev_workspace.destroy_summary(config, result, steps)


def dev_recreate(config: Config, account: str, *, yes: bool) -> None:
    dev_workspace.recreate(config, account,
                           auto_approve=approved_without_asking(account, yes=yes),
                           log=workspace_log(config, account))


def dev_reset_account(config: Config, account: str, *, yes: bool) -> None:
    dev_reset.reset(config, account, auto_approve=approved_without_asking(account, yes=yes),
                    log=workspace_log(config, account))


def dev_thaw(config: Config, account: str, *, yes: bool) -> None:
    kill_switch.thaw(config, account, auto_approve=approved_without_asking(account, yes=yes))


# --- the flags, one declaration each ------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    flags: tuple[str, ...]
    options: dict = field(default_factory=dict)


STACK = Flag(("--stack",), dict(default=ALL_STACKS,
                                help="management, a member account name, or all (default)"))
YES = Flag(("--yes",), dict(action="store_true",
                            help="do not ask for confirmation; for a member account "
                                 f"{AUTO_APPROVE_VARIABLE}=1 does the same, for the "
                                 "management stack only this flag does"))
def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


JOBS = Flag(("--jobs",), dict(type=positive_int,
                              default=os.environ.get("JOBS") or str(default_jobs()),
                              help="member stacks at once after management (default: one per "
                                   "core, as memory allows; or JOBS=)"))
LOG_DIR_FLAG = Flag(("--log-dir",), dict(
    type=Path, default=Path(os.environ.get("LOG_DIR") or LOG_DIR),
    help=f"where concurrent stacks write their logs, <env>/<stack>.log (default: {LOG_DIR}, "
         "or LOG_DIR=)"))
def account_names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


ALLOW_ACCOUNT_REMOVAL = Flag(("--allow-account-removal",), dict(
    type=account_names, default=os.environ.get(ACCOUNT_REMOVAL_VARIABLE, ""),
    metavar="NAME[,NAME...]",
    help="accounts the plan may remove from the organization ('organization': the "
         f"organization itself); default: {ACCOUNT_REMOVAL_VARIABLE}="))
ACCOUNT = Flag(("--account",), dict(default=os.environ.get("ACCOUNT", DEV_ACCOUNT),
                                    help=f"member account (default: {DEV_ACCOUNT}, or ACCOUNT=; "
                                         "never management)"))


@dataclass(frozen=True)
class Command:
    help: str
    run: Callable[..., None]
    flags: tuple[Flag, ...] = ()
    needs_environment: bool = True


COMMANDS = {
    "synth": Command(
        "synthesize the stacks (skipped when no input changed)",
        lambda config, args: synth(config, force=args.force),
        (Flag(("--force",), dict(action="store_true", default=os.environ.get("FORCE") == "1",
                                 help="synthesize even if up to date (also FORCE=1)")),)),
    "plan": Command("terraform plan the stacks, management first, then the members at once",
                    lambda config, args: plan(config, args.stack, jobs=args.jobs,
                                              log_dir=args.log_dir,
                                              allow_account_removal=args.allow_account_removal),
                    (STACK, JOBS, LOG_DIR_FLAG, ALLOW_ACCOUNT_REMOVAL)),
    "apply": Command("terraform apply the stacks, management first, then the members (at once "
                     "when none asks for a confirmation)",
                     lambda config, args: apply(config, args.stack, yes=args.yes, jobs=args.jobs,
                                                log_dir=args.log_dir,
                                                allow_account_removal=args.allow_account_removal),
                     (STACK, YES, JOBS, LOG_DIR_FLAG, ALLOW_ACCOUNT_REMOVAL)),
    "stacks": Command(
        "print the stack names, management first (--members: only the member accounts)",
        lambda config, args: list_stacks(config, members_only=args.members, as_json=args.json),
        (Flag(("--members",), dict(action="store_true", help="leave out the management stack")),
         Flag(("--json",), dict(action="store_true", help="one JSON list (for a CI matrix)")))),
    "validate": Command("terraform validate the stacks with the real provider",
                        lambda config, args: validate(config, args.stack), (STACK,)),
    "bootstrap": Command("create or complete the hardened Terraform state bucket",
                         lambda config, args: bootstrap.bootstrap(config)),
    "adopt": Command("find what already exists (read-only) and plan importing it on the first "
                     "apply", lambda config, args: adopt_existing(config)),
    "local-up": Command("start the local AWS emulator in the background",
                        lambda config, args: server.start(config)),
    "local-down": Command("stop the local AWS emulator",
                          lambda config, args: server.stop(config)),
    "local-serve": Command(
        "serve the local AWS emulator in the foreground (local-up runs this in the background)",
        lambda config, args: server.serve(args.port),
        (Flag(("--port",), dict(type=int, required=True, help="port on 127.0.0.1")),),
        needs_environment=False),
    "demo": Command("the whole foundation on the local emulator, end to end",
                    lambda config, args: demo.run(config)),
    "root-steps": Command(
        "the manual root-user steps, one at a time (or --print)",
        lambda config, args: root_steps_walk(config, print_checklist=args.print_checklist),
        (Flag(("--print",), dict(action="store_true", dest="print_checklist",
                                 default=os.environ.get("PRINT") == "1",
                                 help="write the checklist as Markdown and HTML files "
                                      "(also PRINT=1)")),)),
    "root-verify": Command("check what the API can see of the root-user steps",
                           lambda config, args: root_verify.report(config,
                                                                   root_verify.verify(config))),
    "profiles": Command(
        "print AWS CLI profiles for every account (--write installs)",
        lambda config, args: profiles.show(
            config, args.admin,
            (args.config_file or profiles.default_config_file()) if args.write else None),
        (Flag(("--write",), dict(action="store_true", default=os.environ.get("WRITE") == "1",
                                 help="install into the AWS CLI config file, after a backup "
                                      "(also WRITE=1)")),
         Flag(("--config-file",), dict(type=Path, default=None,
                                       help="AWS CLI config file (default: $AWS_CONFIG_FILE or "
                                            "~/.aws/config)")),
         Flag(("--admin",), dict(default=None, help="admin user whose MFA device the profiles "
                                                    "use (default: the first admin)")))),
    "dev-destroy": Command(
        "destroy a member account's workspace (--account, default dev), guarded",
        lambda config, args: dev_destroy(config, args.account, yes=args.yes), (ACCOUNT, YES)),
    "dev-recreate": Command(
        "destroy, apply and clean-plan a member account's workspace, timed",
        lambda config, args: dev_recreate(config, args.account, yes=args.yes), (ACCOUNT, YES)),
    "dev-reset": Command(
        "delete everything in a member account but its baseline (aws-nuke), rebuild, prove it",
        lambda config, args: dev_reset_account(config, args.account, yes=args.yes),
        (ACCOUNT, YES)),
    "dev-freeze": Command(
        "attach the freeze SCP to a member account by hand (--account, default dev), guarded",
        lambda config, args: kill_switch.freeze(config, args.account), (ACCOUNT,)),
    "dev-thaw": Command(
        "detach the freeze SCP from a member account, after the guard and a typed account id",
        lambda config, args: dev_thaw(config, args.account, yes=args.yes), (ACCOUNT, YES)),
    "status": Command(
        "every account: frozen or not, this month's budget and spend (Budgets API), kill switch",
        lambda config, args: kill_switch.status(config)),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m scripts.cli", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        if command.needs_environment:
            sub.add_argument("--env", default=os.environ.get("ENV", "local"),
                             help="environment name under environments/ (default: local)")
        for flag in command.flags:
            sub.add_argument(*flag.flags, **flag.options)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = COMMANDS[args.command]
    config = None
    try:
        config = config_module.load(args.env) if command.needs_environment else None
        command.run(config, args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except aws.ERRORS as error:
        hint = aws.next_step(config, error) if config else ""
        print(f"error: an AWS call failed: {aws.explain(error)}. {hint}".rstrip(),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: terraform stopped after writing its state and releasing the "
              "lock; run the same command again to finish", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
