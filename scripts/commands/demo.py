"""`make demo`: the whole foundation on the embedded local AWS, end to end.

The tools it needs (terraform, node, aws-nuke: every missing one named at once, before anything
starts) → emulator up → state bucket → synth → apply management → apply each member account → a
second plan of every workspace that must show no change → one guarded destroy/recreate cycle of
the dev workspace → click-ops seeded in dev with boto3 (in and outside the allowed regions, and
tagged as a learner's own code tags them), then `make dev-reset` deleting them and proving the
account holds its baseline → summary. Every step converges, so running it again is safe; the
emulator is left running for exploration, and what a person made in dev meanwhile is theirs: a
rerun's reset deletes only the demo's own click-ops unasked (`CLICK_OPS`).

The synth needs no emulator, so it runs from the start beside the emulator's start and the
bootstrap. Once management is applied the workspaces are independent: each member account is
applied and planned again while management is planned again beside them, one log each.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from foundation import contract
from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK
from foundation.model import EMULATOR_PORT_VARIABLE, Config
from foundation.paths import LOG_DIR
from scripts import aws
from scripts.commands import Command, bootstrap, dev_reset, dev_workspace, kill_switch
from scripts.commands.made_by import MadeBy
from scripts.console import Steps, UserError, say
from scripts.emulator import server
from scripts.guard.reset import installed_aws_nuke
from scripts.runner.environment import terraform_binary
from scripts.runner.pool import Task, default_jobs, in_parallel
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import PLAN_NO_CHANGES, Terraform
from scripts.workspaces import state_outputs

MINIMUM_NODE = 20  # cdktf's jsii runtime; 22 or newer is what Node.js still maintains
NODE_INSTALL = (
    "install Node.js 22 or newer (https://nodejs.org/en/download, or your package manager's nodejs)"
)


def run(config: Config) -> None:
    if not config.emulator:
        raise UserError(
            f"`make demo` runs on the local emulator; '{config.env_name}' is real AWS. "
            f"Use `make plan ENV={config.env_name}` and `make apply` instead."
        )
    steps = Steps(total=8)
    with steps.step("checking the tools the demo needs: terraform, node, aws-nuke"):
        missing = missing_tools()
        if missing:
            raise UserError(
                "`make demo` needs what this machine lacks; nothing was started:\n"
                + "\n".join(f"  - {problem}" for problem in missing)
            )
    members = [account.name for account in config.accounts]
    log = LOG_DIR / f"{config.env_name}-terraform.log"
    log.unlink(missing_ok=True)
    with ThreadPoolExecutor(max_workers=1) as background:
        synth_report: list[str] = []
        synthesized = background.submit(synth, config, report=synth_report.append)
        with steps.step(f"starting the local AWS emulator ({config.emulator.endpoint_url})"):
            server.start(config)
        with steps.step(f"bootstrapping the state bucket '{config.state_bucket}'"):
            bootstrap.bootstrap(config)
        with steps.step(f"synthesizing the '{config.env_name}' stacks (begun at the start)"):
            synthesized.result()
            say("\n".join(synth_report))
    with steps.step(f"applying {MANAGEMENT_STACK}"):
        Terraform(config, MANAGEMENT_STACK, log=log).apply(auto_approve=True)
    with steps.step(
        f"applying {', '.join(members)}, then planning every workspace again, "
        "all at once: nothing may change"
    ):
        apply_members_and_plan_again(config)
    with steps.step(f"tearing down and rebuilding the '{DEV_ACCOUNT}' workspace once"):
        dev_workspace.recreate(config, DEV_ACCOUNT, stacks_dir(), auto_approve=True, log=log)
    with steps.step(f"resetting the '{DEV_ACCOUNT}' account: click-ops in, aws-nuke, proof"):
        reset = reset_click_ops(config, stacks_dir(), log)
    _summary(config, steps, log, reset)


def missing_tools() -> list[str]:
    """What the demo needs and this machine lacks, each with how to install it: terraform (init,
    plan, apply), Node.js (the synth) and aws-nuke (the dev reset)."""
    problems = []
    try:
        terraform_binary()
    except UserError as error:
        problems.append(f"terraform: {error}")
    node = shutil.which("node")
    said = (
        subprocess.run([node, "--version"], capture_output=True, text=True).stdout if node else ""
    )
    major = re.match(r"v(\d+)\.", said)
    if node is None:
        problems.append(f"node: not on PATH: {NODE_INSTALL}")
    elif major is None or int(major.group(1)) < MINIMUM_NODE:
        problems.append(f"node: {node} is {said.strip() or 'of unknown version'}: {NODE_INSTALL}")
    found = installed_aws_nuke()
    if isinstance(found, str):
        problems.append(f"aws-nuke: {found}")
    return problems


def plan_log(config: Config, stack: str, log_dir: Path = LOG_DIR) -> Path:
    return log_dir / f"{config.env_name}-plan-{stack}.log"


def apply_log(config: Config, stack: str, log_dir: Path = LOG_DIR) -> Path:
    return log_dir / f"{config.env_name}-apply-{stack}.log"


def _plan_again(config: Config, stack: str, stacks: Path | None, log_dir: Path) -> int:
    return Terraform(
        config, stack, stacks, log=plan_log(config, stack, log_dir), own_process_group=True
    ).plan(detailed_exitcode=True)


def apply_members_and_plan_again(
    config: Config, stacks: Path | None = None, log_dir: Path = LOG_DIR
) -> dict[str, object]:
    """Each member workspace applied (it reads management's state, written by now) and planned
    again, while management, which nothing of theirs changes, is planned again beside them:
    every second plan must be clean. Returns their exit codes by workspace."""

    def apply_and_plan(stack: str) -> int:
        Terraform(
            config, stack, stacks, log=apply_log(config, stack, log_dir), own_process_group=True
        ).apply(auto_approve=True)
        say(f"      {stack}: applied ({apply_log(config, stack, log_dir)})")
        plan_log(config, stack, log_dir).write_text("")
        return _plan_again(config, stack, stacks, log_dir)

    tasks = [
        Task(
            account.name,
            apply_log(config, account.name, log_dir),
            lambda stack=account.name: apply_and_plan(stack),
        )
        for account in config.accounts
    ]
    tasks.append(
        Task(
            MANAGEMENT_STACK,
            plan_log(config, MANAGEMENT_STACK, log_dir),
            lambda: _plan_again(config, MANAGEMENT_STACK, stacks, log_dir),
        )
    )
    exit_codes = in_parallel(tasks, default_jobs(), show=False)
    for stack in config.stack_names:
        if exit_codes[stack] != PLAN_NO_CHANGES:
            raise UserError(
                f"The second plan of '{stack}' wants changes: the stacks do not "
                f"converge. See {plan_log(config, stack, log_dir)}."
            )
        say(f"      {stack}: no changes ({plan_log(config, stack, log_dir)})")
    return exit_codes


CLICK_OPS = MadeBy(
    "make demo",
    frozenset(
        {("SQSQueue", "clicked-queue"), ("SNSTopic", "clicked-topic"), ("IAMUser", "clicked-user")}
    ),
)
# How a learner's own Terraform commonly tags what it makes: keys the foundation writes too,
# which the dev reset must not take for the foundation's.
LEARNER_TAGS = ({"workspace": "dev"}, {"Environment": "dev"}, {"managed-by": "terraform"})


def seed_click_ops(config: Config) -> MadeBy:
    """What a learner makes in dev, all of which the dev reset must delete: by hand, a queue and
    a topic in each allowed region and in one region outside them (made while the guardrail was
    detached, as in an account adopted with history), and an IAM user; with their own code, an
    instance tagged as such code tags it, with a second volume and a second network interface
    attached. Returns what was made (CLICK_OPS and the instance's parts)."""
    role_arn = state_outputs(config, MANAGEMENT_STACK)[contract.OUTPUT_MEMBER_ROLE_ARNS][
        DEV_ACCOUNT
    ]
    home = aws.assume_role(config, role_arn, "demo-click-ops")
    enabled = aws.client(config, "ec2", home).describe_regions()["Regions"]
    outside = [r["RegionName"] for r in enabled if r["RegionName"] not in config.control_regions]
    made = []
    with guardrail_detached(config, aws.account_id(config, home)):
        for region in (*config.control_regions, *sorted(outside)[:1]):
            member = aws.assume_role(config, role_arn, "demo-click-ops", region=region)
            sqs, sns = aws.client(config, "sqs", member), aws.client(config, "sns", member)
            made.append(sqs.create_queue(QueueName="clicked-queue")["QueueUrl"])
            made.append(sns.create_topic(Name="clicked-topic")["TopicArn"])
    iam = aws.client(config, "iam", home)
    # A demo stopped between its seeding and its reset left the user behind.
    aws.unless_missing(lambda: iam.create_user(UserName="clicked-user"), "EntityAlreadyExists")
    made.append("IAM user clicked-user")
    parts = seed_tagged_instance(config, home)
    made.append(f"instance {parts[0][1]} tagged workspace=dev, with a second volume and interface")
    say(f"      Made in '{DEV_ACCOUNT}': {', '.join(made)}")
    return MadeBy(CLICK_OPS.who, CLICK_OPS.resources | frozenset(parts))


def seed_tagged_instance(config: Config, member) -> list[tuple[str, str]]:
    """An instance tagged as a learner's own code tags it, with a second volume and a second
    network interface attached (untagged parts of a tagged instance once failed a reset).
    Returns (aws-nuke resource type, the name it prints) of each part, the instance first; 2.x
    prints no name for an interface."""
    ec2 = aws.client(config, "ec2", member)
    tags = [{"Key": k, "Value": v} for tag in LEARNER_TAGS for k, v in tag.items()]
    tagged = lambda kind: [{"ResourceType": kind, "Tags": tags}]  # noqa: E731
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=tagged("instance"),
    )["Instances"][0]
    volume = ec2.create_volume(
        AvailabilityZone=instance["Placement"]["AvailabilityZone"],
        Size=8,
        TagSpecifications=tagged("volume"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    interface = ec2.create_network_interface(
        SubnetId=instance["SubnetId"], TagSpecifications=tagged("network-interface")
    )["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(
        NetworkInterfaceId=interface, InstanceId=instance["InstanceId"], DeviceIndex=1
    )
    [described] = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    attached = described["Instances"][0]
    return [
        ("EC2Instance", instance["InstanceId"]),
        *(("EC2Volume", b["Ebs"]["VolumeId"]) for b in attached["BlockDeviceMappings"]),
        *(("EC2NetworkInterface", n["NetworkInterfaceId"]) for n in attached["NetworkInterfaces"]),
        ("EC2NetworkInterface", ""),
    ]


@contextlib.contextmanager
def guardrail_detached(config: Config, account_id: str):
    """The guardrails SCP detached from a member account, then attached again: what an account
    adopted with history holds, made before the region guardrail."""
    organizations = aws.client(config, "organizations")
    [policy] = [
        p["Id"]
        for p in organizations.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == f"{config.name_prefix}-guardrails"
    ]
    organizations.detach_policy(PolicyId=policy, TargetId=account_id)
    try:
        yield
    finally:
        organizations.attach_policy(PolicyId=policy, TargetId=account_id)


def reset_click_ops(config: Config, stacks: Path, log: Path | None) -> dev_reset.ResetResult:
    """The demo's click-ops seeded, then the dev reset: what the demo made is deleted unasked;
    what anyone else made in dev (exploring it after an earlier demo) is asked about, and kept
    without a terminal."""
    made = seed_click_ops(config)
    return dev_reset.reset(config, DEV_ACCOUNT, stacks, auto_approve=True, log=log, made_by=made)


def _summary(config: Config, steps: Steps, log, reset: dev_reset.ResetResult) -> None:
    outputs = state_outputs(config, MANAGEMENT_STACK)
    say(f"\nThe foundation is up on the local emulator in {steps.elapsed:.0f}s.")
    say(f"  organization        {outputs[contract.OUTPUT_ORGANIZATION_ID]}")
    say(f"  management account  {outputs[contract.OUTPUT_MANAGEMENT_ACCOUNT_ID]}")
    for name, account_id in outputs[contract.OUTPUT_MEMBER_ACCOUNT_IDS].items():
        say(f"  {name + ' account':<19} {account_id}")
        say(f"  {'  role to assume':<19} {outputs[contract.OUTPUT_MEMBER_ROLE_ARNS][name]}")
    say(f"  organization trail  {outputs[contract.OUTPUT_TRAIL_ARN]}")
    say(f"  trail log bucket    s3://{outputs[contract.OUTPUT_TRAIL_BUCKET]}")
    for state in kill_switch.account_states(config)[1:]:  # management is never frozen
        say(
            f"  {'kill switch':<19} {state.name}: {state.kill_switch}, of a USD "
            f"{state.limit_usd} monthly budget; frozen now: {state.frozen}"
        )
    say(
        f"  terraform state     s3://{config.state_bucket}/<workspace>/terraform.tfstate "
        f"({', '.join(config.stack_names)})"
    )
    say(
        f"  terraform output    {log}; member applies: {apply_log(config, '<stack>')}; "
        f"second plans: {plan_log(config, '<stack>')}"
    )
    say("  CIS baseline (docs/guardrails.md, CIS AWS Foundations coverage)")
    for line in baseline_lines(config):
        say(f"    {line}")
    if reset.spared:
        say(
            f"\n{reset.spared} resource(s) in '{DEV_ACCOUNT}' that the demo did not make are "
            f"kept; `make dev-reset ENV={config.env_name}` deletes them (it asks first)."
        )
    say(
        f"\nReset dev to its baseline: `make dev-reset ENV={config.env_name}`; rebuild only its "
        f"workspace: `make dev-recreate ENV={config.env_name}`. Freeze or "
        f"thaw it by hand: `make dev-freeze` / `make dev-thaw`; spend and switches: `make status "
        f"ENV={config.env_name}`."
    )
    say(
        f"The emulator keeps running at {config.emulator.endpoint_url} for exploration; "
        f"its state lives as long as it does.\nStop it with `make local-down"
        f"{_port_setting(config)}`."
    )


def _port_setting(config: Config) -> str:
    """The LOCAL_AWS_PORT the demo ran on, when one was set: local-down needs it too."""
    overridden = os.environ.get(EMULATOR_PORT_VARIABLE)
    return f" {EMULATOR_PORT_VARIABLE}={config.emulator.port}" if overridden else ""


def baseline_lines(config: Config) -> list[str]:
    """One short line per account, then the organization's, from each workspace's
    `cis_baseline` output (what Terraform read back after the apply)."""
    outputs = {
        stack: state_outputs(config, stack)[contract.OUTPUT_BASELINE]
        for stack in config.stack_names
    }
    management = outputs[MANAGEMENT_STACK]
    lines = []
    for stack, baseline in outputs.items():
        parts = [f"alias {baseline['account_alias']}"] if "account_alias" in baseline else []
        parts += [
            "S3 public access blocked"
            if baseline["s3_public_access_blocked"]
            else "S3 public access NOT blocked",
            f"password policy (min {baseline['password_minimum_length']})",
            f"support role {baseline['support_role'].rsplit('/', 1)[-1]}",
            "EBS encryption "
            + ", ".join(r for r, on in baseline["ebs_encryption_by_default"].items() if on),
        ]
        if stack == MANAGEMENT_STACK:
            parts.append("Access Analyzer " + ", ".join(management["access_analyzers"]))
        contacts = management["alternate_contacts"].get(stack)
        parts.append(
            "contacts " + ", ".join(c.lower() for c in contacts)
            if contacts
            else "no alternate contacts ([contacts] not set)"
        )
        lines.append(f"{stack:<13} " + " · ".join(parts))
    at_the_root = {
        "resource_control_policy": "resource perimeter (RCP)",
        "ec2_declarative_policy": "EC2 declarative policy",
        "ai_services_opt_out_policy": "AI services opt-out",
        "tag_policy": "tag policy",
    }
    organization = [
        f"{what} at the root" if management[output] else f"no {what}"
        for output, what in at_the_root.items()
    ]
    if management["no_commitments_policy"]:
        organization.append("commitments denied (members that allow none)")
    lines.append(f"{'organization':<13} " + " · ".join(organization))
    return lines


COMMANDS = (
    Command(
        "demo",
        "the whole foundation on the local emulator, end to end",
        lambda config, args: run(config),
    ),
)
