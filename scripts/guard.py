"""The one guard every destructive helper asks first: all refusal rules in one visible place.

`approved_without_asking` is the approval rule for every change terraform or a helper makes:
the management stack is never approved by an environment variable — only by an explicit `--yes`
on that command line, or by the person at the terminal — while a member account's workspace is
also approved by AUTO_APPROVE=1 (the dev loop in CI).

`member_destroy_guard` decides whether a member account's workspace may be destroyed. It runs
every check, prints each as pass/refuse in plain words, and raises `Refused` listing every
reason — never just the first — so a person sees the whole picture at once (as aws-nuke does).
`kill_switch_guard` does the same before the freeze SCP is attached or detached by hand.

The rules, in order:
  1. the stack is a member account of the environment, not the management stack;
  2. the member's state key is not the management workspace's key (config and synthesized backend);
  3. the management workspace is applied, and its outputs name the member account;
  4. terraform will act through the member's role, and that role does not land in the
     management account (asked of STS, not assumed from names);
  5. the assumed identity is in exactly the member account the management outputs name;
  6. the management credentials, and the management outputs, are the account the environment
     file pins (`[management] account_id`), when it pins one.

`require_pinned_management_account` is rule 6 on its own, for the helpers that act in the
management account (bootstrap, adopt) before anything else.

Before a freeze or thaw (`kill_switch_guard`): rule 1; the management outputs name the account
and the freeze SCP; the account is not the management account, neither by the outputs nor by
Organizations, which must list it as a member of the organization these credentials manage.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import boto3
import yaml

from foundation.config import Config
from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_ACCOUNT_BUDGETS,
    OUTPUT_FREEZE_ACTION_IDS,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from scripts import aws, workspaces
from scripts.console import UserError, say

AUTO_APPROVE_VARIABLE = "AUTO_APPROVE"
SESSION_NAME = "dev-workspace-guard"

REASON_MANAGEMENT_STACK = "the management stack would be affected"
REASON_NOT_MEMBER = "the stack is not a member account of this environment"
REASON_SAME_STATE_KEY = "the member state key equals the management key"
REASON_NOT_APPLIED = "the management workspace is not applied (no outputs)"
REASON_NOT_NAMED = "the management outputs do not name this member account"
REASON_MANAGEMENT_CREDENTIALS = ("the credentials used for destruction land in the management "
                                 "account")
REASON_WRONG_ACCOUNT = "the assumed identity's account is not the expected member account"
REASON_NO_FREEZE_POLICY = "the management outputs name no freeze SCP or account for it"
REASON_TARGET_IS_MANAGEMENT = "the target account is the management account"
REASON_NOT_IN_ORGANIZATION = "Organizations does not list the account as a member"
REASON_NOT_MANAGEMENT_CALLER = ("the credentials are not the management account's (only it "
                                "attaches SCPs)")
REASON_NUKE_MISSING = "aws-nuke is not installed"
REASON_NUKE_VERSION = "aws-nuke is not a version the dev reset supports (2.x)"
REASON_NUKE_CONFIG = ("the generated aws-nuke config does not name exactly the target account, "
                      "with management and every other member in its blocklist")
NUKE_SUPPORTED_MAJOR = 2
NUKE_INSTALL = ("install it with `sudo apt-get install aws-nuke` (Debian and Ubuntu ship 2.16), "
                "or put the 2.x release binary from https://github.com/rebuy-de/aws-nuke/releases "
                "on PATH")
REASON_NOT_PINNED_MANAGEMENT = ("the management account is not the one the environment file pins "
                                "([management] account_id)")


def approved_without_asking(stack: str, *, yes: bool,
                            environ: dict[str, str] | None = None) -> bool:
    """Whether a change to `stack` goes ahead without asking the person at the terminal.

    `yes` is an explicit `--yes` on this command line. AUTO_APPROVE=1 in the environment counts
    for member accounts only: exported once for the dev loop, it must never change the
    organization without a prompt."""
    if yes:
        return True
    if stack == MANAGEMENT_STACK:
        return False
    return (os.environ if environ is None else environ).get(AUTO_APPROVE_VARIABLE) == "1"


def pinned_management_problem(config: Config, account_id: str | None,
                              seen: str = "these credentials land in") -> str | None:
    """Why `account_id` is not the management account the environment file pins (None: it is,
    or the file pins none). `seen` says where the id comes from."""
    pinned = config.management_account_id
    if pinned is None or account_id == pinned:
        return None
    found = f"account {account_id}" if account_id else "an account STS could not name"
    return (f"{seen} {found}, but {config.source.name} pins the management account {pinned} "
            "([management] account_id): use that account's credentials, or correct the id in "
            "the file")


def require_pinned_management_account(config: Config, caller_account_id: str | None) -> None:
    """Refuse, before anything runs, credentials that are not the pinned management account."""
    problem = pinned_management_problem(config, caller_account_id)
    if problem:
        raise UserError(f"Refusing to act; nothing was changed: {problem}.")


class Refused(UserError):
    """The guard refused; `reasons` holds every refusal reason in plain words. `attempt` says
    what was refused, such as "destroy the 'dev' workspace". Every check was printed as it
    ran, the refused ones with their reason, so the message only counts them."""

    def __init__(self, attempt: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(f"Refusing to {attempt}; nothing was changed: {len(reasons)} "
                         "check(s) marked REFUSE above.")


class Aborted(UserError):
    """The person did not confirm; nothing was changed."""


def confirm_account_id(question: str, account_id: str, *, auto_approve: bool,
                       skipped: str) -> None:
    """The person types the account id after `question`; anything else aborts with nothing
    changed. With `auto_approve` (--yes / AUTO_APPROVE=1) `skipped` is said instead."""
    if auto_approve:
        say(f"      Confirmation skipped (--yes / AUTO_APPROVE=1): {skipped}.")
        return
    try:
        answer = input(f"{question} Type the account id to confirm: ")
    except EOFError:
        answer = ""
    if answer.strip() != account_id:
        raise Aborted(f"Confirmation did not match {account_id}; nothing was changed. "
                      "Type the account id exactly, or pass --yes (AUTO_APPROVE=1) in CI.")


@dataclass
class Target:
    """What the guard verified: the member account and a session inside it."""

    account_name: str
    account_id: str
    role_arn: str
    management_account_id: str
    session: boto3.Session = field(repr=False)
    member_account_ids: dict[str, str] = field(default_factory=dict)  # every member, by name


@dataclass
class _Checks:
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def record(self, title: str, passed: bool, detail: str) -> None:
        self.results.append((title, passed, detail))
        say(f"      {'pass  ' if passed else 'REFUSE'} {title}: {detail}")

    @property
    def reasons(self) -> list[str]:
        return [f"{title} ({detail})" for title, passed, detail in self.results if not passed]


def member_destroy_guard(config: Config, account_name: str,
                         stacks: Path | None = None) -> Target:
    """Check every refusal rule for destroying `account_name`'s workspace; raise `Refused` with
    all reasons, or return the verified target (account id, role and a session in it)."""
    checks = _Checks()
    target = _member_checks(checks, config, account_name, stacks)
    if checks.reasons:
        raise Refused(f"destroy the '{account_name}' workspace", checks.reasons)
    return target


def _member_checks(checks: _Checks, config: Config, account_name: str,
                   stacks: Path | None) -> Target | None:
    """Rules 1-6 into `checks`; the target when they all passed."""
    stack = _synthesized(stacks, account_name)

    # 1. Never the management stack; only a member account the environment file names.
    _check_member_account(checks, config, account_name)

    # 2. Never the management state key, neither in the config nor in the synthesized backend.
    management_keys = {config.state_key(MANAGEMENT_STACK),
                       _backend_key(_synthesized(stacks, MANAGEMENT_STACK))} - {None}
    member_keys = {config.state_key(account_name), _backend_key(stack)} - {None}
    shared = sorted(member_keys & management_keys)
    checks.record(REASON_SAME_STATE_KEY if shared else "own state key", not shared,
                  f"both use {', '.join(shared)}" if shared else
                  f"{', '.join(sorted(member_keys))} is not {', '.join(sorted(management_keys))}")

    # 3. The management workspace is applied and names the member account.
    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account_name)
    role_arn = outputs.get(OUTPUT_MEMBER_ROLE_ARNS, {}).get(account_name)
    management_id = outputs.get(OUTPUT_MANAGEMENT_ACCOUNT_ID)
    applied = bool(outputs and account_id and role_arn and management_id)
    where = f"s3://{config.state_bucket}/{config.state_key(MANAGEMENT_STACK)}"
    if not outputs:
        checks.record(REASON_NOT_APPLIED, False, f"{where} has no outputs: run `make apply "
                      f"ENV={config.env_name} STACK={MANAGEMENT_STACK}` first")
    elif not applied:
        checks.record(REASON_NOT_NAMED, False, f"{where} has no account id, role ARN or "
                      f"management account id for '{account_name}'")
    else:
        checks.record("management workspace applied", True,
                      f"{where} names account {account_id} and role {role_arn}")

    # 4 and 5. Who terraform will be, asked of STS: terraform starts from the management
    # credentials and assumes the role the management outputs name (see the synthesized provider).
    session = None
    if not applied:
        unverifiable = f"cannot be verified without the management outputs for '{account_name}'"
        checks.record(REASON_MANAGEMENT_CREDENTIALS, False, unverifiable)
        checks.record(REASON_WRONG_ACCOUNT, False, unverifiable)
    else:
        session, assumed_id, problem = _assume(config, role_arn)
        management_ids = sorted({management_id, aws.caller_account_or_none(config)} - {None})
        problem = problem or _provider_problem(stack, account_name)
        if problem:
            checks.record(REASON_MANAGEMENT_CREDENTIALS, False, problem)
        elif assumed_id in management_ids:
            checks.record(REASON_MANAGEMENT_CREDENTIALS, False,
                          f"assuming {role_arn} lands in account {assumed_id}, which is the "
                          f"management account")
        else:
            checks.record("destroying identity is not the management account", True,
                          f"assuming {role_arn} lands in {assumed_id}; management is "
                          f"{', '.join(management_ids)}")
        role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else "?"
        if assumed_id is None:
            checks.record(REASON_WRONG_ACCOUNT, False, "STS could not be asked (see above)")
        elif assumed_id != account_id or role_account != account_id:
            checks.record(REASON_WRONG_ACCOUNT, False,
                          f"STS says {assumed_id}, the role ARN names {role_account}, the "
                          f"management outputs name {account_id} for '{account_name}'")
        else:
            checks.record("assumed identity is the member account", True,
                          f"STS says {assumed_id}, as the management outputs name")

    # 6. The management side is the account the environment file pins, if it pins one.
    if config.management_account_id:
        caller = aws.caller_account_or_none(config)
        problems = [problem for problem in (
            pinned_management_problem(config, caller),
            management_id and pinned_management_problem(
                config, management_id, "the management outputs name")) if problem]
        checks.record(REASON_NOT_PINNED_MANAGEMENT if problems else "pinned management account",
                      not problems, "; ".join(problems) or
                      f"credentials and outputs are account {config.management_account_id}")

    if checks.reasons:
        return None
    return Target(account_name=account_name, account_id=account_id, role_arn=role_arn,
                  management_account_id=management_id, session=session,
                  member_account_ids=dict(outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {})))


def _check_member_account(checks: _Checks, config: Config, account_name: str) -> None:
    members = [a.name for a in config.accounts]
    if account_name == MANAGEMENT_STACK:
        checks.record(REASON_MANAGEMENT_STACK, False, f"'{account_name}' is the management stack")
    elif account_name not in members:
        checks.record(REASON_NOT_MEMBER, False, f"'{account_name}' is not among "
                      f"{', '.join(members)} in {config.source.name}")
    else:
        checks.record("not the management stack", True,
                      f"'{account_name}' is a member account workspace")


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
    checks = _Checks()
    _check_member_account(checks, config, account_name)

    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account_name)
    management_id = outputs.get(OUTPUT_MANAGEMENT_ACCOUNT_ID)
    policy_id = outputs.get(OUTPUT_FREEZE_POLICY_ID)
    where = f"s3://{config.state_bucket}/{config.state_key(MANAGEMENT_STACK)}"
    named = bool(account_id and management_id and policy_id)
    if not outputs:
        checks.record(REASON_NOT_APPLIED, False, f"{where} has no outputs: run `make apply "
                      f"ENV={config.env_name} STACK={MANAGEMENT_STACK}` first")
    elif not named:
        missing = [what for what, value in (
            ("freeze SCP (apply management again)", policy_id),
            (f"member account '{account_name}'", account_id),
            ("management account id", management_id)) if not value]
        checks.record(REASON_NO_FREEZE_POLICY, False, f"{where} names no {' and no '.join(missing)}")
    else:
        checks.record("management workspace applied", True,
                      f"{where} names account {account_id} and the freeze SCP {policy_id}")

    if not named:
        checks.record(REASON_TARGET_IS_MANAGEMENT, False,
                      f"cannot be verified without the management outputs for '{account_name}'")
    else:
        problem = _membership_problem(config, account_id, management_id)
        if problem:
            checks.record(problem[0], False, problem[1])
        else:
            checks.record("the target is a member account of this organization", True,
                          f"Organizations lists {account_id}; the management account, "
                          f"{management_id}, is the caller")

    if checks.reasons:
        raise Refused(f"{attempt} the '{account_name}' account", checks.reasons)
    return KillSwitchTarget(
        account_name=account_name, account_id=account_id, management_account_id=management_id,
        freeze_policy_id=policy_id,
        budget_name=outputs.get(OUTPUT_ACCOUNT_BUDGETS, {}).get(account_name),
        action_id=outputs.get(OUTPUT_FREEZE_ACTION_IDS, {}).get(account_name))


def _membership_problem(config: Config, account_id: str,
                        management_id: str) -> tuple[str, str] | None:
    """(reason, detail) why `account_id` may not be frozen or thawed, asked of STS and
    Organizations; None when it is a member of the organization these credentials manage."""
    try:
        caller = aws.account_id(config)
        organizations = aws.client(config, "organizations")
        master = organizations.describe_organization()["Organization"]["MasterAccountId"]
        if account_id not in {management_id, master}:
            organizations.describe_account(AccountId=account_id)
    except aws.ERRORS as error:
        return (REASON_NOT_IN_ORGANIZATION,
                f"Organizations could not confirm {account_id} ({aws.explain(error)})")
    if account_id in {management_id, master, caller}:
        return REASON_TARGET_IS_MANAGEMENT, (
            f"{account_id} is the management account (outputs: {management_id}, Organizations: "
            f"{master}, these credentials: {caller}); SCPs never restrict it")
    if caller != master:
        return REASON_NOT_MANAGEMENT_CALLER, (f"these credentials are in {caller}, the "
                                              f"organization's management account is {master}")
    return None


def _assume(config: Config, role_arn: str) -> tuple[boto3.Session | None, str | None, str | None]:
    """(session, its account per STS, problem) for the role terraform will assume."""
    try:
        session = aws.assume_role(config, role_arn, SESSION_NAME)
        return session, aws.account_id(config, session), None
    except aws.ERRORS as error:
        return None, None, (f"could not assume {role_arn} and ask STS who it is "
                            f"({aws.explain(error)})")


def _synthesized(stacks: Path | None, stack: str) -> dict | None:
    if stacks is None:
        return None
    path = stacks / stack / "cdk.tf.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _backend_key(stack: dict | None) -> str | None:
    if stack is None:
        return None
    return stack.get("terraform", {}).get("backend", {}).get("s3", {}).get("key")


def _provider_problem(stack: dict | None, account_name: str) -> str | None:
    """Why terraform might not act through the member role, judged from the synthesized stack
    (None when it will, or when no synthesized stack was given to look at)."""
    if stack is None:
        return None
    providers = stack.get("provider", {}).get("aws", [])
    if not providers:
        return f"the synthesized stack '{account_name}' has no aws provider to inspect"
    for provider in providers:
        role = (provider.get("assume_role") or [{}])[0].get("role_arn", "")
        allowed = " ".join(provider.get("allowed_account_ids") or [])
        if OUTPUT_MEMBER_ROLE_ARNS not in role:
            return (f"a provider of stack '{account_name}' ({provider.get('alias', 'default')}) "
                    "assumes no member role, so terraform would act with the management "
                    "credentials")
        if OUTPUT_MEMBER_ACCOUNT_IDS not in allowed:
            return (f"a provider of stack '{account_name}' ({provider.get('alias', 'default')}) "
                    "is not pinned to the member account id (allowed_account_ids)")
    return None


@dataclass
class ResetTarget:
    """What the dev-reset guard verified: the member account (as for a destroy), the aws-nuke
    binary and the generated aws-nuke config that names only that account."""

    member: Target
    nuke_binary: str
    nuke_version: str
    nuke_config: str


def dev_reset_guard(config: Config, account_name: str, stacks: Path | None,
                    render_nuke_config: Callable[[Target, list[str]], str]) -> ResetTarget:
    """Every rule of `member_destroy_guard`, and the aws-nuke rules: aws-nuke 2.x is installed;
    the config `render_nuke_config(target, blocklist)` generates names exactly the target
    account and blocks the management account and every other member. Raises `Refused` with
    every reason at once."""
    checks = _Checks()
    target = _member_checks(checks, config, account_name, stacks)
    binary, version = _check_aws_nuke(checks)
    nuke_config = ""
    if target is None:
        checks.record(REASON_NUKE_CONFIG, False, "cannot be verified before the member account is")
    else:
        blocklist = sorted({target.management_account_id, *(
            account_id for name, account_id in target.member_account_ids.items()
            if name != account_name)})
        nuke_config = render_nuke_config(target, blocklist)
        _check_nuke_config(checks, nuke_config, target)
    if checks.reasons:
        raise Refused(f"reset the '{account_name}' account", checks.reasons)
    return ResetTarget(member=target, nuke_binary=binary, nuke_version=version,
                       nuke_config=nuke_config)


def aws_nuke_version(binary: str) -> str | None:
    """aws-nuke's version: what it says, else (Debian builds say "unknown") its package's."""
    said = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
    found = re.search(r"\bv?(\d+\.\d+[\w.+~-]*)", said)
    if found:
        return found.group(1)
    dpkg = shutil.which("dpkg-query")
    if dpkg and Path(binary).resolve() == Path("/usr/bin/aws-nuke"):
        package = subprocess.run([dpkg, "-W", "-f=${Version}", "aws-nuke"],
                                 capture_output=True, text=True)
        if package.returncode == 0 and package.stdout.strip():
            return package.stdout.strip()
    return None


def _check_aws_nuke(checks: _Checks) -> tuple[str, str]:
    binary = shutil.which("aws-nuke")
    if binary is None:
        checks.record(REASON_NUKE_MISSING, False, f"no aws-nuke on PATH: {NUKE_INSTALL}")
        return "", ""
    version = aws_nuke_version(binary)
    major = int(version.split(".")[0]) if version and version[0].isdigit() else None
    if major != NUKE_SUPPORTED_MAJOR:
        checks.record(REASON_NUKE_VERSION, False,
                      f"{binary} is version {version or 'unknown'}: {NUKE_INSTALL}")
    else:
        checks.record("aws-nuke installed", True, f"{binary}, version {version}")
    return binary, version or ""


def _check_nuke_config(checks: _Checks, text: str, target: Target) -> None:
    config = yaml.safe_load(text) or {}
    accounts = [str(account) for account in config.get("accounts") or {}]
    blocklist = [str(account) for account in config.get("account-blocklist") or []]
    problems = []
    if accounts != [target.account_id]:
        problems.append(f"it names {', '.join(accounts) or 'no account'}, not only "
                        f"{target.account_id}")
    if target.account_id in blocklist:
        problems.append(f"its blocklist names the target {target.account_id}")
    missing = sorted(({target.management_account_id, *target.member_account_ids.values()}
                      - {target.account_id}) - set(blocklist))
    if missing:
        problems.append(f"its blocklist lacks {', '.join(missing)}")
    checks.record(REASON_NUKE_CONFIG if problems else "aws-nuke config", not problems,
                  "; ".join(problems) or f"only {target.account_id}; blocklist "
                  f"{', '.join(blocklist)}")
