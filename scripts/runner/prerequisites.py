"""What every stack's `terraform init` needs, asked before terraform starts."""

from __future__ import annotations

import re
import shutil
import subprocess

from foundation.model import Config
from scripts import aws
from scripts.console import UserError
from scripts.guard.reset import installed_aws_nuke
from scripts.runner.environment import terraform_binary

MINIMUM_NODE = 20  # cdktf's jsii runtime; 22 or newer is what Node.js still maintains
NODE_INSTALL = (
    "install Node.js 22 or newer (https://nodejs.org/en/download, or your package manager's nodejs)"
)

_prerequisites_met: set[tuple] = set()


def check_credentials_and_state_bucket(config: Config) -> None:
    """What every stack's `terraform init` needs, asked first (once per process), so that a
    missing piece is one sentence naming the command that fixes it, not terraform's raw error:
    credentials that work (STS) and the state bucket, in the caller's own account."""
    wanted = (config.env_name, config.state_bucket, config.emulator and config.emulator.port)
    if wanted in _prerequisites_met:
        return
    try:
        account = aws.account_id(config)
        status = aws.bucket_status(aws.s3_client_of_owner(config, account), config.state_bucket)
    except aws.ERRORS as error:
        raise UserError(
            f"Terraform cannot start for '{config.env_name}': an AWS call failed "
            f"({aws.explain(error)}). {aws.next_step(config, error)}"
        ) from None
    if status == "missing":
        raise UserError(
            f"The state bucket '{config.state_bucket}' does not exist yet: create it "
            f"with `make bootstrap ENV={config.env_name}`, then run this again."
        )
    if status == "foreign":
        raise UserError(
            f"The state bucket '{config.state_bucket}' is not in account {account} "
            "(these credentials' account): pick another `state_bucket` in "
            f"{config.source.name}, or the management account's credentials."
        )
    _prerequisites_met.add(wanted)


def missing_tools(*, aws_nuke: bool) -> list[str]:
    """What a run of the whole foundation needs and this machine lacks, each with how to install
    it: terraform (init, plan, apply), Node.js (the synth) and, for a dev reset, aws-nuke 2.x."""
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
    if aws_nuke:
        _, _, problem = installed_aws_nuke()
        if problem:
            problems.append(f"aws-nuke: {problem}")
    return problems
