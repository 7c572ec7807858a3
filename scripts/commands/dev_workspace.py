"""A safe destroy/recreate loop for a member account's workspace (dev by default).

`destroy` asks the guard (scripts/guard/) first, then the person (they type the member account
id; `auto_approve` skips that for CI), runs `terraform destroy` on that member stack only, and
verifies afterwards that the member state holds no resources and that the management state
object is byte-for-byte unchanged. It then lists what still exists in the member account outside
Terraform — listing only, nothing is deleted (`make dev-reset` deletes it).

`recreate` is destroy + apply + a clean `plan -detailed-exitcode`, with every phase timed;
`make demo` and tests call it as
`recreate(config, DEV_ACCOUNT, stacks, auto_approve=True, log=...)` (`stacks=None`: synthesize
into cdktf.out first; `log`: terraform's output to a file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import boto3

from foundation.contract import DEV_ACCOUNT
from foundation.model import Config
from scripts import aws, workspaces
from scripts.commands import ACCOUNT, YES, Command
from scripts.console import Steps, UserError, say
from scripts.guard.approval import approved_without_asking, confirmed
from scripts.guard.member import member_destroy_guard
from scripts.runner.rebuild import REBUILD_STEPS, rebuild, workspace_log
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import Terraform
from scripts.workspaces import ManagementStateWatch, managed_resources

DESTROY_STEPS = 4  # guard, destroy, verify, leftovers
RECREATE_STEPS = DESTROY_STEPS + REBUILD_STEPS
SWEEP_NOTE = "listing only, nothing was deleted; `make dev-reset` deletes them"


@dataclass
class Leftovers:
    """What the member account still holds outside Terraform, and what could not be listed."""

    found: dict[str, list[str]] = field(default_factory=dict)
    unlisted: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [
            f"{what}: {', '.join(items) if items else 'none'}" for what, items in self.found.items()
        ]
        lines += [f"could not list {what} ({reason})" for what, reason in self.unlisted.items()]
        return lines


@dataclass
class Result:
    account_name: str
    account_id: str
    timings: list[tuple[str, float]]
    leftovers: Leftovers


def destroy(
    config: Config,
    account_name: str = DEV_ACCOUNT,
    stacks: Path | None = None,
    *,
    auto_approve: bool = False,
    steps: Steps | None = None,
    log: Path | None = None,
) -> Result:
    """Guard, confirm, destroy the member workspace, verify both states, list leftovers.
    `log`: append terraform's output to this file instead of the terminal."""
    stacks = _stacks(config, stacks)
    steps = steps or Steps(DESTROY_STEPS)
    with steps.step(f"checking that only the '{account_name}' account can be affected"):
        target = member_destroy_guard(config, account_name, stacks)
    doomed = [r.address for r in managed_resources(workspaces.read_state(config, account_name))]
    say(
        f"      Workspace '{account_name}' (account {target.account_id}) holds {len(doomed)} "
        f"resource(s){'; every one will be destroyed:' if doomed else '; nothing to destroy.'}"
    )
    for address in doomed:
        say(f"        - {address}")
    if doomed:
        confirmed(
            f"Destroy every resource of workspace '{account_name}' in account {target.account_id}?",
            target.account_id,
            auto_approve=auto_approve,
            skipped=f"destroying {len(doomed)} resource(s) in account {target.account_id}",
        )

    management = ManagementStateWatch(config)
    terraform = Terraform(config, account_name, stacks=stacks, log=log)
    with steps.step(f"destroying workspace '{account_name}' (account {target.account_id})"):
        if doomed:
            terraform.destroy(auto_approve=True)  # confirmed above: the typed account id or --yes
        else:
            say("      Nothing to destroy: its state holds no resources.")
    with steps.step("verifying: member state empty, management state unchanged"):
        verify_destroyed(config, account_name, management)
    with steps.step(f"listing what remains in account {target.account_id} outside Terraform"):
        leftovers = list_leftovers(config, target.session, config.account(account_name).role_name)
        say(f"      In {config.region} (IAM and S3 are global) — {SWEEP_NOTE}:")
        for line in leftovers.lines():
            say(f"        {line}")
    return Result(account_name, target.account_id, steps.timings, leftovers)


def recreate(
    config: Config,
    account_name: str = DEV_ACCOUNT,
    stacks: Path | None = None,
    *,
    auto_approve: bool = True,
    log: Path | None = None,
) -> Result:
    """One full cycle: destroy (guarded), apply, and a plan that must show no changes; the
    management state object must come out of it byte-for-byte unchanged."""
    stacks = _stacks(config, stacks)
    steps = Steps(RECREATE_STEPS)
    management = ManagementStateWatch(config)
    result = destroy(config, account_name, stacks, auto_approve=auto_approve, steps=steps, log=log)
    rebuild(config, account_name, stacks, steps=steps, log=log)
    problem = management.problem(f"the recreate of '{account_name}'")
    if problem:
        raise UserError(f"FAILED: {problem}. Inspect its versions before going on.")
    result.timings = steps.timings
    summary(result, steps)
    return result


def verify_destroyed(config: Config, account_name: str, management: ManagementStateWatch) -> None:
    """Both after-destroy checks, reported together and loudly."""
    failures = []
    remaining = managed_resources(workspaces.read_state(config, account_name))
    if remaining:
        failures.append(
            f"the '{account_name}' state still holds {len(remaining)} resource(s): "
            + ", ".join(r.address for r in remaining)
        )
    else:
        say(f"      pass   the '{account_name}' state holds no resources")
    failures += [problem for problem in [management.checked("the destroy")] if problem]
    if failures:
        for failure in failures:
            say(f"      FAILED {failure}")
        raise UserError("FAILED after destroy:\n" + "\n".join(f"  - {f}" for f in failures))


def list_leftovers(config: Config, session: boto3.Session, access_role: str) -> Leftovers:
    """What the member account holds, as seen from `session` (the member role `access_role`):
    listing only."""
    leftovers = Leftovers()
    listings = {
        "tagged resources (Resource Groups Tagging API)": _tagged_resources,
        "S3 buckets": _buckets,
        f"IAM roles (other than service-linked and {access_role})": lambda config, session: _roles(
            config, session, access_role
        ),
        "EC2 instances": _instances,
        "VPCs other than the default": _vpcs,
    }
    for what, listing in listings.items():
        try:
            leftovers.found[what] = listing(config, session)
        except aws.ERRORS as error:
            leftovers.unlisted[what] = aws.explain(error)
    return leftovers


def _pages(
    config: Config, session: boto3.Session, service: str, operation: str, key: str, **kwargs
) -> list[dict]:
    paginator = aws.client(config, service, session).get_paginator(operation)
    return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]


def _tagged_resources(config: Config, session: boto3.Session) -> list[str]:
    """Tagged resources but terminated instances: EC2 lists those "for a short while" after
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html) and moto's
    Tagging API with them (AWS's too, not verified), though nothing remains to delete."""
    terminated = {
        i["InstanceId"]
        for r in _pages(
            config,
            session,
            "ec2",
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "instance-state-name", "Values": ["terminated"]}],
        )
        for i in r["Instances"]
    }
    return [
        r["ResourceARN"]
        for r in _pages(
            config, session, "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList"
        )
        if r["ResourceARN"].rpartition(":instance/")[2] not in terminated
    ]


def _buckets(config: Config, session: boto3.Session) -> list[str]:
    return [b["Name"] for b in aws.client(config, "s3", session).list_buckets()["Buckets"]]


def _roles(config: Config, session: boto3.Session, access_role: str) -> list[str]:
    return [
        r["RoleName"]
        for r in _pages(config, session, "iam", "list_roles", "Roles")
        if not r["Path"].startswith("/aws-service-role/") and r["RoleName"] != access_role
    ]


def _instances(config: Config, session: boto3.Session) -> list[str]:
    reservations = _pages(config, session, "ec2", "describe_instances", "Reservations")
    return [
        f"{i['InstanceId']} ({i['State']['Name']})"
        for r in reservations
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]


def _vpcs(config: Config, session: boto3.Session) -> list[str]:
    return [
        v["VpcId"]
        for v in _pages(config, session, "ec2", "describe_vpcs", "Vpcs")
        if not v.get("IsDefault")
    ]


def summary(result: Result, steps: Steps) -> None:
    say(
        f"Summary: workspace '{result.account_name}' (account {result.account_id}) recreated "
        f"in {steps.elapsed:.1f}s; plan after apply: no changes; management state unchanged."
    )
    for title, seconds in result.timings:
        say(f"  {seconds:7.1f}s  {title}")
    outside = sum(len(items) for items in result.leftovers.found.values())
    unlisted = len(result.leftovers.unlisted)
    say(
        f"  outside Terraform: {outside} item(s) found"
        + (f", {unlisted} listing(s) failed" if unlisted else "")
        + f" ({SWEEP_NOTE})"
    )


def _stacks(config: Config, stacks: Path | None) -> Path:
    if stacks is not None:
        return stacks
    synth(config)
    return stacks_dir()


def destroy_summary(config: Config, result: Result, steps: Steps) -> None:
    outside = sum(len(items) for items in result.leftovers.found.values())
    say(
        f"Summary: workspace '{result.account_name}' (account {result.account_id}) destroyed in "
        f"{steps.elapsed:.1f}s; its state is empty; management state unchanged; {outside} "
        f"item(s) remain outside Terraform ({SWEEP_NOTE}). Rebuild: `make dev-recreate "
        f"ENV={config.env_name} ACCOUNT={result.account_name}` or `make apply "
        f"ENV={config.env_name} STACK={result.account_name}`."
    )


def dev_destroy(config: Config, account: str, *, yes: bool) -> None:
    steps = Steps(DESTROY_STEPS)
    result = destroy(
        config,
        account,
        steps=steps,
        auto_approve=approved_without_asking(account, yes=yes),
        log=workspace_log(config, account),
    )
    destroy_summary(config, result, steps)


def dev_recreate(config: Config, account: str, *, yes: bool) -> None:
    recreate(
        config,
        account,
        auto_approve=approved_without_asking(account, yes=yes),
        log=workspace_log(config, account),
    )


COMMANDS = (
    Command(
        "dev-destroy",
        "destroy a member account's workspace (--account, default dev), guarded",
        lambda config, args: dev_destroy(config, args.account, yes=args.yes),
        (ACCOUNT, YES),
    ),
    Command(
        "dev-recreate",
        "destroy, apply and clean-plan a member account's workspace, timed",
        lambda config, args: dev_recreate(config, args.account, yes=args.yes),
        (ACCOUNT, YES),
    ),
)
