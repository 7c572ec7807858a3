"""What the workspaces' remote state says, the one reader of Terraform state: read straight from
the state bucket (no terraform init needed), so helpers can check that management is applied
before touching a member account, and that its state came out of it byte-for-byte unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from foundation.model import Config
from scripts import aws
from scripts.console import UserError, say


def read_state(config: Config, stack: str) -> bytes | None:
    """The raw state object of a workspace, or None when it has never been written."""
    s3 = aws.client(config, "s3")
    try:
        return s3.get_object(Bucket=config.state_bucket, Key=config.state_key(stack))["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchBucket", "404"):
            return None
        raise


@dataclass(frozen=True)
class StateResource:
    """A managed resource of a state: its address and each instance's attributes."""

    address: str
    type: str
    instances: tuple[dict, ...] = field(default=(), repr=False)


def managed_resources(raw_state: bytes | None) -> list[StateResource]:
    """The managed resources a raw state object holds (none for a state never written)."""
    if raw_state is None:
        return []
    return [
        StateResource(
            f"{r['module'] + '.' if r.get('module') else ''}{r['type']}.{r['name']}",
            r["type"],
            tuple(instance["attributes"] for instance in r.get("instances", [])),
        )
        for r in json.loads(raw_state).get("resources", [])
        if r.get("mode") == "managed"
    ]


class ManagementStateWatch:
    """The management state object as it was when the watch began: whatever a member account's
    helper does, it must come out of it byte-for-byte unchanged."""

    def __init__(self, config: Config):
        self.config = config
        self.before = read_state(config, MANAGEMENT_STACK)

    def problem(self, during: str) -> str | None:
        """None while the state object is as it was; else what changed, `during` what."""
        if read_state(self.config, MANAGEMENT_STACK) == self.before:
            return None
        return (
            f"the management state object s3://{self.config.state_bucket}/"
            f"{self.config.state_key(MANAGEMENT_STACK)} changed during {during}"
        )

    def checked(self, during: str) -> str | None:
        """`problem(during)`, with the passed check said as a guard check is."""
        problem = self.problem(during)
        if problem is None:
            say("      pass   the management state object is byte-for-byte unchanged")
        return problem


def forget_workspace(config: Config, workspace: str) -> str:
    """After its account left the organization: delete a member workspace's state object when
    it holds no resources (its old versions expire with the bucket's lifecycle rule); keep it
    when it still does, for they live on in the now standalone account. Says which."""
    where = f"s3://{config.state_bucket}/{config.state_key(workspace)}"
    raw = read_state(config, workspace)
    if raw is None:
        return f"The removed account '{workspace}' has no workspace state ({where})."
    remaining = managed_resources(raw)
    if remaining:
        return (
            f"The removed account '{workspace}' still has {len(remaining)} resource(s) in its "
            f"workspace state, kept at {where}: they live on in the account, which is "
            "standalone now."
        )
    aws.client(config, "s3").delete_object(
        Bucket=config.state_bucket, Key=config.state_key(workspace)
    )
    return f"Deleted the empty workspace state of the removed account '{workspace}' ({where})."


def state_outputs(config: Config, stack: str) -> dict:
    raw = read_state(config, stack)
    if raw is None:
        return {}
    return {name: item["value"] for name, item in json.loads(raw).get("outputs", {}).items()}


def member_account(config: Config, account_name: str) -> tuple[str, str]:
    """(account id, role ARN) of a member account, from the applied management workspace."""
    outputs = state_outputs(config, MANAGEMENT_STACK)
    account_id = outputs.get(OUTPUT_MEMBER_ACCOUNT_IDS, {}).get(account_name)
    role_arn = outputs.get(OUTPUT_MEMBER_ROLE_ARNS, {}).get(account_name)
    if not account_id or not role_arn:
        raise UserError(
            f"The management workspace has not created the '{account_name}' account yet, so its "
            f"workspace cannot be planned: run `make apply ENV={config.env_name} "
            f"STACK={MANAGEMENT_STACK}` first."
        )
    return account_id, role_arn


def member_account_id(config: Config, account_name: str) -> str | None:
    """A member account's id from the management workspace state; None until it is created."""
    try:
        return member_account(config, account_name)[0]
    except UserError:
        return None


def known_member_ids(config: Config) -> dict[str, str]:
    """The member account ids the management state knows, by name; none if it cannot be read."""
    try:
        ids = {account.name: member_account_id(config, account.name) for account in config.accounts}
    except aws.ERRORS:
        return {}
    return {name: account_id for name, account_id in ids.items() if account_id}
