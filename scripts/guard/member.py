"""Before a member account's workspace is destroyed (rules 1-6 of the guard, scripts/guard/)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from foundation.model import Config
from scripts import aws, workspaces
from scripts.guard.checks import (
    REASON_MANAGEMENT_CREDENTIALS,
    REASON_MANAGEMENT_STACK,
    REASON_NOT_APPLIED,
    REASON_NOT_MEMBER,
    REASON_NOT_NAMED,
    REASON_NOT_PINNED_MANAGEMENT,
    REASON_SAME_STATE_KEY,
    REASON_WRONG_ACCOUNT,
    Checks,
)
from scripts.guard.management import pinned_management_problem

SESSION_NAME = "dev-workspace-guard"


@dataclass
class Target:
    """What the guard verified: the member account and a session inside it."""

    account_name: str
    account_id: str
    role_arn: str
    management_account_id: str
    session: boto3.Session = field(repr=False)
    member_account_ids: dict[str, str] = field(default_factory=dict)  # every member, by name


def member_destroy_guard(config: Config, account_name: str, stacks: Path | None = None) -> Target:
    """Check every refusal rule for destroying `account_name`'s workspace; raise `Refused` with
    all reasons, or return the verified target (account id, role and a session in it)."""
    checks = Checks()
    target = member_checks(checks, config, account_name, stacks)
    checks.refuse_if_any(f"destroy the '{account_name}' workspace")
    return target


# What rules 4 and 5 confirm when they pass; skipped under these titles when they cannot run.
DESTROYING_IDENTITY = "destroying identity is not the management account"
ASSUMED_IDENTITY = "assumed identity is the member account"


def member_checks(
    checks: Checks, config: Config, account_name: str, stacks: Path | None
) -> Target | None:
    """Rules 1-6 into `checks`; the target when they all passed."""
    # 1. Never the management stack; only a member account the environment file names. Rules
    # 2-5 are about a member account: for anything else they would only repeat this refusal.
    if not check_member_account(checks, config, account_name):
        needs = f"'{account_name}' to be a member account"
        for title in ("own state key", "management workspace applied"):
            checks.skip(title, needs)
        checks.skip(DESTROYING_IDENTITY, needs)
        checks.skip(ASSUMED_IDENTITY, needs)
        _check_pinned_management(checks, config, None)
        return None
    stack = _synthesized(stacks, account_name)

    # 2. Never the management state key, neither in the config nor in the synthesized backend.
    management_keys = {
        config.state_key(MANAGEMENT_STACK),
        _backend_key(_synthesized(stacks, MANAGEMENT_STACK)),
    } - {None}
    member_keys = {config.state_key(account_name), _backend_key(stack)} - {None}
    shared = sorted(member_keys & management_keys)
    checks.record(
        REASON_SAME_STATE_KEY if shared else "own state key",
        not shared,
        f"both use {', '.join(shared)}"
        if shared
        else f"{', '.join(sorted(member_keys))} is not {', '.join(sorted(management_keys))}",
    )

    # 3. The management workspace is applied and names the member account.
    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account_name)
    role_arn = outputs.get(OUTPUT_MEMBER_ROLE_ARNS, {}).get(account_name)
    management_id = outputs.get(OUTPUT_MANAGEMENT_ACCOUNT_ID)
    applied = bool(outputs and account_id and role_arn and management_id)
    where = f"s3://{config.state_bucket}/{config.state_key(MANAGEMENT_STACK)}"
    if not outputs:
        checks.record(
            REASON_NOT_APPLIED,
            False,
            f"{where} has no outputs: run `make apply "
            f"ENV={config.env_name} STACK={MANAGEMENT_STACK}` first",
        )
    elif not applied:
        checks.record(
            REASON_NOT_NAMED,
            False,
            f"{where} has no account id, role ARN or management account id for '{account_name}'",
        )
    else:
        checks.record(
            "management workspace applied",
            True,
            f"{where} names account {account_id} and role {role_arn}",
        )

    # 4 and 5. Who terraform will be, asked of STS: terraform starts from the management
    # credentials and assumes the role the management outputs name (see the synthesized provider).
    session = None
    if not applied:
        needs = f"the management outputs for '{account_name}'"
        checks.skip(DESTROYING_IDENTITY, needs)
        checks.skip(ASSUMED_IDENTITY, needs)
    else:
        session = _check_identity(
            checks, config, stack, account_name, role_arn, (account_id, management_id)
        )

    # 6. The management side is the account the environment file pins, if it pins one.
    _check_pinned_management(checks, config, management_id)

    if checks.reasons:
        return None
    return Target(
        account_name=account_name,
        account_id=account_id,
        role_arn=role_arn,
        management_account_id=management_id,
        session=session,
        member_account_ids=dict(outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {})),
    )


def _check_identity(
    checks: Checks,
    config: Config,
    stack: dict | None,
    account_name: str,
    role_arn: str,
    named: tuple[str, str],
) -> boto3.Session | None:
    """Rules 4 and 5, with the member and management account ids the outputs name: the session
    in the member account, when STS could be asked."""
    account_id, management_id = named
    session, assumed_id, problem = _assume(config, role_arn)
    management_ids = sorted({management_id, aws.caller_account_or_none(config)} - {None})
    problem = problem or _provider_problem(stack, account_name)
    if problem:
        checks.record(REASON_MANAGEMENT_CREDENTIALS, False, problem)
    elif assumed_id in management_ids:
        checks.record(
            REASON_MANAGEMENT_CREDENTIALS,
            False,
            f"assuming {role_arn} lands in account {assumed_id}, which is the management account",
        )
    else:
        checks.record(
            DESTROYING_IDENTITY,
            True,
            f"assuming {role_arn} lands in {assumed_id}; management is {', '.join(management_ids)}",
        )
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else "?"
    if assumed_id is None:
        checks.skip(ASSUMED_IDENTITY, f"STS to answer as {role_arn}")
    elif assumed_id != account_id or role_account != account_id:
        checks.record(
            REASON_WRONG_ACCOUNT,
            False,
            f"STS says {assumed_id}, the role ARN names {role_account}, the "
            f"management outputs name {account_id} for '{account_name}'",
        )
    else:
        checks.record(
            ASSUMED_IDENTITY, True, f"STS says {assumed_id}, as the management outputs name"
        )
    return session


def _check_pinned_management(checks: Checks, config: Config, management_id: str | None) -> None:
    """Rule 6: the credentials, and the management outputs when there are any, are the account
    the environment file pins (when it pins one)."""
    if not config.management_account_id:
        return
    caller = aws.caller_account_or_none(config)
    problems = [
        problem
        for problem in (
            pinned_management_problem(config, caller),
            management_id
            and pinned_management_problem(config, management_id, "the management outputs name"),
        )
        if problem
    ]
    checks.record(
        REASON_NOT_PINNED_MANAGEMENT if problems else "pinned management account",
        not problems,
        "; ".join(problems)
        or f"credentials and outputs are account {config.management_account_id}",
    )


def check_member_account(checks: Checks, config: Config, account_name: str) -> bool:
    """Rule 1; whether it passed."""
    members = [a.name for a in config.accounts]
    if account_name == MANAGEMENT_STACK:
        checks.record(REASON_MANAGEMENT_STACK, False, f"'{account_name}' is the management stack")
    elif account_name not in members:
        checks.record(
            REASON_NOT_MEMBER,
            False,
            f"'{account_name}' is not among {', '.join(members)} in {config.source.name}; "
            f"taken out of it to remove the account? Put [accounts.{account_name}] back for "
            "this, then take it out again (docs/real-aws.md#removing-a-member-account)",
        )
    else:
        checks.record(
            "not the management stack", True, f"'{account_name}' is a member account workspace"
        )
        return True
    return False


def _assume(config: Config, role_arn: str) -> tuple[boto3.Session | None, str | None, str | None]:
    """(session, its account per STS, problem) for the role terraform will assume."""
    try:
        session = aws.assume_role(config, role_arn, SESSION_NAME)
        return session, aws.account_id(config, session), None
    except aws.ERRORS as error:
        return (
            None,
            None,
            (f"could not assume {role_arn} and ask STS who it is ({aws.explain(error)})"),
        )


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
            return (
                f"a provider of stack '{account_name}' ({provider.get('alias', 'default')}) "
                "assumes no member role, so terraform would act with the management "
                "credentials"
            )
        if OUTPUT_MEMBER_ACCOUNT_IDS not in allowed:
            return (
                f"a provider of stack '{account_name}' ({provider.get('alias', 'default')}) "
                "is not pinned to the member account id (allowed_account_ids)"
            )
    return None
