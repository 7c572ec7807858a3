"""What the workspaces' remote state says: read straight from the state bucket (no terraform
init needed), so helpers can check that management is applied before touching a member account.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from scripts import aws
from scripts.config import MANAGEMENT_STACK, Config
from scripts.console import UserError

# Outputs of the management workspace that member workspaces and helpers read.
OUTPUT_MANAGEMENT_ACCOUNT_ID = "management_account_id"
OUTPUT_MEMBER_ACCOUNT_IDS = "member_account_ids"
OUTPUT_MEMBER_ROLE_ARNS = "member_role_arns"


def read_state(config: Config, stack: str) -> bytes | None:
    """The raw state object of a workspace, or None when it has never been written."""
    s3 = aws.client(config, "s3")
    try:
        return s3.get_object(Bucket=config.state_bucket, Key=config.state_key(stack))["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchBucket", "404"):
            return None
        raise


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
            f"STACK={MANAGEMENT_STACK}` first.")
    return account_id, role_arn
