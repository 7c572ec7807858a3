"""Config validation: every mistake in an environment file is reported, all at once, with the
file, the key and what is expected, and a valid file loads into typed values. Each case edits a
copy of environments/example.toml (tests/unit/config_cases.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from foundation import config as config_module
from foundation.config import ConfigError, load
from foundation.contract import DEFAULT_ROLE_NAME
from foundation.model import (
    EMULATOR_PORT_VARIABLE,
    MemberAccount,
)
from tests.helpers import write_env
from tests.unit.config_cases import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    BUCKET,
    DEV_EMAIL,
    DEV_ROLE,
    DEV_TABLE,
    EMAIL,
    IAM_ROLE,
    MANAGEMENT_ACCOUNT_ID,
    MANAGEMENT_EMAIL,
    NAME_PREFIX,
    OWNER_TAG,
    REGION,
    RETENTION,
    RETENTION_DAYS,
    STATE_BUCKET,
    TRAIL_BUCKET,
    USERS,
    Unknown,
    add_account,
    assert_problems,
    invalid,
)

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
