"""Load and validate `environments/<name>.toml` into the typed objects of foundation/model.py.

Every problem in a file is collected and reported at once, each naming the file, the key and
what is expected, so a user fixes their file in one pass.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import botocore.session

from foundation.accounts import NAME_PREFIX, member_accounts, unique_aliases, unique_emails
from foundation.model import (
    CONTACT_TYPES,
    DEFAULT_ANOMALY_ALERT_USD,
    DEFAULT_BUDGET_THRESHOLDS,
    DEFAULT_ORGANIZATION_BUDGET_USD,
    EMULATOR_PORT_VARIABLE,
    MAX_THRESHOLD_PERCENT,
    Budgets,
    Config,
    Contact,
    Contacts,
    Emulator,
    Guardrails,
    Trail,
)
from foundation.paths import ENVIRONMENTS_DIR
from foundation.reader import IAM_NAME, Reader

_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")

# The Account Management API's limits for an alternate contact (PutAlternateContact).
_CONTACT_PHONE = re.compile(r"^[\s0-9()+-]+$")
CONTACT_LIMITS = {"name": 64, "title": 50, "email": 254, "phone": 25}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")

# Reported with why it went (its statements protected nothing members could reach).
REMOVED_GUARDRAIL = "protect_audit_trail"

# AWS allows 10 notifications per budget; each threshold takes two (ACTUAL and FORECASTED).
MAX_BUDGET_THRESHOLDS = 5


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


class _Validator(Reader):
    """The environment file's tables, each read into its part of the model."""

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
            NAME_PREFIX,
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
        accounts = member_accounts(self, raw.get("accounts", {}), budget_bound, name_prefix)
        unique_emails(self, management_email, accounts)
        unique_aliases(self, accounts)

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
            if not isinstance(user, str) or not IAM_NAME.match(user):
                self.problem(
                    f"admins.users[{index}]",
                    "an IAM user name (1-64 of letters, digits and +=,.@_-)",
                    user,
                )
        return tuple(users)

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

    def guardrails(self, raw: object, region: str) -> Guardrails:
        table = self.table(raw, "guardrails")
        switches = (
            "deny_leave_organization",
            "protect_member_role",
            "deny_member_root",
            "centralize_root_access",
            "ai_services_opt_out",
            "resource_perimeter",
            "ec2_protections",
        )
        if REMOVED_GUARDRAIL in table:
            self.problems.append(
                f"key 'guardrails.{REMOVED_GUARDRAIL}': no longer a guardrail; delete it. Its SCP "
                "statements protected nothing: the organization trail and its log bucket live in "
                "the management account, which SCPs never restrict, and member accounts cannot "
                "change an organization trail anyway (docs/guardrails.md)"
            )
            table = {key: value for key, value in table.items() if key != REMOVED_GUARDRAIL}
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
