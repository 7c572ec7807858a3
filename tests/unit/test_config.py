"""Config validation: every mistake in an environment file is reported, all at once, with the
file, the key and what is expected, and a valid file loads into typed values (with safe defaults
for optional sections). Each case edits a copy of environments/example.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from foundation import config as config_module
from foundation.config import ConfigError, load
from foundation.contract import DEFAULT_ROLE_NAME
from foundation.model import (
    DEFAULT_ACCOUNT_BUDGET_USD,
    EMULATOR_PORT_VARIABLE,
    Budgets,
    Guardrails,
    MemberAccount,
)
from tests.helpers import EXAMPLE, write_env

# Lines of environments/example.toml that the cases edit.
REGION = 'region = "eu-west-1"'
NAME_PREFIX = 'name_prefix = "acme"'
MANAGEMENT_EMAIL = 'email = "aws-root@example.com"'
STATE_BUCKET = 'bucket = "acme-terraform-state-example"'
TRAIL_BUCKET = 'bucket = "acme-cloudtrail-logs-example"'
USERS = 'users = ["alice"]'
DEV_TABLE = "[accounts.dev]"
DEV_EMAIL = 'email = "aws-dev@example.com"'
DEV_ROLE = 'role_name = "OrganizationAccountAccessRole"'
RETENTION = "retention_days = 365"
TRAIL_TABLE = "[trail]"
OWNER_TAG = 'owner = "alice"'
MANAGEMENT_ACCOUNT_ID = 'account_id = "111111111111"'

EMAIL = "an email address like name@example.com"
IAM_ROLE = "an IAM role name (1-64 of letters, digits and +=,.@_-)"
ACCOUNT_NAME = (
    "an account name of 1-20 lowercase letters, digits or hyphens, starting with a "
    "letter, other than 'management'"
)
RETENTION_DAYS = "a positive whole number of days"
BUCKET = "a valid S3 bucket name: "
ACCOUNT_ID = 'a 12-digit AWS account id in quotes, such as "123456789012"'


def add_account(name: str, email: str) -> tuple[str, str]:
    """An edit adding [accounts.<name>] before the [trail] table."""
    return TRAIL_TABLE, f'[accounts.{name}]\nemail = "{email}"\n\n{TRAIL_TABLE}'


def assert_problems(path: Path, *problems: str | Unknown) -> None:
    """load(path) fails, and the message names the file and lists exactly `problems`."""
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.problems == list(problems)
    assert str(caught.value).splitlines() == [
        f"{path}: {len(problems)} problem(s) in the environment file:",
        *(f"  - {problem}" for problem in caught.value.problems),
    ]


@dataclass(frozen=True)
class Unknown:
    """Equals the unknown-key message for `key`. The list of allowed keys grows with the schema,
    so only what makes it helpful is pinned: it is sorted and names the intended spelling."""

    key: str
    intended: str

    def __eq__(self, message: object) -> bool:
        prefix = f"key '{self.key}': unknown key (allowed here: "
        if not (isinstance(message, str) and message.startswith(prefix) and message.endswith(")")):
            return False
        allowed = message[len(prefix) : -1].split(", ")
        return allowed == sorted(allowed) and self.intended in allowed

    def __str__(self) -> str:
        return f"key '{self.key}': unknown key (allowed here: ..., {self.intended}, ...)"


def invalid(key: str, expected: str, got: str) -> str:
    return f"key '{key}': expected {expected}, got {got}"


CASES = {
    # missing keys and tables
    "missing-region": ([(REGION, "")], ["key 'region': missing (required)"]),
    "missing-retention": ([(RETENTION, "")], ["key 'trail.retention_days': missing (required)"]),
    "missing-dev-account": (
        [(DEV_TABLE, "[accounts.sandbox]")],
        ["key 'accounts.dev': missing (the development account is required)"],
    ),
    # unknown keys: a typo names both the missing key and the unknown one with what is allowed
    "typo-top-level": (
        [(REGION, 'regoin = "eu-west-1"')],
        ["key 'region': missing (required)", Unknown("regoin", "region")],
    ),
    "typo-trail": (
        [(RETENTION, "retension_days = 365")],
        [
            "key 'trail.retention_days': missing (required)",
            Unknown("trail.retension_days", "retention_days"),
        ],
    ),
    "typo-account": (
        [(DEV_ROLE, 'rolename = "Admin"')],
        [Unknown("accounts.dev.rolename", "role_name")],
    ),
    # emails
    **{
        f"email-{bad}": (
            [(DEV_EMAIL, f'email = "{bad}"')],
            [invalid("accounts.dev.email", EMAIL, repr(bad))],
        )
        for bad in ("aws-dev.example.com", "aws-dev@example", "aws dev@example.com", "@example.com")
    },
    "email-too-long": (
        [(DEV_EMAIL, f'email = "{"a" * 53}@example.com"')],
        [
            invalid(
                "accounts.dev.email",
                "an email address of at most 64 characters (AWS limit)",
                repr("a" * 53 + "@example.com"),
            )
        ],
    ),
    "email-shared-with-management": (
        [(DEV_EMAIL, 'email = "AWS-Root@Example.com"')],
        [
            invalid(
                "accounts.dev.email",
                "an email not already used by 'management.email' (every AWS account needs its own)",
                "'AWS-Root@Example.com'",
            )
        ],
    ),
    "email-shared-between-members": (
        [add_account("test", "aws-dev@example.com")],
        [
            invalid(
                "accounts.test.email",
                "an email not already used by 'accounts.dev.email' "
                "(every AWS account needs its own)",
                "'aws-dev@example.com'",
            )
        ],
    ),
    # S3 bucket names
    **{
        f"bucket-{case}": (
            [(STATE_BUCKET, f'bucket = "{name}"')],
            [invalid("state.bucket", BUCKET + reason, repr(name))],
        )
        for case, name, reason in [
            ("too-short", "ab", "3 to 63 characters (has 2)"),
            ("too-long", "a" * 64, "3 to 63 characters (has 64)"),
            ("underscore", "acme_state", "only lowercase letters, digits, dots and hyphens"),
            ("uppercase", "Acme-State", "only lowercase letters, digits, dots and hyphens"),
            ("ip-like", "192.168.1.1", "not formatted like an IP address"),
            ("leading-hyphen", "-acme-state", "to begin and end with a letter or digit"),
            ("adjacent-dots", "acme..state", "no two adjacent dots"),
            (
                "reserved-prefix",
                "xn--acme",
                "none of the prefixes/suffixes S3 reserves (xn--, sthree-, -s3alias, --ol-s3)",
            ),
        ]
    },
    "bucket-several-reasons": (
        [(TRAIL_BUCKET, 'bucket = "Logs_"')],
        [
            invalid(
                "trail.bucket",
                BUCKET + "only lowercase letters, digits, dots and hyphens; "
                "to begin and end with a letter or digit",
                "'Logs_'",
            )
        ],
    ),
    # region, admins, account names, retention, role names
    **{
        f"region-{bad}": (
            [(REGION, f'region = "{bad}"')],
            [invalid("region", "an AWS region such as eu-west-1 or us-east-1", repr(bad))],
        )
        for bad in ("eu-west-9", "EU-WEST-1", "ireland")
    },
    "admins-empty": (
        [(USERS, "users = []")],
        [invalid("admins.users", "at least one admin user name", "[]")],
    ),
    "admins-bad-name": (
        [(USERS, 'users = ["alice", "bob smith"]')],
        [
            invalid(
                "admins.users[1]",
                "an IAM user name (1-64 of letters, digits and +=,.@_-)",
                "'bob smith'",
            )
        ],
    ),
    **{
        f"account-name-{name}": (
            [add_account(name, "aws-other@example.com")],
            [invalid(f"accounts.{name}", ACCOUNT_NAME, repr(name))],
        )
        for name in ("Test", "my_test", "1test", "management", "a" * 21)
    },
    **{
        f"retention-{case}": (
            [(RETENTION, f"retention_days = {toml}")],
            [invalid("trail.retention_days", RETENTION_DAYS, got)],
        )
        for case, toml, got in [
            ("string", '"365"', "'365'"),
            ("negative", "-1", "-1"),
            ("zero", "0", "0"),
            ("fraction", "36.5", "36.5"),
            ("boolean", "true", "True"),
        ]
    },
    **{
        f"role-name-{case}": (
            [(DEV_ROLE, f'role_name = "{name}"')],
            [invalid("accounts.dev.role_name", IAM_ROLE, repr(name))],
        )
        for case, name in [
            ("slash-and-space", "Org Access/Role"),
            ("empty", ""),
            ("too-long", "r" * 65),
        ]
    },
    # the pinned management account
    "missing-management-account-id": (
        [(MANAGEMENT_ACCOUNT_ID, "")],
        [
            "key 'management.account_id': missing (required for real AWS: the management account's "
            '12-digit id in quotes, such as "123456789012"; only an [emulator] environment may '
            "leave it out)"
        ],
    ),
    **{
        f"management-account-id-{case}": (
            [(MANAGEMENT_ACCOUNT_ID, f"account_id = {toml}")],
            [invalid("management.account_id", expected, got)],
        )
        for case, toml, expected, got in [
            ("short", '"11111111111"', ACCOUNT_ID, "'11111111111'"),
            ("letters", '"11111111111a"', ACCOUNT_ID, "'11111111111a'"),
            ("dashes", '"1111-1111-1111"', ACCOUNT_ID, "'1111-1111-1111'"),
            ("unquoted", "111111111111", f"a string ({ACCOUNT_ID})", "111111111111"),
        ]
    },
    # values of the wrong type
    "type-name-prefix": (
        [(NAME_PREFIX, "name_prefix = 42")],
        [
            invalid(
                "name_prefix",
                "a string (2-20 lowercase letters, digits or hyphens, starting with a letter)",
                "42",
            )
        ],
    ),
    "type-region": ([(REGION, "region = 5")], [invalid("region", "a string", "5")]),
    "type-email": (
        [(MANAGEMENT_EMAIL, 'email = ["aws-root@example.com"]')],
        [invalid("management.email", f"a string ({EMAIL})", "['aws-root@example.com']")],
    ),
    "type-users": (
        [(USERS, 'users = "alice"')],
        [invalid("admins.users", "a list of IAM user names", "'alice'")],
    ),
    "type-tag": ([(OWNER_TAG, "owner = 1")], [invalid("tags.owner", "a string tag value", "1")]),
    "type-account-table": (
        [(f"{DEV_TABLE}\n{DEV_EMAIL}\n{DEV_ROLE}", '[accounts]\ndev = "aws-dev@example.com"')],
        [
            invalid("accounts.dev", "a table", "'aws-dev@example.com'"),
            "key 'accounts.dev.email': missing (required)",
        ],
    ),
}


@pytest.mark.parametrize(("edits", "problems"), CASES.values(), ids=CASES.keys())
def test_invalid_file_names_file_key_and_expectation(tmp_path, edits, problems):
    assert_problems(write_env(tmp_path, *edits), *problems)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_env(
        tmp_path,
        (REGION, 'region = "mars-1"'),
        (STATE_BUCKET, 'bucket = "UP"'),
        (USERS, "users = []"),
        (DEV_EMAIL, 'email = "not-an-email"'),
        (DEV_ROLE, 'role = "Admin"'),
        (RETENTION, "retention_days = -5"),
    )
    assert_problems(
        path,
        invalid("region", "an AWS region such as eu-west-1 or us-east-1", "'mars-1'"),
        invalid(
            "state.bucket",
            BUCKET + "3 to 63 characters (has 2); only lowercase letters, digits, dots and hyphens",
            "'UP'",
        ),
        invalid("admins.users", "at least one admin user name", "[]"),
        Unknown("accounts.dev.role", "role_name"),
        invalid("accounts.dev.email", EMAIL, "'not-an-email'"),
        invalid("trail.retention_days", RETENTION_DAYS, "-5"),
    )


def test_unreadable_files_are_reported_with_their_path(tmp_path):
    broken = write_env(tmp_path, (REGION, "region = "))
    with pytest.raises(ConfigError) as caught:
        load(broken)
    assert str(caught.value).startswith(f"{broken}: 1 problem(s)")
    assert caught.value.problems[0].startswith("not valid TOML: ")

    with pytest.raises(ConfigError) as caught:
        load("no-such-environment")
    [problem] = caught.value.problems
    assert caught.value.source.name == "no-such-environment.toml"
    assert problem.startswith("file not found (environments available: ")
    assert {"example", "local"} <= set(problem.split(": ", 1)[1].rstrip(")").split(", "))


def test_valid_file_loads_into_typed_values(tmp_path):
    config = load(write_env(tmp_path))
    assert (config.env_name, config.source) == ("example", tmp_path / "example.toml")
    assert (config.region, config.name_prefix) == ("eu-west-1", "acme")
    assert config.management_email == "aws-root@example.com"
    assert config.management_account_id == "111111111111"
    assert config.state_bucket == "acme-terraform-state-example"
    assert config.admin_users == ("alice",)
    assert config.accounts == (
        MemberAccount("dev", "aws-dev@example.com", DEFAULT_ROLE_NAME, alias="acme-dev"),
    )
    assert (config.trail.name, config.trail.bucket, config.trail.retention_days) == (
        "organization-trail",
        "acme-cloudtrail-logs-example",
        365,
    )
    assert config.tags == (("owner", "alice"),)
    assert config.emulator is None
    assert config.stack_names == ("management", "dev")
    assert config.state_key("dev") == "dev/terraform.tfstate"
    with pytest.raises(AttributeError):  # frozen: code cannot change a loaded value
        config.region = "us-east-1"


def test_added_account_gives_a_second_member_and_workspace(tmp_path):
    config = load(write_env(tmp_path, add_account("test", "aws-test@example.com")))
    assert [a.name for a in config.accounts] == ["dev", "test"]
    assert config.account("test") == MemberAccount(
        "test", "aws-test@example.com", DEFAULT_ROLE_NAME, alias="acme-test"
    )
    assert config.stack_names == ("management", "dev", "test")
    with pytest.raises(KeyError, match="no member account named 'prod'.*known: dev, test"):
        config.account("prod")


def emulator_env(tmp_path: Path) -> Path:
    return write_env(tmp_path, source=config_module.environment_path("local"))


def test_emulator_port_variable_overrides_the_endpoint_port(tmp_path, monkeypatch):
    path = emulator_env(tmp_path)
    monkeypatch.delenv(EMULATOR_PORT_VARIABLE, raising=False)
    configured = urlsplit(load(path).emulator.endpoint_url)

    monkeypatch.setenv(EMULATOR_PORT_VARIABLE, "4599")
    emulator = load(path).emulator
    assert emulator.port == 4599 != configured.port
    assert (
        emulator.endpoint_url == configured._replace(netloc=f"{configured.hostname}:4599").geturl()
    )


def test_an_emulator_needs_no_management_account_id_but_may_pin_one(tmp_path):
    assert load(emulator_env(tmp_path)).management_account_id is None
    pinned = write_env(
        tmp_path / "pinned",
        ("[management]\n", '[management]\naccount_id = "123456789012"\n'),
        source=config_module.environment_path("local"),
    )
    assert load(pinned).management_account_id == "123456789012"


def test_emulator_port_variable_does_not_touch_real_environments(tmp_path, monkeypatch):
    monkeypatch.setenv(EMULATOR_PORT_VARIABLE, "4599")
    assert load(write_env(tmp_path)).emulator is None


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1"])
def test_emulator_port_variable_must_be_a_port(tmp_path, monkeypatch, port):
    monkeypatch.setenv(EMULATOR_PORT_VARIABLE, port)
    path = emulator_env(tmp_path)
    assert_problems(
        path, f"environment variable {EMULATOR_PORT_VARIABLE}: expected a port number, got {port!r}"
    )


# --- guardrails and budgets ----------------------------------------------------------------

ALLOWED_REGIONS = 'allowed_regions = ["eu-west-1", "us-east-1"]'
DENY_ROOT = "deny_member_root = true"
ORGANIZATION_BUDGET = "organization_monthly_usd = 20"
THRESHOLDS = "thresholds_percent = [50, 80, 100]"
DEV_BUDGET = "# monthly_budget_usd = 10"
DEV_FREEZE = "# freeze_at_percent = 100"
ANOMALY = "anomaly_alert_usd = 10"
GUARDRAIL_KEYS = (
    "ai_services_opt_out, allowed_regions, centralize_root_access, "
    "deny_leave_organization, deny_member_root, protect_audit_trail, tag_policy"
)
AN_AMOUNT = "a positive amount of US dollars, such as 20 or 12.5"
A_REGION = "an AWS region such as eu-west-1 or us-east-1"
FREEZE_PERCENT = (
    "a percentage of the account's monthly budget from 0 to 1000 (0 turns the kill switch off)"
)
ANOMALY_USD = (
    "an amount of US dollars of 0 or more, such as 10 (0 turns Cost Anomaly Detection off)"
)
THRESHOLD_LIST = (
    "a list of 1 to 5 percentages of the budget, such as [50, 80, 100] (AWS allows "
    "10 notifications per budget: an actual and a forecasted one per threshold)"
)


def without_sections(*names: str) -> str:
    """example.toml without the [name] tables (each runs up to the next blank line + table)."""
    text = EXAMPLE.read_text()
    for name in names:
        text = re.sub(rf"(?ms)^(#[^\n]*\n)*\[{name}\]\n.*?(?=^\n*(#[^\n]*\n)*\[)", "", text)
        assert f"[{name}]" not in text
    return text


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value.problems


def test_example_turns_every_guardrail_on(example_config):
    assert example_config.guardrails == Guardrails(allowed_regions=("eu-west-1", "us-east-1"))
    guardrails = example_config.guardrails
    assert guardrails.ai_services_opt_out and not guardrails.tag_policy
    assert example_config.budgets == Budgets(
        organization_monthly_usd=20, thresholds_percent=(50, 80, 100)
    )


def test_files_without_the_new_sections_load_with_safe_defaults(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(without_sections("guardrails", "budgets"))
    config = load(path)
    assert config.guardrails == Guardrails()
    assert config.guardrails.deny_member_root and config.guardrails.allowed_regions == ()
    assert config.guardrails.ai_services_opt_out and not config.guardrails.tag_policy
    assert config.control_regions == (config.region,), "every region allowed: home region only"
    assert config.budgets == Budgets()
    assert config.account("dev").monthly_budget_usd == DEFAULT_ACCOUNT_BUDGET_USD


def test_member_budget_is_read_and_defaults_to_at_most_the_organization_budget(tmp_path):
    config = load(write_env(tmp_path, (DEV_BUDGET, "monthly_budget_usd = 7.5")))
    assert config.account("dev").monthly_budget_usd == 7.5
    small = load(write_env(tmp_path, (ORGANIZATION_BUDGET, "organization_monthly_usd = 4")))
    assert small.account("dev").monthly_budget_usd == 4


@pytest.mark.parametrize("percent", [0, 80, 250.5, 1000])
def test_kill_switch_threshold_is_read_and_0_turns_it_off(tmp_path, percent):
    config = load(write_env(tmp_path, (DEV_FREEZE, f"freeze_at_percent = {percent}")))
    assert config.account("dev").freeze_at_percent == percent


@pytest.mark.parametrize("usd", [0, 2.5, 100])
def test_anomaly_alert_threshold_is_read_and_0_turns_it_off(tmp_path, usd):
    assert (
        load(write_env(tmp_path, (ANOMALY, f"anomaly_alert_usd = {usd}"))).budgets.anomaly_alert_usd
        == usd
    )


def test_the_kill_switch_and_anomaly_alerts_are_on_by_default(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(without_sections("budgets"))
    config = load(path)
    assert config.account("dev").freeze_at_percent == 100
    assert config.budgets.anomaly_alert_usd == 10


def test_thresholds_above_100_percent_are_allowed(tmp_path):
    config = load(write_env(tmp_path, (THRESHOLDS, "thresholds_percent = [80, 100, 150]")))
    assert config.budgets.thresholds_percent == (80, 100, 150)


INVALID = {
    "switch-not-bool": (
        [(DENY_ROOT, 'deny_member_root = "yes"')],
        ["key 'guardrails.deny_member_root': expected true or false, got 'yes'"],
    ),
    "switch-typo": (
        [(DENY_ROOT, "deny_root = true")],
        [f"key 'guardrails.deny_root': unknown key (allowed here: {GUARDRAIL_KEYS})"],
    ),
    "regions-not-list": (
        [(ALLOWED_REGIONS, 'allowed_regions = "eu-west-1"')],
        [
            "key 'guardrails.allowed_regions': expected a list of AWS regions such as "
            '["eu-west-1", "us-east-1"] (an empty list allows every region), got \'eu-west-1\''
        ],
    ),
    "region-unknown": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["eu-west-1", "mars-1"]')],
        [f"key 'guardrails.allowed_regions[1]': expected {A_REGION}, got 'mars-1'"],
    ),
    "region-twice": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["eu-west-1", "eu-west-1"]')],
        ["key 'guardrails.allowed_regions[1]': expected each region once, got 'eu-west-1'"],
    ),
    "home-region-missing": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["us-east-1"]')],
        [
            "key 'guardrails.allowed_regions': expected a list that includes the home region "
            "'eu-west-1' (the trail, the state bucket and the member workspaces live there), "
            "got ['us-east-1']"
        ],
    ),
    **{
        f"amount-{name}": (
            [(ORGANIZATION_BUDGET, f"organization_monthly_usd = {value}")],
            [f"key 'budgets.organization_monthly_usd': expected {AN_AMOUNT}, got {shown}"],
        )
        for name, value, shown in [
            ("zero", "0", "0"),
            ("negative", "-5", "-5"),
            ("text", '"20"', "'20'"),
            ("bool", "true", "True"),
            ("infinite", "inf", "inf"),
        ]
    },
    **{
        f"thresholds-{name}": (
            [(THRESHOLDS, f"thresholds_percent = {value}")],
            [f"key 'budgets.thresholds_percent': expected {THRESHOLD_LIST}, got {shown}"],
        )
        for name, value, shown in [
            ("empty", "[]", "[]"),
            ("too-many", "[10, 20, 30, 40, 50, 60]", "[10, 20, 30, 40, 50, 60]"),
            ("not-list", "80", "80"),
        ]
    },
    **{
        f"threshold-{name}": (
            [(THRESHOLDS, f"thresholds_percent = [50, {value}]")],
            [f"key 'budgets.thresholds_percent[1]': expected {expected}, got {shown}"],
        )
        for name, value, shown, expected in [
            ("zero", "0", "0", "a percentage above 0 and at most 1000"),
            ("too-high", "1001", "1001", "a percentage above 0 and at most 1000"),
            ("text", '"80"', "'80'", "a percentage above 0 and at most 1000"),
            ("twice", "50", "50", "each threshold once"),
        ]
    },
    "budgets-typo": (
        [(THRESHOLDS, "thresholds = [50]")],
        [
            "key 'budgets.thresholds': unknown key (allowed here: "
            "anomaly_alert_usd, organization_monthly_usd, thresholds_percent)"
        ],
    ),
    **{
        f"freeze-{name}": (
            [(DEV_FREEZE, f"freeze_at_percent = {value}")],
            [f"key 'accounts.dev.freeze_at_percent': expected {FREEZE_PERCENT}, got {shown}"],
        )
        for name, value, shown in [
            ("negative", "-1", "-1"),
            ("too-high", "1001", "1001"),
            ("text", '"100"', "'100'"),
            ("bool", "false", "False"),
            ("nan", "nan", "nan"),
        ]
    },
    **{
        f"anomaly-{name}": (
            [(ANOMALY, f"anomaly_alert_usd = {value}")],
            [f"key 'budgets.anomaly_alert_usd': expected {ANOMALY_USD}, got {shown}"],
        )
        for name, value, shown in [
            ("negative", "-1", "-1"),
            ("text", '"10"', "'10'"),
            ("bool", "true", "True"),
            ("infinite", "inf", "inf"),
        ]
    },
    "member-over-organization": (
        [(DEV_BUDGET, "monthly_budget_usd = 30")],
        [
            "key 'accounts.dev.monthly_budget_usd': expected an amount no larger than "
            "budgets.organization_monthly_usd (20), got 30"
        ],
    ),
    "member-amount": (
        [(DEV_BUDGET, 'monthly_budget_usd = "5"')],
        [f"key 'accounts.dev.monthly_budget_usd': expected {AN_AMOUNT}, got '5'"],
    ),
}


@pytest.mark.parametrize("edits, expected", INVALID.values(), ids=INVALID.keys())
def test_invalid_guardrail_and_budget_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected


def test_every_guardrail_and_budget_problem_is_reported_at_once(tmp_path):
    path = write_env(
        tmp_path,
        (DENY_ROOT, "deny_member_root = 1"),
        (ALLOWED_REGIONS, 'allowed_regions = ["mars-1"]'),
        (ORGANIZATION_BUDGET, "organization_monthly_usd = -1"),
        (THRESHOLDS, "thresholds_percent = [0]"),
        (DEV_BUDGET, "monthly_budget_usd = 0"),
    )
    assert problems_of(path) == [
        f"key 'budgets.organization_monthly_usd': expected {AN_AMOUNT}, got -1",
        "key 'budgets.thresholds_percent[0]': expected a percentage above 0 and at most 1000, "
        "got 0",
        f"key 'accounts.dev.monthly_budget_usd': expected {AN_AMOUNT}, got 0",
        "key 'guardrails.deny_member_root': expected true or false, got 1",
        f"key 'guardrails.allowed_regions[0]': expected {A_REGION}, got 'mars-1'",
        "key 'guardrails.allowed_regions': expected a list that includes the home region "
        "'eu-west-1' (the trail, the state bucket and the member workspaces live there), "
        "got ['mars-1']",
    ]


# --- account aliases, alternate contacts ---------------------------------------------------

DEV_ALIAS = '# alias = "acme-dev"'
SECURITY_PHONE_AND_AFTER = 'email = "aws-security@example.com"\nphone = "+1 555 0100"'
ALIAS = (
    "an IAM account alias: 3-63 lowercase letters, digits and hyphens, not starting or "
    "ending with a hyphen, no two hyphens in a row"
)


def test_alias_defaults_to_prefix_and_account_name_and_can_be_set(tmp_path, example_config):
    assert example_config.account("dev").alias == f"{example_config.name_prefix}-dev"
    config = load(write_env(tmp_path, (DEV_ALIAS, 'alias = "my-learning-dev"')))
    assert config.account("dev").alias == "my-learning-dev"


def test_control_regions_are_the_home_region_then_the_other_allowed_ones(example_config):
    assert example_config.control_regions == ("eu-west-1", "us-east-1")


def example_with_contacts(tables: str) -> str:
    """example.toml with `tables` in place of its contact tables."""
    text = EXAMPLE.read_text()
    return text[: text.index("[contacts.billing]")] + tables


def test_contacts_load_by_aws_type_and_are_optional(tmp_path, example_config):
    security = example_config.contacts.security
    assert (security.email, security.phone) == ("aws-security@example.com", "+1 555 0100")
    assert sorted(example_config.contacts.by_type()) == ["BILLING", "OPERATIONS", "SECURITY"]
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts(""))
    assert load(path).contacts.by_type() == {}


def test_one_contact_type_is_enough(tmp_path):
    text = EXAMPLE.read_text()
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts(text[text.index("[contacts.security]") :]))
    assert list(load(path).contacts.by_type()) == ["SECURITY"]


def test_contacts_without_any_contact_or_as_a_value_are_refused(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts("[contacts]\n"))
    assert problems_of(path) == [
        "key 'contacts': expected at least one of the tables [contacts.billing], "
        "[contacts.operations], [contacts.security] (or no [contacts] at all), got {}"
    ]
    path.write_text(example_with_contacts('[contacts]\nsecurity = "alice@example.com"\n'))
    assert (
        problems_of(path)[0] == "key 'contacts.security': expected a table, got 'alice@example.com'"
    )


CONTACT_AND_ALIAS_CASES = {
    **{
        f"alias-{case}": (
            [(DEV_ALIAS, f'alias = "{alias}"')],
            [f"key 'accounts.dev.alias': expected {ALIAS}, got {alias!r}"],
        )
        for case, alias in [
            ("uppercase", "Acme-Dev"),
            ("too-short", "ab"),
            ("too-long", "a" * 64),
            ("leading-hyphen", "-acme"),
            ("trailing-hyphen", "acme-"),
            ("double-hyphen", "acme--dev"),
            ("underscore", "acme_dev"),
        ]
    },
    "alias-not-string": (
        [(DEV_ALIAS, "alias = 7")],
        [f"key 'accounts.dev.alias': expected a string ({ALIAS}), got 7"],
    ),
    "alias-default-invalid": (
        [(NAME_PREFIX, 'name_prefix = "acme-"')],
        [
            f"key 'accounts.dev.alias': expected {ALIAS}; the default '<name_prefix>-<account "
            "name>' is not one here, so set alias, got 'acme--dev'"
        ],
    ),
    "alias-twice": (
        [
            (DEV_ALIAS, 'alias = "shared-alias"'),
            add_account("test", "aws-test@example.com"),
            ("[accounts.test]\n", '[accounts.test]\nalias = "shared-alias"\n'),
        ],
        [
            "key 'accounts.test.alias': expected an alias not already used by 'accounts.dev' (an "
            "account alias is unique across all of AWS), got 'shared-alias'"
        ],
    ),
    "contact-missing-key": (
        [('phone = "+1 555 0100"\n\n[contacts.operations]', "\n[contacts.operations]")],
        ["key 'contacts.billing.phone': missing (required)"],
    ),
    "contact-typo": (
        [
            (
                'title = "Owner"\nemail = "aws-billing@example.com"',
                'titel = "Owner"\nemail = "aws-billing@example.com"',
            )
        ],
        [
            "key 'contacts.billing.title': missing (required)",
            Unknown("contacts.billing.titel", "title"),
        ],
    ),
    "contact-unknown-type": (
        [("[contacts.security]", "[contacts.secrity]")],
        [Unknown("contacts.secrity", "security")],
    ),
    "contact-email": (
        [('email = "aws-security@example.com"', 'email = "security.example.com"')],
        [f"key 'contacts.security.email': expected {EMAIL}, got 'security.example.com'"],
    ),
    "contact-phone-letters": (
        [(SECURITY_PHONE_AND_AFTER, 'email = "aws-security@example.com"\nphone = "call me"')],
        [
            "key 'contacts.security.phone': expected a phone number of digits, spaces, +, -, "
            "( and ), got 'call me'"
        ],
    ),
    "contact-phone-too-long": (
        [(SECURITY_PHONE_AND_AFTER, f'email = "aws-security@example.com"\nphone = "{"1" * 26}"')],
        [
            f"key 'contacts.security.phone': expected 1 to 25 characters (AWS limit), got "
            f"{'1' * 26!r}"
        ],
    ),
    "contact-name-empty": (
        [
            (
                'name = "Alice Example"\ntitle = "Owner"\nemail = "aws-security@example.com"',
                'name = ""\ntitle = "Owner"\nemail = "aws-security@example.com"',
            )
        ],
        ["key 'contacts.security.name': expected 1 to 64 characters (AWS limit), got ''"],
    ),
    "contact-title-too-long": (
        [
            (
                'title = "Owner"\nemail = "aws-security@example.com"',
                f'title = "{"t" * 51}"\nemail = "aws-security@example.com"',
            )
        ],
        [
            f"key 'contacts.security.title': expected 1 to 50 characters (AWS limit), got "
            f"{'t' * 51!r}"
        ],
    ),
}


@pytest.mark.parametrize(
    "edits, expected", CONTACT_AND_ALIAS_CASES.values(), ids=CONTACT_AND_ALIAS_CASES.keys()
)
def test_invalid_alias_and_contact_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected


# --- the dev reset's choices -------------------------------------------------------------------

DEV_RESET_VPC = "# reset_default_vpc = false"
DEV_RESET_KEEP = "# reset_keep = []"
RESET_KEEP = (
    'a list of resource names or ARNs to keep, such as ["my-notes-bucket"] (each '
    "3-2048 of letters, digits and +=,.@_/:#*-, each once)"
)


def test_reset_keeps_the_default_vpc_and_nothing_chosen_by_default(example_config):
    dev = example_config.account("dev")
    assert (dev.reset_default_vpc, dev.reset_keep) == (False, ())


def test_reset_choices_are_read(tmp_path):
    config = load(
        write_env(
            tmp_path,
            (DEV_RESET_VPC, "reset_default_vpc = true"),
            (
                DEV_RESET_KEEP,
                'reset_keep = ["my-notes", "arn:aws:sns:eu-west-1:222222222222:alerts"]',
            ),
        )
    )
    dev = config.account("dev")
    assert dev.reset_default_vpc is True
    assert dev.reset_keep == ("my-notes", "arn:aws:sns:eu-west-1:222222222222:alerts")


RESET_CASES = {
    "vpc-not-bool": (
        [(DEV_RESET_VPC, 'reset_default_vpc = "yes"')],
        ["key 'accounts.dev.reset_default_vpc': expected true or false, got 'yes'"],
    ),
    "keep-not-list": (
        [(DEV_RESET_KEEP, 'reset_keep = "my-notes"')],
        [f"key 'accounts.dev.reset_keep': expected {RESET_KEEP}, got 'my-notes'"],
    ),
    "keep-space": (
        [(DEV_RESET_KEEP, 'reset_keep = ["my notes"]')],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 'my notes'"],
    ),
    "keep-too-short": (
        [(DEV_RESET_KEEP, 'reset_keep = ["ab"]')],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 'ab'"],
    ),
    "keep-not-string": (
        [(DEV_RESET_KEEP, "reset_keep = [7]")],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 7"],
    ),
    "keep-twice": (
        [(DEV_RESET_KEEP, 'reset_keep = ["my-notes", "my-notes"]')],
        ["key 'accounts.dev.reset_keep[1]': expected each name or ARN once, got 'my-notes'"],
    ),
}


@pytest.mark.parametrize("edits, expected", RESET_CASES.values(), ids=RESET_CASES.keys())
def test_invalid_reset_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected
