"""`make dev-reset`: a member account (dev by default) back to exactly its baseline, in every
region the guardrails allow, with aws-nuke doing the deleting — and proven.

guard (scripts/guard/, with the aws-nuke rules) → preview (aws-nuke dry run: what would be
deleted, grouped by region and type, and what is kept and why) → confirm (the person types the
account alias or id; `auto_approve` for --yes / AUTO_APPROVE=1) → nuke (aws-nuke --no-dry-run,
its output in LOG_DIR, progress on the terminal) → rebuild (scripts/runner/rebuild.py: the member
workspace applied where its plan shows changes, then planned clean again) → proof (a second
dry run finds nothing to delete; the management state object is byte-for-byte unchanged).

aws-nuke asks for the account alias before it scans and again before it deletes; the alias the
person confirmed is typed into those prompts, which is as safe as --force and spares its
3-second minimum wait per prompt. What a reset keeps is the list in scripts/commands/nuke_config.py.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from foundation.contract import DEV_ACCOUNT
from foundation.model import Config
from foundation.paths import LOG_DIR
from scripts import aws, workspaces
from scripts.commands import ACCOUNT, YES, Command, nuke_config
from scripts.commands.made_by import MadeBy
from scripts.console import Steps, UserError, say, say_table
from scripts.guard.approval import approved_without_asking, confirmed
from scripts.guard.member import Target
from scripts.guard.reset import ResetTarget, dev_reset_guard
from scripts.runner.rebuild import rebuild, workspace_log
from scripts.runner.synth import stacks_dir, synth
from scripts.workspaces import ManagementStateWatch, managed_resources

PHASE_NAMES = ("guard", "preview", "nuke", "apply", "plan", "proof")
PHASES = len(PHASE_NAMES)
WOULD_REMOVE = "would remove"
FILTERED_BY_CONFIG = "filtered by config"
ALIAS_PROMPT = "Enter account alias to continue"
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
)
_PROGRESS = re.compile(r"^(Removal requested|Nuke complete|Scan complete)")


@dataclass(frozen=True)
class Listed:
    """One resource line of aws-nuke's output."""

    region: str
    resource_type: str
    name: str
    properties: dict[str, str]
    status: str


@dataclass
class Scan:
    doomed: list[Listed] = field(default_factory=list)
    kept: list[Listed] = field(default_factory=list)


@dataclass
class ResetResult:
    account_name: str
    account_id: str
    deleted: int
    timings: list[tuple[str, float]]
    outcomes: list[str]
    spared: int = 0  # resources someone else made, kept (see MadeBy)


def parse(output: str) -> Scan:
    """The resources of an aws-nuke dry run: those it would remove, and those it keeps."""
    scan = Scan()
    for line in output.splitlines():
        parts = line.split(" - ")
        if len(parts) < 3 or not re.fullmatch(r"[a-z]+(-[a-z]+)*(-\d)?", parts[0]):
            continue
        properties: dict[str, str] = {}
        middle = parts[2:-1]
        if middle and middle[-1].startswith("["):
            properties = dict(re.findall(r'([\w:.-]+): "((?:[^"\\]|\\.)*)"', middle[-1]))
            middle = middle[:-1]
        listed = Listed(parts[0], parts[1], " - ".join(middle), properties, parts[-1])
        if listed.status == WOULD_REMOVE:
            scan.doomed.append(listed)
        else:
            scan.kept.append(listed)
    return scan


def reset(
    config: Config,
    account_name: str = DEV_ACCOUNT,
    stacks: Path | None = None,
    *,
    auto_approve: bool = False,
    log: Path | None = None,
    made_by: MadeBy | None = None,
) -> ResetResult:
    """The whole reset of `account_name`; `log`: terraform's output to this file; `made_by`: what
    the caller made itself, the only resources `auto_approve` deletes unasked."""
    if stacks is None:
        synth(config)
        stacks = stacks_dir()
    steps = Steps(PHASES)
    outcomes: list[str] = []
    management = ManagementStateWatch(config)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    config_file = LOG_DIR / f"{config.env_name}-{account_name}-aws-nuke.yaml"
    nuke_log = LOG_DIR / f"{config.env_name}-{account_name}-aws-nuke.log"
    nuke_log.write_text("")
    kept_rules: list[nuke_config.Keep] = []
    rendered_for: dict = {}  # what the config was rendered for, to render it again with more kept

    def render(target: Target, blocklist: list[str]) -> str:
        scanned = nuke_config.regions(config, _enabled_regions(config, target.session))
        kept_rules[:] = nuke_config.keeps(
            config,
            account_name,
            _managed(config, account_name),
            _default_vpcs(config, target.session, scanned),
        )
        rendered_for.update(account_id=target.account_id, blocklist=blocklist, scanned=scanned)
        return nuke_config.render_config(config, account_name, kept=kept_rules, **rendered_for)

    with steps.step(f"checking that only the '{account_name}' account can be affected"):
        checked = dev_reset_guard(config, account_name, stacks, render)
        config_file.write_text(checked.nuke_config)
        say(f"      aws-nuke config: {config_file}")
    target = checked.member
    alias = config.account(account_name).alias
    run = _Runner(config, checked, config_file, nuke_log, alias)
    outcomes.append(f"only account {target.account_id} ('{account_name}') can be affected")

    with steps.step(f"preview: what aws-nuke would delete in account {target.account_id}"):
        scan = parse(run(dry_run=True))
        _preview(scan, kept_rules)
    spared = (
        made_by.spared(scan.doomed, alias, target.account_id) if made_by and auto_approve else []
    )
    if spared:
        kept_rules += [made_by.keep(listed) for listed in spared]
        config_file.write_text(
            nuke_config.render_config(config, account_name, kept=kept_rules, **rendered_for)
        )
        scan.doomed = [listed for listed in scan.doomed if listed not in spared]
        scan.kept += spared
    outcomes.append(
        f"{len(scan.doomed)} to delete, {len(scan.kept)} kept"
        + (f" ({len(spared)} not made by {made_by.who})" if spared else "")
    )

    if scan.doomed:
        confirmed(
            f"Delete these {len(scan.doomed)} resource(s) in account {target.account_id} "
            f"('{alias}')? This cannot be undone.",
            alias,
            also=target.account_id,
            asked="the account alias",
            auto_approve=auto_approve,
            skipped=f"deleting {len(scan.doomed)} resource(s) in account {target.account_id}",
            unchanged="nothing was deleted",
        )
    with steps.step(f"deleting with aws-nuke (log: {nuke_log})"):
        if scan.doomed:
            run(dry_run=False)
            outcomes.append(f"{len(scan.doomed)} resource(s) deleted")
        else:
            say("      Nothing to delete: the account holds only its baseline.")
            outcomes.append("nothing to delete")

    outcomes += rebuild(config, account_name, stacks, steps=steps, log=log)

    with steps.step("proof: a second dry run, and the management state"):
        left = parse(run(dry_run=True)).doomed
        _prove(left, management)
    outcomes.append("0 resources left to delete; management state byte-for-byte unchanged")
    result = ResetResult(
        account_name, target.account_id, len(scan.doomed), steps.timings, outcomes, len(spared)
    )
    summary(result, steps)
    return result


class _Runner:
    """aws-nuke as the verified member role, its output appended to the log."""

    def __init__(
        self, config: Config, checked: ResetTarget, config_file: Path, log: Path, alias: str
    ):
        self.command = [
            checked.nuke_binary,
            "--config",
            str(config_file),
            "--max-wait-retries",
            "30",
        ]
        self.env = nuke_environment(config, checked.member.session)
        self.log = log
        self.alias = alias

    def __call__(self, *, dry_run: bool) -> str:
        command = self.command + ([] if dry_run else ["--no-dry-run"])
        lines = []
        with open(self.log, "a") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            # Its errors go to the log on their own: merged into stdout they split its lines.
            process = subprocess.Popen(
                command,
                env=self.env,
                text=True,
                bufsize=1,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
            for line in process.stdout:
                lines.append(line)
                log.write(line)
                if ALIAS_PROMPT in line:
                    process.stdin.write(self.alias + "\n")
                    process.stdin.flush()
                elif not dry_run and _PROGRESS.match(line):
                    say(f"      {line.rstrip()}")
            process.wait()
        if process.returncode != 0:
            tail = "".join(lines[-8:]).rstrip()
            doing = "dry run" if dry_run else "deletion"
            raise UserError(
                f"aws-nuke's {doing} failed (exit {process.returncode}); full "
                f"output: {self.log}\n{tail}"
            )
        return "".join(lines)


def nuke_environment(config: Config, member: boto3.Session) -> dict[str, str]:
    """The member role's credentials; on the emulator its certificate (AWS_CA_BUNDLE) and its
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


def _enabled_regions(config: Config, member: boto3.Session) -> list[str]:
    """Every region enabled for the account, asked only when every region is allowed."""
    if config.guardrails.allowed_regions:
        return []
    regions = aws.client(config, "ec2", member).describe_regions()["Regions"]
    return [region["RegionName"] for region in regions]


def _managed(config: Config, account_name: str) -> nuke_config.Managed:
    """The roles and buckets the target's own workspace holds, from its state."""
    resources = managed_resources(workspaces.read_state(config, account_name))
    names = {
        kind: tuple(
            sorted(
                attributes[key] for r in resources if r.type == kind for attributes in r.instances
            )
        )
        for kind, key in (("aws_iam_role", "name"), ("aws_s3_bucket", "bucket"))
    }
    return nuke_config.Managed(account_name, names["aws_iam_role"], names["aws_s3_bucket"])


def _default_vpcs(
    config: Config, member: boto3.Session, scanned: list[str]
) -> list[nuke_config.DefaultVpc]:
    """Each scanned region's default VPC, with the pieces aws-nuke names only by id."""
    found = []
    for region in scanned:
        if region == nuke_config.GLOBAL_REGION:
            continue
        ec2 = aws.client(config, "ec2", member, region=region)
        for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
            by_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
            gateways = ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}]
            )["InternetGateways"]
            tables = ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]
            dhcp = vpc.get("DhcpOptionsId")
            found.append(
                nuke_config.DefaultVpc(
                    vpc["VpcId"],
                    tuple(g["InternetGatewayId"] for g in gateways),
                    tuple(t["RouteTableId"] for t in tables),
                    dhcp if dhcp and dhcp != "default" else None,
                )
            )
    return found


def _reason(listed: Listed, rules: list[nuke_config.Keep]) -> str:
    if listed.status != FILTERED_BY_CONFIG:
        return f"aws-nuke: {listed.status}"
    for rule in rules:
        if rule.resource_type == listed.resource_type and rule.matches(
            listed.name, listed.properties
        ):
            return rule.reason
    return "filtered by the config"


def _preview(scan: Scan, rules: list[nuke_config.Keep]) -> None:
    if scan.doomed:
        say(f"      Would delete {len(scan.doomed)} resource(s):")
        say_table(
            ("region", "resource type", "count"),
            [
                (region, kind, str(count))
                for (region, kind), count in _counted(
                    (r.region, r.resource_type) for r in scan.doomed
                )
            ],
        )
    else:
        say("      Would delete nothing.")
    if scan.kept:
        say(f"      Kept {len(scan.kept)} resource(s):")
        say_table(
            ("region", "resource type", "count", "why"),
            [
                (region, kind, str(count), why)
                for (region, kind, why), count in _counted(
                    (r.region, r.resource_type, _reason(r, rules)) for r in scan.kept
                )
            ],
        )


def _counted(keys) -> list[tuple[tuple, int]]:
    counts: dict[tuple, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


def _prove(left: list[Listed], management: ManagementStateWatch) -> None:
    failures = []
    if left:
        failures.append(
            f"the second dry run would still delete {len(left)} resource(s): "
            + ", ".join(f"{r.region} {r.resource_type} {r.name}" for r in left[:10])
        )
    else:
        say("      pass   the second dry run finds 0 resources to delete")
    failures += [problem for problem in [management.checked("the reset")] if problem]
    if failures:
        raise UserError("FAILED after the reset:\n" + "\n".join(f"  - {f}" for f in failures))


def summary(result: ResetResult, steps: Steps) -> None:
    reset = (
        f"reset but for {result.spared} resource(s) it was not asked to delete,"
        if result.spared
        else "reset to its baseline"
    )
    say(
        f"Summary: account '{result.account_name}' ({result.account_id}) {reset} "
        f"in {steps.elapsed:.1f}s; {result.deleted} resource(s) deleted."
    )
    for name, (_, seconds), outcome in zip(
        PHASE_NAMES, result.timings, result.outcomes, strict=True
    ):
        say(f"  {seconds:6.1f}s  {name:<8} {outcome}")


def dev_reset_account(config: Config, account: str, *, yes: bool) -> None:
    reset(
        config,
        account,
        auto_approve=approved_without_asking(account, yes=yes),
        log=workspace_log(config, account),
    )


COMMANDS = (
    Command(
        "dev-reset",
        "delete everything in a member account but its baseline (aws-nuke), rebuild, prove it",
        lambda config, args: dev_reset_account(config, args.account, yes=args.yes),
        (ACCOUNT, YES),
    ),
)
