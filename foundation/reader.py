"""Reading an untrusted TOML table into typed values: each problem is recorded, with the key
and what is expected, and reading carries on with a placeholder, so that every problem of a file
is reported at once (foundation/config.py reads the environment file with it)."""

from __future__ import annotations

import ipaddress
import math
import re
from pathlib import Path
from typing import Any

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")


class Reader:
    """Records each problem of the file at `path` and carries on with a placeholder."""

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
        value = self.string(table, key, full_key, EMAIL, "an email address like name@example.com")
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


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
