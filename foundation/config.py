"""Load and validate `environments/<name>.toml` into the typed objects of foundation/model.py.

Every problem in a file is collected and reported at once, each naming the file, the key and
what is expected, so a user fixes their file in one pass.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import botocore.session

from foundation.contract import (
    DEFAULT_ROLE_NAME,
    DEV_ACCOUNT,
    MANAGEMENT_STACK,
)
from foundation.model import (
    CONTACT_TYPES,
    DEFAULT_ACCOUNT_BUDGET_USD,
    DEFAULT_ANOMALY_ALERT_USD,
    DEFAULT_BUDGET_THRESHOLDS,
    DEFAULT_FREEZE_AT_PERCENT,
    DEFAULT_ORGANIZATION_BUDGET_USD,
    EMULATOR_PORT_VARIABLE,
    Budgets,
    Config,
    Contact,
    Contacts,
    Emulator,
    Guardrails,
    MemberAccount,
    Trail,
)
from foundation.paths import ENVIRONMENTS_DIR

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
_IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")

# IAM CreateAccountAlias: no leading, trailing or doubled hyphen.
_ACCOUNT_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
ACCOUNT_ALIAS_EXPECTED = (
    "an IAM account alias: 3-63 lowercase letters, digits and hyphens, not "
    "starting or ending with a hyphen, no two hyphens in a row"
)

# The Account Management API's limits for an alternate contact (PutAlternateContact).
_CONTACT_PHONE = re.compile(r"^[\s0-9()+-]+$")
CONTACT_LIMITS = {"name": 64, "title": 50, "email": 254, "phone": 25}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")

# A name or ARN the dev reset keeps: no whitespace or quotes, which would read as YAML syntax.
_RESET_KEEP = re.compile(r"^[A-Za-z0-9+=,.@_/:#*-]{3,2048}$")
RESET_KEEP_EXPECTED = (
    'a list of resource names or ARNs to keep, such as ["my-notes-bucket"] '
    "(each 3-2048 of letters, digits and +=,.@_/:#*-, each once)"
)

# AWS allows 10 notifications per budget; each threshold takes two (ACTUAL and FORECASTED).
MAX_BUDGET_THRESHOLDS = 5
MAX_THRESHOLD_PERCENT = 1000


@dataclass
class ConfigError(Exception):
    source: Path
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s) in the environment file:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def environment_path(env_name: str) -> Path:
    return ENVIRONMENTS_DIR / f"{env_name}.toml"


def load(env: str | Path) -> Config:
    """Load an environment by name (`example`) or by path to its TOML file."""
    path = Path(env) if str(env).endswith(".toml") else environment_path(str(env))
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in ENVIRONMENTS_DIR.glob("*.toml")))
        raise ConfigError(path, [f"file not found (environments available: {available})"])
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    return _Validator(path).config(raw)


class _Validator:
    """Reads a raw TOML dict; records each problem and carries on with a placeholder."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def problem(self, key: str, expected: str, got: object = None) -> None:
        suffix = f", got {got!r}" if got is not None else ""
        self.problems.append(f"key '{key}': expected {expected}{suffix}")

    def table(self, raw: object, key: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(key, "a table", raw)
            return {}
        return raw

    def known_keys(
        self, table: dict[str, Any], prefix: str, required: set[str], optional: set[str]
    ) -> None:
        for missing in sorted(required - table.keys()):
            self.problems.append(f"key '{prefix}{missing}': missing (required)")
        for unknown in sorted(table.keys() - required - optional):
            allowed = ", ".join(sorted(required | optional))
            self.problems.append(f"key '{prefix}{unknown}': unknown key (allowed here: {allowed})")

    def string(
        self,
        table: dict[str, Any],
        key: str,
        full_key: str,
        pattern: re.Pattern[str] | None = None,
        expected: str = "a string",
        default: str | None = None,
    ) -> str:
        value = table.get(key, default)
        if value is None:
            return ""  # reported as missing by known_keys
        if not isinstance(value, str):
            self.problem(
                full_key,
                expected if expected.startswith("a string") else f"a string ({expected})",
                value,
            )
            return ""
        if pattern is not None and not pattern.match(value):
            self.problem(full_key, expected, value)
        return value

    def email(self, table: dict[str, Any], key: str, full_key: str, max_length: int = 64) -> str:
        value = self.string(table, key, full_key, _EMAIL, "an email address like name@example.com")
        if len(value) > max_length:
            self.problem(
                full_key, f"an email address of at most {max_length} characters (AWS limit)", value
            )
        return value

    def bucket(self, table: dict[str, Any], key: str, full_key: str) -> str:
        value = self.string(table, key, full_key)
        if not value:
            return value
        reasons = []
        if not 3 <= len(value) <= 63:
            reasons.append(f"3 to 63 characters (has {len(value)})")
        if not _BUCKET_CHARS.match(value):
            reasons.append("only lowercase letters, digits, dots and hyphens")
        if not (value[0].isalnum() and value[-1].isalnum()):
            reasons.append("to begin and end with a letter or digit")
        if ".." in value:
            reasons.append("no two adjacent dots")
        if _is_ip_address(value):
            reasons.append("not formatted like an IP address")
        if value.startswith(("xn--", "sthree-")) or value.endswith(("-s3alias", "--ol-s3")):
            reasons.append(
                "none of the prefixes/suffixes S3 reserves (xn--, sthree-, -s3alias, --ol-s3)"
            )
        if reasons:
            self.problem(full_key, "a valid S3 bucket name: " + "; ".join(reasons), value)
        return value

    def config(self, raw: dict[str, Any]) -> Config:
        self.known_keys(
            raw,
            "",
            {"region", "name_prefix", "management", "state", "admins", "accounts", "trail"},
            {"tags", "emulator", "guardrails", "budgets", "contacts"},
        )
        region = self.string(raw, "region", "region")
        if region and region not in _known_regions():
            self.problem("region", "an AWS region such as eu-west-1 or us-east-1", region)
        name_prefix = self.string(
            raw,
            "name_prefix",
            "name_prefix",
            _NAME_PREFIX,
            "2-20 lowercase letters, digits or hyphens, starting with a letter",
        )

        management = self.table(raw.get("management", {}), "management")
        self.known_keys(management, "management.", {"email"}, {"account_id"})
        management_email = self.email(management, "email", "management.email")
        management_account_id = self.management_account_id(management, "emulator" in raw)

        state = self.table(raw.get("state", {}), "state")
        self.known_keys(state, "state.", {"bucket"}, set())
        state_bucket = self.bucket(state, "bucket", "state.bucket")

        admins = self.table(raw.get("admins", {}), "admins")
        self.known_keys(admins, "admins.", {"users"}, set())
        admin_users = self.admin_users(admins.get("users"))

        budgets, budget_bound = self.budgets(raw.get("budgets", {}))
        accounts = self.accounts(raw.get("accounts", {}), budget_bound, name_prefix)
        self.unique_emails(management_email, accounts)
        self.unique_aliases(accounts)

        trail = self.trail(raw.get("trail", {}))
        tags = self.tags(raw.get("tags", {}))
        emulator = self.emulator(raw["emulator"]) if "emulator" in raw else None
        guardrails = self.guardrails(raw.get("guardrails", {}), region)
        contacts = self.contacts(raw["contacts"]) if "contacts" in raw else Contacts()

        if self.problems:
            raise ConfigError(self.path, self.problems)
        return Config(
            env_name=self.path.stem,
            source=self.path,
            region=region,
            name_prefix=name_prefix,
            management_email=management_email,
            state_bucket=state_bucket,
            admin_users=admin_users,
            accounts=accounts,
            trail=trail,
            tags=tags,
            emulator=emulator,
            guardrails=guardrails,
            budgets=budgets,
            contacts=contacts,
            management_account_id=management_account_id,
        )

    def management_account_id(self, management: dict[str, Any], emulated: bool) -> str | None:
        """The pinned management account id: required for real AWS, where applying the
        management stack with another account's credentials would build a second organization."""
        key = "management.account_id"
        if "account_id" not in management:
            if not emulated:
                self.problems.append(
                    f"key '{key}': missing (required for real AWS: the management account's "
                    '12-digit id in quotes, such as "123456789012"; only an [emulator] '
                    "environment may leave it out)"
                )
            return None
        return (
            self.string(
                management,
                "account_id",
                key,
                _ACCOUNT_ID,
                'a 12-digit AWS account id in quotes, such as "123456789012"',
            )
            or None
        )

    def admin_users(self, users: object) -> tuple[str, ...]:
        if users is None:
            return ()  # reported as missing by known_keys
        if not isinstance(users, list):
            self.problem("admins.users", "a list of IAM user names", users)
            return ()
        if not users:
            self.problem("admins.users", "at least one admin user name", users)
        for index, user in enumerate(users):
            if not isinstance(user, str) or not _IAM_NAME.match(user):
                self.problem(
                    f"admins.users[{index}]",
                    "an IAM user name (1-64 of letters, digits and +=,.@_-)",
                    user,
                )
        return tuple(users)

    def accounts(
        self, raw: object, organization_budget: float, name_prefix: str
    ) -> tuple[MemberAccount, ...]:
        table = self.table(raw, "accounts")
        if DEV_ACCOUNT not in table:
            self.problems.append(
                f"key 'accounts.{DEV_ACCOUNT}': missing (the development account is required)"
            )
        accounts = []
        for name, entry in table.items():
            prefix = f"accounts.{name}"
            if not _ACCOUNT_NAME.match(name) or name == MANAGEMENT_STACK:
                self.problem(
                    prefix,
                    "an account name of 1-20 lowercase letters, digits or hyphens, "
                    f"starting with a letter, other than '{MANAGEMENT_STACK}'",
                    name,
                )
            entry = self.table(entry, prefix)
            self.known_keys(
                entry,
                prefix + ".",
                {"email"},
                {
                    "role_name",
                    "monthly_budget_usd",
                    "alias",
                    "freeze_at_percent",
                    "reset_default_vpc",
                    "reset_keep",
                },
            )
            email = self.email(entry, "email", f"{prefix}.email")
            role_name = self.string(
                entry,
                "role_name",
                f"{prefix}.role_name",
                _IAM_NAME,
                "an IAM role name (1-64 of letters, digits and +=,.@_-)",
                default=DEFAULT_ROLE_NAME,
            )
            budget = self.account_budget(entry, f"{prefix}.monthly_budget_usd", organization_budget)
            alias = self.account_alias(entry, f"{prefix}.alias", name_prefix, name)
            freeze_at = self.bounded(
                entry,
                "freeze_at_percent",
                f"{prefix}.freeze_at_percent",
                DEFAULT_FREEZE_AT_PERCENT,
                MAX_THRESHOLD_PERCENT,
                f"a percentage of the account's monthly budget from 0 to {MAX_THRESHOLD_PERCENT} "
                "(0 turns the kill switch off)",
            )
            accounts.append(
                MemberAccount(
                    name=name,
                    email=email,
                    role_name=role_name,
                    monthly_budget_usd=budget,
                    alias=alias,
                    freeze_at_percent=freeze_at,
                    reset_default_vpc=self.boolean(
                        entry, "reset_default_vpc", f"{prefix}.reset_default_vpc", False
                    ),
                    reset_keep=self.reset_keep(entry.get("reset_keep", []), f"{prefix}.reset_keep"),
                )
            )
        return tuple(accounts)

    def account_alias(
        self, entry: dict[str, Any], full_key: str, name_prefix: str, name: str
    ) -> str:
        """The account's IAM alias (aws-nuke refuses an account without one): `alias`, or else
        <name_prefix>-<account name>, which must then be a valid alias itself."""
        if "alias" in entry:
            return self.string(entry, "alias", full_key, _ACCOUNT_ALIAS, ACCOUNT_ALIAS_EXPECTED)
        default = f"{name_prefix}-{name}"
        # An invalid name_prefix or account name is reported under its own key already.
        if (
            _NAME_PREFIX.match(name_prefix)
            and _ACCOUNT_NAME.match(name)
            and not _ACCOUNT_ALIAS.match(default)
        ):
            self.problem(
                full_key,
                f"{ACCOUNT_ALIAS_EXPECTED}; the default "
                "'<name_prefix>-<account name>' is not one here, so set alias",
                default,
            )
        return default

    def reset_keep(self, keep: object, full_key: str) -> tuple[str, ...]:
        if not isinstance(keep, list):
            self.problem(full_key, RESET_KEEP_EXPECTED, keep)
            return ()
        for index, entry in enumerate(keep):
            if not isinstance(entry, str) or not _RESET_KEEP.match(entry):
                self.problem(f"{full_key}[{index}]", RESET_KEEP_EXPECTED, entry)
            elif keep.index(entry) != index:
                self.problem(f"{full_key}[{index}]", "each name or ARN once", entry)
        return tuple(entry for entry in keep if isinstance(entry, str))

    def unique_aliases(self, accounts: tuple[MemberAccount, ...]) -> None:
        seen: dict[str, str] = {}
        for account in accounts:
            if account.alias in seen:
                self.problem(
                    f"accounts.{account.name}.alias",
                    "an alias not already used by "
                    f"'accounts.{seen[account.alias]}' (an account alias is unique "
                    "across all of AWS)",
                    account.alias,
                )
            seen.setdefault(account.alias, account.name)

    def unique_emails(self, management_email: str, accounts: tuple[MemberAccount, ...]) -> None:
        seen = {management_email.lower(): "management.email"} if management_email else {}
        for account in accounts:
            key = f"accounts.{account.name}.email"
            if account.email and account.email.lower() in seen:
                self.problem(
                    key,
                    f"an email not already used by '{seen[account.email.lower()]}' "
                    "(every AWS account needs its own)",
                    account.email,
                )
            seen.setdefault(account.email.lower(), key)

    def trail(self, raw: object) -> Trail:
        table = self.table(raw, "trail")
        self.known_keys(table, "trail.", {"name", "bucket", "retention_days"}, set())
        name = self.string(
            table,
            "name",
            "trail.name",
            _TRAIL_NAME,
            "a trail name of 3-128 letters, digits, '.', '_' or '-'",
        )
        bucket = self.bucket(table, "bucket", "trail.bucket")
        retention = table.get("retention_days")  # None: reported as missing by known_keys
        if retention is not None and (
            isinstance(retention, bool) or not isinstance(retention, int) or retention <= 0
        ):
            self.problem("trail.retention_days", "a positive whole number of days", retention)
        # An invalid value was reported above: a placeholder in its place, as everywhere here.
        return Trail(
            name=name, bucket=bucket, retention_days=retention if isinstance(retention, int) else 0
        )

    def tags(self, raw: object) -> tuple[tuple[str, str], ...]:
        table = self.table(raw, "tags")
        for key, value in table.items():
            if not isinstance(value, str):
                self.problem(f"tags.{key}", "a string tag value", value)
        return tuple(sorted((k, v) for k, v in table.items() if isinstance(v, str)))

    def boolean(self, table: dict[str, Any], key: str, full_key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem(full_key, "true or false", value)
            return default
        return value

    def amount(self, table: dict[str, Any], key: str, full_key: str, default: float) -> float:
        """A positive amount of US dollars, such as 20 or 12.5."""
        value = table.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            self.problem(full_key, "a positive amount of US dollars, such as 20 or 12.5", value)
            return default
        return value

    def bounded(
        self,
        table: dict[str, Any],
        key: str,
        full_key: str,
        default: float,
        maximum: float,
        expected: str,
    ) -> float:
        """A number from 0 to `maximum`, where 0 switches a feature off."""
        value = table.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not 0 <= value <= maximum
        ):
            self.problem(full_key, expected, value)
            return default
        return value

    def guardrails(self, raw: object, region: str) -> Guardrails:
        table = self.table(raw, "guardrails")
        switches = (
            "deny_leave_organization",
            "protect_audit_trail",
            "deny_member_root",
            "centralize_root_access",
            "ai_services_opt_out",
        )
        self.known_keys(table, "guardrails.", set(), {*switches, "allowed_regions", "tag_policy"})
        values = {name: self.boolean(table, name, f"guardrails.{name}", True) for name in switches}
        return Guardrails(
            **values,
            allowed_regions=self.allowed_regions(table.get("allowed_regions", []), region),
            tag_policy=self.boolean(table, "tag_policy", "guardrails.tag_policy", False),
        )

    def allowed_regions(self, regions: object, home_region: str) -> tuple[str, ...]:
        key = "guardrails.allowed_regions"
        if not isinstance(regions, list):
            self.problem(
                key,
                'a list of AWS regions such as ["eu-west-1", "us-east-1"] '
                "(an empty list allows every region)",
                regions,
            )
            return ()
        known = _known_regions()
        for index, region in enumerate(regions):
            if not isinstance(region, str) or region not in known:
                self.problem(
                    f"{key}[{index}]", "an AWS region such as eu-west-1 or us-east-1", region
                )
            elif regions.index(region) != index:
                self.problem(f"{key}[{index}]", "each region once", region)
        if regions and home_region in known and home_region not in regions:
            self.problem(
                key,
                f"a list that includes the home region '{home_region}' (the "
                "trail, the state bucket and the member workspaces live there)",
                regions,
            )
        return tuple(r for r in regions if isinstance(r, str))

    def account_budget(
        self, entry: dict[str, Any], full_key: str, organization_budget: float
    ) -> float:
        """A member account's monthly budget: at most the organization's; by default the smaller
        of the two defaults."""
        if "monthly_budget_usd" not in entry:
            return min(DEFAULT_ACCOUNT_BUDGET_USD, organization_budget)  # never inf: a default
        budget = self.amount(entry, "monthly_budget_usd", full_key, DEFAULT_ACCOUNT_BUDGET_USD)
        if budget > organization_budget:
            self.problem(
                full_key,
                "an amount no larger than budgets.organization_monthly_usd "
                f"({organization_budget:g})",
                budget,
            )
        return budget

    def budgets(self, raw: object) -> tuple[Budgets, float]:
        """The budgets, and the bound for member budgets (none while the total is invalid)."""
        table = self.table(raw, "budgets")
        self.known_keys(
            table,
            "budgets.",
            set(),
            {"organization_monthly_usd", "thresholds_percent", "anomaly_alert_usd"},
        )
        problems_before = len(self.problems)
        total = self.amount(
            table,
            "organization_monthly_usd",
            "budgets.organization_monthly_usd",
            DEFAULT_ORGANIZATION_BUDGET_USD,
        )
        bound = total if len(self.problems) == problems_before else math.inf
        thresholds = self.thresholds(
            table.get("thresholds_percent", list(DEFAULT_BUDGET_THRESHOLDS))
        )
        anomaly = self.bounded(
            table,
            "anomaly_alert_usd",
            "budgets.anomaly_alert_usd",
            DEFAULT_ANOMALY_ALERT_USD,
            math.inf,
            "an amount of US dollars of 0 or more, such as 10 (0 turns Cost Anomaly Detection off)",
        )
        return Budgets(
            organization_monthly_usd=total, thresholds_percent=thresholds, anomaly_alert_usd=anomaly
        ), bound

    def thresholds(self, thresholds: object) -> tuple[float, ...]:
        key = "budgets.thresholds_percent"
        if not isinstance(thresholds, list) or not 1 <= len(thresholds) <= MAX_BUDGET_THRESHOLDS:
            self.problem(
                key,
                f"a list of 1 to {MAX_BUDGET_THRESHOLDS} percentages of the budget, "
                "such as [50, 80, 100] (AWS allows 10 notifications per budget: an "
                "actual and a forecasted one per threshold)",
                thresholds,
            )
            return DEFAULT_BUDGET_THRESHOLDS
        for index, percent in enumerate(thresholds):
            if (
                isinstance(percent, bool)
                or not isinstance(percent, (int, float))
                or not math.isfinite(percent)
                or not 0 < percent <= MAX_THRESHOLD_PERCENT
            ):
                self.problem(
                    f"{key}[{index}]",
                    f"a percentage above 0 and at most {MAX_THRESHOLD_PERCENT}",
                    percent,
                )
            elif thresholds.index(percent) != index:
                self.problem(f"{key}[{index}]", "each threshold once", percent)
        return tuple(thresholds)

    def contacts(self, raw: object) -> Contacts:
        table = self.table(raw, "contacts")
        self.known_keys(table, "contacts.", set(), set(CONTACT_TYPES))
        if not table.keys() & set(CONTACT_TYPES):
            self.problem(
                "contacts",
                "at least one of the tables "
                + ", ".join(f"[contacts.{kind}]" for kind in CONTACT_TYPES)
                + " (or no [contacts] at all)",
                table,
            )
        return Contacts(
            **{
                kind: self.contact(table[kind], f"contacts.{kind}")
                for kind in CONTACT_TYPES
                if kind in table
            }
        )

    def contact(self, raw: object, prefix: str) -> Contact:
        entry = self.table(raw, prefix)
        self.known_keys(entry, prefix + ".", set(CONTACT_LIMITS), set())
        values = {
            "name": self.string(entry, "name", f"{prefix}.name"),
            "title": self.string(entry, "title", f"{prefix}.title"),
            "email": self.email(entry, "email", f"{prefix}.email", CONTACT_LIMITS["email"]),
            "phone": self.string(
                entry,
                "phone",
                f"{prefix}.phone",
                _CONTACT_PHONE,
                "a phone number of digits, spaces, +, -, ( and )",
            ),
        }
        for key in ("name", "title", "phone"):
            limit = CONTACT_LIMITS[key]
            if isinstance(entry.get(key), str) and not 1 <= len(values[key]) <= limit:
                self.problem(f"{prefix}.{key}", f"1 to {limit} characters (AWS limit)", values[key])
        return Contact(**values)

    def emulator(self, raw: object) -> Emulator:
        table = self.table(raw, "emulator")
        self.known_keys(table, "emulator.", {"endpoint_url"}, set())
        url = self.string(table, "endpoint_url", "emulator.endpoint_url")
        parts = urlsplit(url)
        if url and (
            parts.scheme != "https" or parts.hostname not in ("127.0.0.1", "localhost", "::1")
        ):
            self.problem(
                "emulator.endpoint_url",
                "an https URL on this machine, such as https://127.0.0.1:4566",
                url,
            )
        override = os.environ.get(EMULATOR_PORT_VARIABLE)
        if url and override:
            if not override.isdigit() or not 0 < int(override) < 65536:
                self.problems.append(
                    f"environment variable {EMULATOR_PORT_VARIABLE}: expected "
                    f"a port number, got {override!r}"
                )
            else:
                url = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{override}"))
        return Emulator(endpoint_url=url)


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@functools.cache
def _known_regions() -> frozenset[str]:
    """The commercial AWS regions botocore knows, from its small partitions file: its endpoint
    data (what get_available_regions reads) costs ~0.5 s to load on every command."""
    partitions = (
        botocore.session.get_session()
        .get_component("data_loader")
        .load_data("partitions")["partitions"]
    )
    regions = next(partition["regions"] for partition in partitions if partition["id"] == "aws")
    return frozenset(region for region in regions if region != "aws-global")
