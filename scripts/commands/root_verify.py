"""`make root-verify`: checks what the API can see of the root-user steps with the current
credentials and prints a PASS / FAIL / CANNOT CHECK table (the steps themselves:
scripts/commands/root_steps.py).

Decisions:
- A check the credentials or the endpoint cannot run (access denied, an API an emulator does not
  implement) is reported as CANNOT CHECK with the reason, never as a pass. Such rows are counted
  and listed separately and do not by themselves make the exit status non-zero: verify may run
  with narrower credentials than an admin's, and failing on what it could not look at would
  train people to ignore it. Only FAIL rows exit non-zero.
- Billing access is probed with a Budgets read (DescribeBudgets is free; a Cost Explorer call
  costs USD 0.01). A denial counts as FAIL when the caller is one of the environment's admin
  users (their access is what is being checked), else as CANNOT CHECK.
- Trails are read with DescribeTrails in the home region, with the credentials given (normally
  the management account): any trail that is not an organization trail is a FAIL row, because it
  records the organization trail's events again and is charged for it. Single-region trails whose
  home is another region are not visible there.
- Centralized root access is read with IAM ListOrganizationsFeatures. Each member account's root
  credentials are read in a root session (sts:AssumeRoot with the AWS task policy
  IAMAuditRootUserCredentials, which can only read them): its IAM calls without a user name
  answer for the root user. AssumeRoot is called from the management account's root-sessions
  role, which verify assumes first (unless the credentials already are that role): an admin's
  MFA session from GetSessionToken may call no STS API but AssumeRole and GetCallerIdentity.
  Member ids come from the management workspace state; an account it has not created yet, a
  role that cannot be assumed (no MFA in the credentials), or an endpoint without AssumeRoot
  (the emulator) is CANNOT CHECK.
- On the emulator, what only a person at the AWS console does (root MFA, an admin's console
  password and MFA device) is EMULATOR, not FAIL: the emulator cannot hold root MFA and has no
  console, so no step could ever make such a row pass there. Like CANNOT CHECK it does not make
  the exit status non-zero; a FAIL still does.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from types import SimpleNamespace

import boto3
from botocore.exceptions import ClientError

from foundation.contract import (
    CIS_PASSWORD_POLICY,
    MANAGEMENT_STACK,
    OUTPUT_ROOT_SESSIONS_ROLE_ARN,
    ROOT_ACCESS_FEATURES,
    root_sessions_role_name,
)
from foundation.model import Config
from scripts import aws, workspaces
from scripts.commands import Command
from scripts.commands.root_steps import AUDIT_ROOT_CREDENTIALS, console_pages
from scripts.console import UserError, say

PASS, FAIL, CANNOT_CHECK, EMULATOR = "PASS", "FAIL", "CANNOT CHECK", "EMULATOR"
_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
}
# Codes of an API the endpoint does not implement; an emulator answering HTTP 500/501 without
# an AWS error body yields the bare status as the code.
_UNIMPLEMENTED_CODES = {
    "NotImplemented",
    "InvalidAction",
    "UnknownOperationException",
    "500",
    "501",
}
# ListOrganizationsFeatures' answers when these credentials manage no organization.
_NO_ORGANIZATION_CODES = {
    "OrganizationNotFoundException",
    "AWSOrganizationsNotInUseException",
    "AccountNotManagementOrDelegatedAdministratorException",
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str = ""


def _result(name: str, passed: bool, detail: str) -> Check:
    return Check(name, PASS if passed else FAIL, detail)


def _is_denied(error: ClientError) -> bool:
    return (
        error.response["Error"]["Code"] in _DENIED_CODES
        or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403
    )


def _short_message(error: ClientError) -> str:
    """The error's message, taken out of an XML/HTML body when an emulator sends one."""
    message = error.response["Error"].get("Message", "")
    inner = re.search(r"<Message>(.*?)</Message>", message, re.DOTALL)
    text = inner.group(1) if inner else re.sub(r"<[^>]+>", " ", message)
    return textwrap.shorten(text, 160)


def _cannot_check_reason(error: Exception) -> str | None:
    """Why a probe could not run, or None when the error is not of that kind."""
    if isinstance(error, NotImplementedError):
        return f"the endpoint does not implement this API ({error})"
    if isinstance(error, ClientError):
        if _is_denied(error):
            return (
                f"access denied to {error.operation_name} with these credentials "
                f"({_short_message(error)})"
            )
        code = error.response["Error"]["Code"]
        if code in _UNIMPLEMENTED_CODES:
            return f"the endpoint does not implement {error.operation_name} (error {code})"
    if isinstance(error, aws.ERRORS):
        return aws.explain(error)
    return None


def _run(name: str, probe: Callable[[str], list[Check]]) -> list[Check]:
    try:
        return probe(name)
    except (*aws.ERRORS, NotImplementedError) as error:
        reason = _cannot_check_reason(error)
        if reason is None:
            raise
        return [Check(name, CANNOT_CHECK, reason)]


def _missing(call: Callable[[], dict]) -> dict | None:
    """The response of `call`, or None when IAM says the entity does not exist."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise


def _root_credentials(iam) -> list[str]:
    """What the root user still has, seen through a root session's IAM client (calls without a
    user name answer for the root user)."""
    remaining = ["a password"] if _missing(iam.get_login_profile) is not None else []
    remaining += [
        f"access key {key['AccessKeyId']}" for key in iam.list_access_keys()["AccessKeyMetadata"]
    ]
    remaining += [
        f"MFA device {device['SerialNumber']}" for device in iam.list_mfa_devices()["MFADevices"]
    ]
    remaining += [
        f"signing certificate {certificate['CertificateId']}"
        for certificate in iam.list_signing_certificates()["Certificates"]
    ]
    return remaining


@dataclass(frozen=True)
class _Verifier:
    """One probe per check; each takes the row name and returns its row(s)."""

    config: Config
    boto_session: boto3.Session
    account_id: str
    caller_arn: str

    def client(self, service: str):
        return aws.client(self.config, service, self.boto_session)

    @cached_property
    def iam(self):
        return self.client("iam")

    @property
    def pages(self) -> SimpleNamespace:
        return console_pages(self.config.region)

    def console_step(self, name: str, passed: bool, detail: str, on_the_emulator: str) -> Check:
        """PASS or FAIL of a step done at the AWS console; on the emulator, which has none, a
        row that could never pass is EMULATOR, saying `on_the_emulator`."""
        if not passed and self.config.emulator:
            return Check(name, EMULATOR, f"emulator: {on_the_emulator}")
        return _result(name, passed, detail)

    def root_user(self, name: str) -> list[Check]:
        summary = self.iam.get_account_summary()["SummaryMap"]
        page = self.pages.root_security_credentials
        mfa = summary.get("AccountMFAEnabled") == 1
        keys = summary.get("AccountAccessKeysPresent") == 1
        return [
            self.console_step(
                f"{name}: MFA enabled",
                mfa,
                "" if mfa else f"assign MFA at {page}",
                "cannot hold root MFA",
            ),
            _result(
                f"{name}: no access keys",
                not keys,
                f"root has access keys: delete them at {page}" if keys else "",
            ),
        ]

    def admin_user(self, name: str, user: str) -> list[Check]:
        if _missing(lambda: self.iam.get_user(UserName=user)) is None:
            return [
                Check(
                    name,
                    FAIL,
                    f"user {user} does not exist: run "
                    f"`make apply ENV={self.config.env_name} STACK=management`",
                )
            ]
        page = self.pages.iam_user(user)
        password = _missing(lambda: self.iam.get_login_profile(UserName=user)) is not None
        serials = [
            device["SerialNumber"]
            for device in self.iam.list_mfa_devices(UserName=user)["MFADevices"]
        ]
        return [
            self.console_step(
                f"{name}: console password",
                password,
                "" if password else f"none: set one at {page}",
                "has no console to set a password in",
            ),
            self.console_step(
                f"{name}: MFA device",
                bool(serials),
                ", ".join(serials) or f"none: assign one at {page}",
                "has no console to assign an MFA device in",
            ),
        ]

    def billing_access(self, name: str) -> list[Check]:
        try:
            self.client("budgets").describe_budgets(AccountId=self.account_id, MaxResults=1)
        except ClientError as error:
            if _is_denied(error) and self.caller_is_admin:
                return [
                    Check(
                        name,
                        FAIL,
                        f"denied for admin {self.caller_arn}: as root, activate "
                        "IAM user and role access to Billing information at "
                        f"{self.pages.account_settings}",
                    )
                ]
            raise
        return [Check(name, PASS, f"read succeeded as {self.caller_arn}")]

    @property
    def caller_is_admin(self) -> bool:
        return any(self.caller_arn.endswith(f":user/{user}") for user in self.config.admin_users)

    def password_policy(self, name: str) -> list[Check]:
        found = _missing(self.iam.get_account_password_policy)
        if found is None:
            return [
                Check(name, FAIL, f"none set: run {self.apply_management} (it sets the CIS policy)")
            ]
        length = found["PasswordPolicy"].get("MinimumPasswordLength", 0)
        reuse = found["PasswordPolicy"].get("PasswordReusePrevention", 0)
        problems = []
        wanted = CIS_PASSWORD_POLICY
        if length < wanted.minimum_password_length:
            problems.append(f"minimum length {length} (want >= {wanted.minimum_password_length})")
        if reuse < wanted.password_reuse_prevention:
            problems.append(f"reuse prevention {reuse} (want {wanted.password_reuse_prevention})")
        if problems:
            return [
                Check(
                    name,
                    FAIL,
                    f"{'; '.join(problems)}: run {self.apply_management} to restore the CIS policy",
                )
            ]
        return [Check(name, PASS, f"minimum length {length}, remembers the last {reuse}")]

    @property
    def apply_management(self) -> str:
        return f"`make apply ENV={self.config.env_name} STACK=management`"

    def root_access(self, name: str) -> list[Check]:
        fix = (
            f"run {self.apply_management}"
            if self.config.guardrails.centralize_root_access
            else f"set guardrails.centralize_root_access = true in {self.config.source.name}, "
            f"then run {self.apply_management}"
        )
        try:
            enabled = self.iam.list_organizations_features()["EnabledFeatures"]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ServiceAccessNotEnabledException":
                return [
                    Check(
                        name, FAIL, f"IAM trusted access is not enabled in the organization: {fix}"
                    )
                ]
            if code in _NO_ORGANIZATION_CODES:
                return [
                    Check(
                        name,
                        CANNOT_CHECK,
                        "these credentials manage no organization "
                        f"({code}): use the management account's",
                    )
                ]
            raise
        missing = [feature for feature in ROOT_ACCESS_FEATURES if feature not in enabled]
        if missing:
            return [Check(name, FAIL, f"{', '.join(missing)} not enabled: {fix}")]
        return [Check(name, PASS, f"{' and '.join(ROOT_ACCESS_FEATURES)} enabled")]

    @cached_property
    def root_sessions(self) -> tuple[boto3.Session | None, str]:
        """(a session in the root-sessions role, or None; what it is or why there is none)."""
        if not self.config.guardrails.centralize_root_access:
            return None, (
                f"centralized root access is off in {self.config.source.name}, so there "
                "is no role that may start root sessions"
            )
        outputs = workspaces.state_outputs(self.config, MANAGEMENT_STACK)
        role_arn = outputs.get(OUTPUT_ROOT_SESSIONS_ROLE_ARN) or (
            f"arn:aws:iam::{self.account_id}:role/{root_sessions_role_name(self.config.name_prefix)}"
        )
        if f":assumed-role/{role_arn.rsplit('/', 1)[-1]}/" in self.caller_arn:
            return self.boto_session, role_arn
        try:
            session = aws.assume_role(self.config, role_arn, "root-verify", self.boto_session)
            return session, role_arn
        except aws.ERRORS as error:
            reason = _cannot_check_reason(error)
            return None, (
                f"could not assume {role_arn} ({reason}); it needs MFA: run this with an "
                "MFA session (aws sts get-session-token) or the root-sessions profile of "
                f"`make profiles ENV={self.config.env_name}`"
            )

    def member_root(self, name: str, account: str) -> list[Check]:
        account_id = workspaces.member_account_id(self.config, account)
        if account_id is None:
            return [
                Check(
                    name,
                    CANNOT_CHECK,
                    "account id unknown: the management workspace "
                    f"has not created it yet ({self.apply_management})",
                )
            ]
        role_session, role = self.root_sessions
        if role_session is None:
            return [Check(name, CANNOT_CHECK, f"no root session in {account_id}: {role}")]
        try:
            session = aws.assume_root(self.config, account_id, AUDIT_ROOT_CREDENTIALS, role_session)
        except aws.ERRORS as error:
            reason = _cannot_check_reason(error)
            return [Check(name, CANNOT_CHECK, f"no root session in {account_id}: {reason}")]
        remaining = _root_credentials(aws.client(self.config, "iam", session))
        if not remaining:
            return [
                Check(
                    name, PASS, f"{account_id}: no root password, keys, MFA devices or certificates"
                )
            ]
        return [
            Check(
                name,
                FAIL,
                f"{account_id} root still has {', '.join(remaining)}: delete "
                f"them at {self.pages.root_access_management} (Delete root user "
                f"credentials), or see `make root-steps ENV={self.config.env_name}`",
            )
        ]

    def trails(self, name: str) -> list[Check]:
        trails = self.client("cloudtrail").describe_trails()["trailList"]
        account_level = [trail for trail in trails if not trail.get("IsOrganizationTrail")]
        if not account_level:
            organization = ", ".join(trail["Name"] for trail in trails) or "none yet"
            return [Check(name, PASS, f"none; organization trails: {organization}")]
        return [
            Check(
                f"account-level trail {trail['Name']}",
                FAIL,
                "costs money: records the organization trail's events again "
                f"(home region {trail.get('HomeRegion', '?')}); delete it",
            )
            for trail in account_level
        ]


def verify(config: Config) -> list[Check]:
    """Run every check with the current credentials; each row PASS, FAIL or CANNOT CHECK."""
    boto_session = aws.session(config)  # one session: its clients share the loaded API models
    try:
        identity = aws.client(config, "sts", boto_session).get_caller_identity()
    except aws.ERRORS as error:
        raise UserError(
            f"Cannot ask STS who these credentials are ({aws.explain(error)}). "
            f"{aws.next_step(config, error)}"
        ) from None
    verifier = _Verifier(config, boto_session, identity["Account"], identity["Arn"])
    probes = [("root user", verifier.root_user)]
    probes += [
        (f"admin {user}", partial(verifier.admin_user, user=user)) for user in config.admin_users
    ]
    probes += [
        ("billing access (Budgets read)", verifier.billing_access),
        ("account password policy", verifier.password_policy),
        ("account-level trails", verifier.trails),
        ("centralized root access", verifier.root_access),
    ]
    probes += [
        (
            f"member {account.name}: root credentials",
            partial(verifier.member_root, account=account.name),
        )
        for account in config.accounts
    ]
    say(
        f"Verifying root-user steps for '{config.env_name}': account {identity['Account']}, "
        f"as {identity['Arn']}"
    )
    return [check for name, probe in probes for check in _run(name, probe)]


def report(config: Config, checks: list[Check]) -> None:
    """Print the table and a summary; raise UserError when any check failed."""
    width = max(len(check.name) for check in checks)
    say(f"\n  {'STATUS':<12}  {'CHECK':<{width}}  DETAIL")
    for check in checks:
        say(f"  {check.status:<12}  {check.name:<{width}}  {check.detail}".rstrip())
    counts = {
        status: sum(check.status == status for check in checks)
        for status in (PASS, FAIL, CANNOT_CHECK, EMULATOR)
    }
    say(
        f"\n{counts[PASS]} passed, {counts[FAIL]} failed, {counts[CANNOT_CHECK]} cannot check"
        + (f", {counts[EMULATOR]} beyond the emulator" if counts[EMULATOR] else "")
        + "."
    )
    if counts[EMULATOR]:
        say(
            "EMULATOR rows are steps done at the AWS console, which the emulator does not have "
            "(nor root MFA): not failures here; on AWS they pass once the root steps are done."
        )
    if counts[CANNOT_CHECK]:
        say(
            "CANNOT CHECK rows are not failures: check them by hand, or run again with an "
            "admin's credentials."
        )
    if counts[FAIL]:
        raise UserError(
            f"{counts[FAIL]} check(s) failed. Follow the steps: "
            f"make root-steps ENV={config.env_name}"
        )


COMMANDS = (
    Command(
        "root-verify",
        "check what the API can see of the root-user steps",
        lambda config, args: report(config, verify(config)),
    ),
)
