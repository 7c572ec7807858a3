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

# The aws-nuke versions the reset knows, each recognized by what `aws-nuke version` prints:
# rebuy-de's 2.16 (Debian and Ubuntu ship it, printing "version: unknown": its package says
# which) to 2.25 (the last; rebuy-de/aws-nuke is archived), and ekristen's v3, the maintained line
# ("aws-nuke version v3.x"; `aws-nuke run`, pkg/commands/nuke/nuke.go).
NUKE_OLDEST = (2, 16)
NUKE_NEWEST_2 = (2, 25)
NUKE_SUPPORTED = "2.16 to 2.25 (rebuy-de) or 3.x (ekristen)"
NUKE_CONFIG_CHECKED = "the aws-nuke config names only the target account"
NUKE_INSTALL = (
    "install it: on Debian or Ubuntu `sudo apt-get install aws-nuke` (2.16); on macOS `brew "
    "install aws-nuke` (ekristen's v3); anywhere, a release binary of "
    "https://github.com/ekristen/aws-nuke/releases (v3) or "
    "https://github.com/rebuy-de/aws-nuke/releases (2.25.0, the last 2.x) on PATH"
)


@dataclass(frozen=True)
class AwsNuke:
    """The installed aws-nuke: where, which version, and whether it is ekristen's v3 (its own
    command line, config keys and output) or rebuy-de's 2.x."""

    binary: str
    version: str
    major: int
    minor: int

    @property
    def v3(self) -> bool:
        return self.major == 3

    def __str__(self) -> str:
        maker = "ekristen" if self.v3 else "rebuy-de"
        return f"aws-nuke {self.version} ({maker}, {self.binary})"


# The config is still generated, and checked, when aws-nuke is missing or unsupported.
_ASSUMED = AwsNuke("aws-nuke", "2.16", 2, 16)


@dataclass
class ResetTarget:
    """What the dev-reset guard verified: the member account (as for a destroy), the aws-nuke
    binary and the generated aws-nuke config that names only that account."""

    member: Target
    aws_nuke: AwsNuke
    nuke_config: str


def dev_reset_guard(
    config: Config,
    account_name: str,
    stacks: Path | None,
    render_nuke_config: Callable[[Target, list[str], AwsNuke], str],
) -> ResetTarget:
    """Every rule of `member_destroy_guard`, and the aws-nuke rules: a supported aws-nuke is
    installed; the config `render_nuke_config(target, blocklist, aws_nuke)` generates names
    exactly the target account and blocks the management account and every other member.
    Raises `Refused` with every reason at once."""
    checks = Checks()
    target = member_checks(checks, config, account_name, stacks)
    aws_nuke = _check_aws_nuke(checks)
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
        # A config is checked even when aws-nuke is unusable: every reason is said at once.
        nuke_config = render_nuke_config(target, blocklist, aws_nuke or _ASSUMED)
        _check_nuke_config(checks, nuke_config, target)
    checks.refuse_if_any(f"reset the '{account_name}' account")
    return ResetTarget(member=target, aws_nuke=aws_nuke, nuke_config=nuke_config)


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


def recognized(binary: str) -> AwsNuke | str:
    """The aws-nuke at `binary` when it is a version the reset supports; else what it is."""
    version = aws_nuke_version(binary)
    numbers = re.match(r"(\d+)\.(\d+)", version or "")
    major, minor = (int(numbers[1]), int(numbers[2])) if numbers else (0, 0)
    if major != 3 and not NUKE_OLDEST <= (major, minor) <= NUKE_NEWEST_2:
        return f"{binary} is version {version or 'unknown'}, not {NUKE_SUPPORTED}"
    return AwsNuke(binary, version, major, minor)


def installed_aws_nuke() -> AwsNuke | str:
    """The aws-nuke on PATH when the dev reset supports it; else why not, and how to install
    one."""
    binary = shutil.which("aws-nuke")
    if binary is None:
        return f"no aws-nuke on PATH: {NUKE_INSTALL}"
    found = recognized(binary)
    return f"{found}: {NUKE_INSTALL}" if isinstance(found, str) else found


def _check_aws_nuke(checks: Checks) -> AwsNuke | None:
    found = installed_aws_nuke()
    if isinstance(found, AwsNuke):
        checks.record("aws-nuke installed", True, str(found))
        return found
    missing = shutil.which("aws-nuke") is None
    checks.record(REASON_NUKE_MISSING if missing else REASON_NUKE_VERSION, False, found)
    return None


def _check_nuke_config(checks: Checks, text: str, target: Target) -> None:
    config = yaml.safe_load(text) or {}
    accounts = [str(account) for account in config.get("accounts") or {}]
    # "account-blocklist" for 2.x; v3 reads "blocklist" (and the old name, warning).
    blocklist = [
        str(account)
        for key in ("account-blocklist", "blocklist")
        for account in config.get(key) or []
    ]
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
