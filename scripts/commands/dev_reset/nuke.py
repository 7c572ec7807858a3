"""aws-nuke runs for a dev reset: each as the member role in a fresh session of the reset's name
(the region guardrail exempts it, so it acts outside the allowed regions too) for the role's
longest session, its credentials in aws-nuke's environment only, never on its command line; its
output appended to the log and read back (output.py).

aws-nuke asks for the account alias before it scans and again before it deletes; the alias the
person confirmed is typed into those prompts, which is as safe as --force/--no-prompt and
spares their minimum wait of 3 seconds per prompt.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from foundation.contract import RESET_SESSION_NAME
from foundation.model import Config
from scripts import aws
from scripts.commands.dev_reset.output import Run
from scripts.console import UserError, say
from scripts.guard.reset import AwsNuke, ResetTarget

ALIAS_PROMPT = "Enter account alias to continue"
MAX_WAIT_RETRIES = "30"
# AssumeRole refuses more than an hour in a session that is itself assumed (role chaining).
CHAINED_SESSION_SECONDS = 3600
# Variables that would send aws-nuke's requests elsewhere or as someone else.
_FOREIGN_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ASSUME_ROLE_ARN",
)


def command_line(aws_nuke: AwsNuke, config_file: Path, *, dry_run: bool) -> list[str]:
    """2.x: `aws-nuke --config …` (cmd/root.go); v3: `aws-nuke run --config …`, its output as
    JSON (pkg/commands/nuke/nuke.go, pkg/commands/global/global.go)."""
    common = ["--config", str(config_file), "--max-wait-retries", MAX_WAIT_RETRIES]
    deleting = [] if dry_run else ["--no-dry-run"]
    if aws_nuke.v3:
        return [aws_nuke.binary, "run", *common, "--log-format", "json", *deleting]
    return [aws_nuke.binary, *common, *deleting]


def max_session_seconds(config: Config, checked: ResetTarget) -> int:
    """The member role's longest session (MaxSessionDuration, 1 to 12 hours)."""
    role_name = checked.member.role_arn.rsplit("/", 1)[-1]
    iam = aws.client(config, "iam", checked.member.session)
    return iam.get_role(RoleName=role_name)["Role"]["MaxSessionDuration"]


def reset_session(config: Config, role_arn: str, seconds: int) -> tuple[boto3.Session, int]:
    """A fresh session of the member role under the reset's session name, and how long it
    lasts: `seconds`, or an hour when the management credentials are an assumed role
    themselves (role chaining)."""
    try:
        session = aws.assume_role(config, role_arn, RESET_SESSION_NAME, duration_seconds=seconds)
        return session, seconds
    except ClientError as error:
        if seconds <= CHAINED_SESSION_SECONDS or "chaining" not in str(error):
            raise
    session = aws.assume_role(
        config, role_arn, RESET_SESSION_NAME, duration_seconds=CHAINED_SESSION_SECONDS
    )
    return session, CHAINED_SESSION_SECONDS


def nuke_environment(config: Config, member: boto3.Session) -> dict[str, str]:
    """The member session's credentials; on the emulator its certificate (AWS_CA_BUNDLE) and its
    subdomain tunnel as HTTPS proxy for S3's <bucket>.127.0.0.1 addresses."""
    env = aws.process_environment(config)
    for name in _FOREIGN_VARIABLES:
        env.pop(name, None)
    credentials = member.get_credentials()
    env.update(
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_SESSION_TOKEN=credentials.token,
    )
    if config.emulator:
        env["HTTPS_PROXY"] = config.emulator.tunnel_url
    return env


class Runner:
    """aws-nuke as the member role, each run with fresh credentials, its output appended to the
    log and read back."""

    def __init__(self, config: Config, checked: ResetTarget, config_file: Path, log: Path):
        self.config = config
        self.checked = checked
        self.config_file = config_file
        self.log = log
        self.alias = config.account(checked.member.account_name).alias
        self.seconds = max_session_seconds(config, checked)

    def __call__(self, *, dry_run: bool) -> Run:
        aws_nuke = self.checked.aws_nuke
        command = command_line(aws_nuke, self.config_file, dry_run=dry_run)
        session, seconds = reset_session(self.config, self.checked.member.role_arn, self.seconds)
        run = Run()
        with open(self.log, "a") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.write(f"credentials: a new session of {seconds} s as {RESET_SESSION_NAME}\n")
            log.flush()
            process = subprocess.Popen(
                command,
                env=nuke_environment(self.config, session),
                text=True,
                bufsize=1,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            lock = threading.Lock()

            def take(line: str) -> str | None:
                with lock:
                    log.write(line)
                    return run.read(line, v3=aws_nuke.v3)

            # Its errors are read on their own: merged into stdout they split its lines.
            errors = threading.Thread(target=lambda: [take(line) for line in process.stderr])
            errors.start()
            for line in process.stdout:
                progress = take(line)
                if ALIAS_PROMPT in line:
                    process.stdin.write(self.alias + "\n")
                    process.stdin.flush()
                elif progress and not dry_run:
                    say(f"      {progress}")
            process.wait()
            errors.join()
        if process.returncode != 0:
            raise UserError(self._failure(run, process.returncode, dry_run))
        return run

    def _failure(self, run: Run, returncode: int, dry_run: bool) -> str:
        seen = "; ".join(dict.fromkeys(run.errors[-4:])) or "see the log"
        if dry_run:
            return (
                f"aws-nuke's dry run failed (exit {returncode}): {seen}. Nothing was deleted; "
                f"full output: {self.log}"
            )
        removed, left = run.removed, run.left
        named = ", ".join(f"{r.region} {r.resource_type} {r.name} ({r.status})" for r in left[:10])
        expired = (
            f" The credentials expired: the member role allows {self.seconds} s a session."
            if "ExpiredToken" in " ".join(run.errors)
            else ""
        )
        return (
            f"aws-nuke's deletion stopped (exit {returncode}): {len(removed)} resource(s) "
            f"deleted, {len(left)} not: {named or 'none listed'}"
            f"{' …' if len(left) > 10 else ''}. It said: {seen}.{expired} Nothing else was "
            f"changed. Run `make dev-reset ENV={self.config.env_name} "
            f"ACCOUNT={self.checked.member.account_name}` again: it continues with what is "
            f"left. Full output: {self.log}"
        )


def resource_types(aws_nuke: AwsNuke) -> list[str]:
    """Every resource type the installed aws-nuke knows (`aws-nuke resource-types`: 2.x one a
    line; v3 each with its kind, a cloud-control alternative indented below it)."""
    listed = subprocess.run(
        [aws_nuke.binary, "resource-types"], capture_output=True, text=True, check=True
    ).stdout
    return sorted(
        {line.split()[0] for line in listed.splitlines() if line.strip() and line[0] != " "}
    )
