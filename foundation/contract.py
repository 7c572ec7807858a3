"""The names the stacks (modules/) and the helpers (scripts/) agree on.

A stack writes an output, a tag or a role under one of these names and a helper reads it back
under the same one, so neither side spells them again.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- workspaces ----------------------------------------------------------------------------------
MANAGEMENT_STACK = "management"
# The development member account every environment file must have.
DEV_ACCOUNT = "dev"

# --- outputs of the management workspace (read by member workspaces and helpers) ---------------
OUTPUT_ORGANIZATION_ID = "organization_id"
OUTPUT_MANAGEMENT_ACCOUNT_ID = "management_account_id"
OUTPUT_MEMBER_ACCOUNT_IDS = "member_account_ids"
OUTPUT_MEMBER_ROLE_ARNS = "member_role_arns"
OUTPUT_TRAIL_ARN = "trail_arn"
OUTPUT_TRAIL_BUCKET = "trail_bucket"
OUTPUT_ADMINISTRATORS_GROUP = "administrators_group"
OUTPUT_CROSS_ACCOUNT_GROUP = "cross_account_group"
# Every workspace: what its account's CIS baseline holds (see baseline_output in modules/stacks).
OUTPUT_BASELINE = "cis_baseline"
# The cost kill switch: the freeze SCP's id, the budgets' names (the organization's; the member
# accounts' by account name) and the budget actions' ids by account name (only where it is on).
OUTPUT_FREEZE_POLICY_ID = "freeze_policy_id"
OUTPUT_ORGANIZATION_BUDGET = "organization_budget"
OUTPUT_ACCOUNT_BUDGETS = "account_budgets"
OUTPUT_FREEZE_ACTION_IDS = "freeze_action_ids"
# Absent when centralized root access is off.
OUTPUT_ROOT_SESSIONS_ROLE_ARN = "root_sessions_role_arn"

# --- outputs of a member account's workspace -----------------------------------------------------
OUTPUT_ACCOUNT_ID = "account_id"
OUTPUT_SANDBOX_BUCKET = "sandbox_bucket"
OUTPUT_EXPERIMENTS_ROLE_ARN = "experiments_role_arn"

# --- tags every resource carries (beside the environment file's [tags]) -------------------------
MANAGED_BY = "cdktf-aws-foundation"
TAG_MANAGED_BY = "managed-by"
TAG_WORKSPACE = "workspace"
TAG_ENVIRONMENT = "environment"
# The workspace again, under a key no one else writes: a learner's own code commonly sets
# workspace, environment or managed-by too, so only this one tells the dev reset what the
# foundation made (scripts/commands/dev_reset/).
TAG_FOUNDATION_WORKSPACE = f"{MANAGED_BY}:workspace"

# --- identity ------------------------------------------------------------------------------------
# The session name under which the dev reset acts in a member account through its member access
# role: the region guardrail exempts the role's sessions so named, so that the reset deletes what
# is outside the allowed regions too (foundation/organization_policies.py).
RESET_SESSION_NAME = f"{MANAGED_BY}-reset"

# The role AWS Organizations creates in an account it creates, unless the file names another.
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
ADMINISTRATORS_GROUP = "Administrators"
# IAM's centralized root access for member accounts: what the stacks enable and helpers check.
ROOT_ACCESS_FEATURES = ("RootCredentialsManagement", "RootSessions")


def root_sessions_role_name(name_prefix: str) -> str:
    """The management account's MFA-gated role that may start root sessions (sts:AssumeRoot)."""
    return f"{name_prefix}-root-sessions"


@dataclass(frozen=True)
class PasswordPolicy:
    """An IAM account password policy; field names are the Terraform resource's arguments."""

    minimum_password_length: int
    password_reuse_prevention: int
    require_lowercase_characters: bool = True
    require_uppercase_characters: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    allow_users_to_change_password: bool = True


# CIS AWS Foundations Benchmark: at least 14 characters, no reuse of the last 24 passwords, and
# no forced expiry (CIS 1.4+ and NIST SP 800-63B advise against periodic rotation).
CIS_PASSWORD_POLICY = PasswordPolicy(minimum_password_length=14, password_reuse_prevention=24)
