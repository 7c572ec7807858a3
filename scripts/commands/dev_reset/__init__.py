"""`make dev-reset`: a member account (dev by default) back to exactly its baseline, in every
region enabled in it, with aws-nuke doing the deleting — and proven, as far as it looked.

guard (scripts/guard/, with the aws-nuke rules) → preview (aws-nuke dry run: what would be
deleted, grouped by region and type, and what is kept and why; beside it, the services used in
the account that aws-nuke has no resource type for, proof.py) → confirm (the person types the
account alias or id; `auto_approve` for --yes / AUTO_APPROVE=1) → nuke (aws-nuke --no-dry-run,
its output in LOG_DIR, progress on the terminal) → rebuild (scripts/runner/rebuild.py: the
member workspace applied where its plan shows changes, then planned clean again) → proof (a dry
run after the last change, the preview's when nothing was deleted or applied, finds nothing to
delete in what it covered, which it says; the management state object is byte-for-byte
unchanged).

What a reset keeps: nuke_config.py; how aws-nuke is run: nuke.py; its output read back:
output.py; what the account is read for first: inventory.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from foundation.contract import DEV_ACCOUNT
from foundation.model import Config
from foundation.paths import LOG_DIR
from scripts import aws
from scripts.commands import ACCOUNT, YES, Command
from scripts.commands.dev_reset import inventory, nuke_config, proof
from scripts.commands.dev_reset.nuke import Runner, reset_session, resource_types
from scripts.commands.dev_reset.output import FILTERED_BY_CONFIG, Listed, Run
from scripts.commands.made_by import MadeBy
from scripts.console import Steps, UserError, say, say_table
from scripts.guard.approval import approved_without_asking, confirmed
from scripts.guard.member import Target
from scripts.guard.reset import AwsNuke, dev_reset_guard
from scripts.runner.rebuild import APPLIED, rebuild, workspace_log
from scripts.runner.synth import stacks_dir, synth
from scripts.workspaces import ManagementStateWatch

PHASE_NAMES = ("guard", "preview", "nuke", "apply", "plan", "proof")
PHASES = len(PHASE_NAMES)
# A session for the reads before the config exists; aws-nuke's runs get the role's longest.
READ_SECONDS = 900


@dataclass
class ResetResult:
    account_name: str
    account_id: str
    deleted: int
    timings: list[tuple[str, float]]
    outcomes: list[str]
    regions: tuple[str, ...] = ()
    spared: int = 0  # resources someone else made, kept (see MadeBy)


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
    last_reset = LOG_DIR / f"{config.env_name}-{account_name}-last-reset"
    nuke_log.write_text("")
    kept_rules: list[nuke_config.Keep] = []
    scanned: list[str] = []
    rendered_for: dict = {}  # what the config was rendered for, to render it again with more kept

    def render(target: Target, blocklist: list[str], aws_nuke: AwsNuke) -> str:
        reader, _ = reset_session(config, target.role_arn, READ_SECONDS)
        scanned[:] = nuke_config.regions(config, inventory.enabled_regions(config, reader))
        kept_rules[:] = nuke_config.keeps(
            config,
            account_name,
            inventory.managed(config, account_name),
            inventory.default_vpcs(config, reader, scanned),
            target.management_account_id,
        )
        rendered_for.update(
            account_id=target.account_id, blocklist=blocklist, scanned=scanned, aws_nuke=aws_nuke
        )
        return nuke_config.render_config(config, account_name, kept=kept_rules, **rendered_for)

    with steps.step(f"checking that only the '{account_name}' account can be affected"):
        checked = dev_reset_guard(config, account_name, stacks, render)
        config_file.write_text(checked.nuke_config)
        say(f"      aws-nuke config: {config_file}")
    target = checked.member
    alias = config.account(account_name).alias
    run = Runner(config, checked, config_file, nuke_log)
    known_types = resource_types(checked.aws_nuke)
    outcomes.append(f"only account {target.account_id} ('{account_name}') can be affected")

    with steps.step(f"preview: what aws-nuke would delete in account {target.account_id}"):
        witness = _Witness(config, target, _since(last_reset), known_types)
        scan = run(dry_run=True)
        say(f"      Scanned {proof.coverage(config, scanned, known_types, scan).regions_line()}.")
        _preview(scan, kept_rules)
        witness.report()
    spared = (
        made_by.spared(scan.doomed, alias, target.account_id) if made_by and auto_approve else []
    )
    if spared:
        kept_rules += [made_by.keep(listed) for listed in spared]
        config_file.write_text(
            nuke_config.render_config(config, account_name, kept=kept_rules, **rendered_for)
        )
    doomed = [listed for listed in scan.doomed if listed not in spared]
    outcomes.append(
        f"{len(doomed)} to delete, {len(scan.kept) + len(spared)} kept"
        + (f" ({len(spared)} not made by {made_by.who})" if spared else "")
        + f", in {len(scanned) - 1} regions"
    )

    if doomed:
        confirmed(
            f"Delete these {len(doomed)} resource(s) in account {target.account_id} "
            f"('{alias}')? This cannot be undone.",
            alias,
            also=target.account_id,
            asked="the account alias",
            auto_approve=auto_approve,
            skipped=f"deleting {len(doomed)} resource(s) in account {target.account_id}",
            unchanged="nothing was deleted",
        )
    with steps.step(f"deleting with aws-nuke (log: {nuke_log})"):
        if doomed:
            run(dry_run=False)
            outcomes.append(f"{len(doomed)} resource(s) deleted")
        else:
            say("      Nothing to delete in what the dry run covered.")
            outcomes.append("nothing to delete")

    rebuilt = rebuild(config, account_name, stacks, steps=steps, log=log)
    outcomes += rebuilt

    with steps.step("proof: a dry run after the last change, and the management state"):
        if doomed or rebuilt[0] == APPLIED:
            last = run(dry_run=True)
            left = last.doomed
        else:
            say("      The preview's dry run is the proof: nothing was deleted or applied since.")
            last, left = scan, doomed
        covered = proof.coverage(config, scanned, known_types, last)
        _prove(left, covered, management, witness.uncovered)
    outcomes.append(
        f"0 resources left to delete in {len(covered.regions)} regions and the global "
        "services; management state byte-for-byte unchanged"
    )
    last_reset.write_text(datetime.now(UTC).isoformat())
    result = ResetResult(
        account_name,
        target.account_id,
        len(doomed),
        steps.timings,
        outcomes,
        regions=covered.regions,
        spared=len(spared),
    )
    summary(result, steps)
    return result


class _Witness:
    """IAM's service last accessed reports, read beside the preview's dry run (before anything
    is deleted: the users and roles that used a service go with the reset)."""

    def __init__(self, config: Config, target: Target, since, known_types: list[str]):
        self.uncovered: list[proof.Used] = []
        self.since = since
        self.failure: str | None = None

        def read() -> None:
            try:
                used = proof.services_used(config, target.session, since)
                self.uncovered = proof.uncovered(used, known_types)
            except aws.ERRORS as error:  # said, never fatal: a witness, not the reset
                self.failure = aws.explain(error)

        self.thread = threading.Thread(target=read)
        self.thread.start()

    def report(self) -> None:
        self.thread.join()
        if self.failure:
            say(f"      The services used in the account could not be read: {self.failure}")
            return
        when = f" since the last reset ({self.since:%Y-%m-%d %H:%M} UTC)" if self.since else ""
        for used in self.uncovered:
            say(
                f"      You used {used.namespace}{when}: last {used.last:%Y-%m-%d %H:%M} UTC, "
                f"as {used.entity}. aws-nuke has no resource type for it, so the reset cannot "
                f"delete {used.namespace}'s resources: check them by hand."
            )


def _since(last_reset: Path) -> datetime | None:
    try:
        return datetime.fromisoformat(last_reset.read_text().strip())
    except (OSError, ValueError):
        return None


def _reason(listed: Listed, rules: list[nuke_config.Keep]) -> str:
    if listed.status != FILTERED_BY_CONFIG:
        return f"aws-nuke: {listed.status}"
    for rule in rules:
        if rule.resource_type == listed.resource_type and rule.matches(
            listed.name, listed.properties
        ):
            return rule.reason
    return "filtered by the config"


def _preview(scan: Run, rules: list[nuke_config.Keep]) -> None:
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
        regions: dict[tuple[str, str], set[str]] = {}
        for r in scan.kept:
            regions.setdefault((r.resource_type, _reason(r, rules)), set()).add(r.region)
        say_table(
            ("resource type", "count", "regions", "why"),
            [
                (kind, str(count), str(len(regions[kind, why])), why)
                for (kind, why), count in _counted(
                    (r.resource_type, _reason(r, rules)) for r in scan.kept
                )
            ],
        )


def _counted(keys) -> list[tuple[tuple, int]]:
    counts: dict[tuple, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


def _prove(
    left: list[Listed],
    covered: proof.Coverage,
    management: ManagementStateWatch,
    uncovered: list[proof.Used],
) -> None:
    failures = []
    if left:
        failures.append(
            f"the dry run would still delete {len(left)} resource(s): "
            + ", ".join(f"{r.region} {r.resource_type} {r.name}" for r in left[:10])
        )
    else:
        say(f"      pass   0 resources to delete in {covered.regions_line()}")
    if covered.failures:
        say(f"      NOT COVERED: aws-nuke could not list {covered.failures_line()}")
    for used in uncovered:
        say(
            f"      NOT COVERED: {used.namespace}, used in the account; aws-nuke has no type for it"
        )
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
        f"in {steps.elapsed:.1f}s, in {len(result.regions)} regions and the global services; "
        f"{result.deleted} resource(s) deleted."
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
