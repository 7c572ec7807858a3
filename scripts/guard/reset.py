"""Before a dev reset: every rule of a destroy, and aws-nuke's."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from foundation.model import Config
from scripts.guard.checks import (
    REASON_NUKE_CONFIG,
    REASON_NUKE_MISSING,
    REASON_NUKE_VERSION,
    Checks,
)
from scripts.guard.member import Target, member_checks

NUKE_SUPPORTED_MAJOR = 2
NUKE_CONFIG_CHECKED = "the aws-nuke config names only the target account"
NUKE_INSTALL = (
    "install it with `sudo apt-get install aws-nuke` (Debian and Ubuntu ship 2.16), "
    "or put the 2.x release binary from https://github.com/rebuy-de/aws-nuke/releases "
    "on PATH"
)


@dataclass
class ResetTarget:
    """What the dev-reset guard verified: the member account (as for a destroy), the aws-nuke
    binary and the generated aws-nuke config that names only that account."""

    member: Target
    nuke_binary: str
    nuke_version: str
    nuke_config: str


def dev_reset_guard(
    config: Config,
    account_name: str,
    stacks: Path | None,
    render_nuke_config: Callable[[Target, list[str]], str],
) -> ResetTarget:
    """Every rule of `member_destroy_guard`, and the aws-nuke rules: aws-nuke 2.x is installed;
    the config `render_nuke_config(target, blocklist)` generates names exactly the target
    account and blocks the management account and every other member. Raises `Refused` with
    every reason at once."""
    checks = Checks()
    target = member_checks(checks, config, account_name, stacks)
    binary, version = _check_aws_nuke(checks)
    nuke_config = ""
    if target is None:
        checks.skip(NUKE_CONFIG_CHECKED, "the member account verified by the checks above")
    else:
        blocklist = sorted(
            {
                target.management_account_id,
                *(
                    account_id
                    for name, account_id in target.member_account_ids.items()
                    if name != account_name
                ),
            }
        )
        nuke_config = render_nuke_config(target, blocklist)
        _check_nuke_config(checks, nuke_config, target)
    checks.refuse_if_any(f"reset the '{account_name}' account")
    return ResetTarget(
        member=target, nuke_binary=binary, nuke_version=version, nuke_config=nuke_config
    )


def aws_nuke_version(binary: str) -> str | None:
    """aws-nuke's version: what it says, else (Debian builds say "unknown") its package's."""
    said = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
    found = re.search(r"\bv?(\d+\.\d+[\w.+~-]*)", said)
    if found:
        return found.group(1)
    dpkg = shutil.which("dpkg-query")
    if dpkg and Path(binary).resolve() == Path("/usr/bin/aws-nuke"):
        package = subprocess.run(
            [dpkg, "-W", "-f=${Version}", "aws-nuke"], capture_output=True, text=True
        )
        if package.returncode == 0 and package.stdout.strip():
            return package.stdout.strip()
    return None


def installed_aws_nuke() -> tuple[str, str, str | None]:
    """(binary, version, why the dev reset cannot use it or None) of the aws-nuke on PATH."""
    binary = shutil.which("aws-nuke")
    if binary is None:
        return "", "", f"no aws-nuke on PATH: {NUKE_INSTALL}"
    version = aws_nuke_version(binary)
    major = int(version.split(".")[0]) if version and version[0].isdigit() else None
    if major != NUKE_SUPPORTED_MAJOR:
        return binary, version or "", f"{binary} is version {version or 'unknown'}: {NUKE_INSTALL}"
    return binary, version or "", None


def _check_aws_nuke(checks: Checks) -> tuple[str, str]:
    binary, version, problem = installed_aws_nuke()
    if problem:
        checks.record(REASON_NUKE_VERSION if binary else REASON_NUKE_MISSING, False, problem)
    else:
        checks.record("aws-nuke installed", True, f"{binary}, version {version}")
    return binary, version


def _check_nuke_config(checks: Checks, text: str, target: Target) -> None:
    config = yaml.safe_load(text) or {}
    accounts = [str(account) for account in config.get("accounts") or {}]
    blocklist = [str(account) for account in config.get("account-blocklist") or []]
    problems = []
    if accounts != [target.account_id]:
        problems.append(
            f"it names {', '.join(accounts) or 'no account'}, not only {target.account_id}"
        )
    if target.account_id in blocklist:
        problems.append(f"its blocklist names the target {target.account_id}")
    missing = sorted(
        ({target.management_account_id, *target.member_account_ids.values()} - {target.account_id})
        - set(blocklist)
    )
    if missing:
        problems.append(f"its blocklist lacks {', '.join(missing)}")
    checks.record(
        REASON_NUKE_CONFIG if problems else NUKE_CONFIG_CHECKED,
        not problems,
        "; ".join(problems) or f"only {target.account_id}; blocklist {', '.join(blocklist)}",
    )
