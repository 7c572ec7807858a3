"""What the environment-file tests share: the lines of environments/example.toml their cases
edit, and how a refusal is checked (every problem at once, with the file, the key and what is
expected)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from foundation.config import ConfigError, load
from tests.helpers import EXAMPLE

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
