"""The one terraform runner: init (backend, provider mirror, emulator credentials), plan, apply,
destroy and outputs for a synthesized stack, with plain `terraform` in cdktf.out/stacks/<stack>.

Before a plan or apply it writes the stack's `imports.tf.json` from what `make adopt` recorded
(scripts/adopt.py), and after a successful apply it drops them: they are in the state then.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from foundation.config import Config
from foundation.paths import TERRAFORM_CLI_DIR
from scripts import adopt, aws
from scripts.console import UserError
from scripts.synth import stacks_dir

MINIMUM_VERSION = (1, 10)  # S3 native state locking (use_lockfile)
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"
# Where machine images ship an offline provider mirror; used when TF_PROVIDER_MIRROR is unset
# and no Terraform CLI config of the user's own exists.
KNOWN_MIRRORS = (Path("/opt/tf-plugins"),)
MIRRORED_PROVIDER = "registry.terraform.io/hashicorp/aws"
CLI_CONFIG = TERRAFORM_CLI_DIR / "provider-mirror.tfrc"

PLAN_NO_CHANGES, PLAN_HAS_CHANGES = 0, 2


def terraform_binary() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise UserError("Terraform CLI not found on PATH. Install Terraform "
                        f"{'.'.join(map(str, MINIMUM_VERSION))} or newer, then run this again.")
    output = subprocess.run([binary, "version", "-json"], capture_output=True, text=True).stdout
    version = json.loads(output or "{}").get("terraform_version", "0.0.0")
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MINIMUM_VERSION:
        raise UserError(f"Terraform {version} is too old: S3 native state locking needs "
                        f"{'.'.join(map(str, MINIMUM_VERSION))} or newer.")
    return binary


def provider_mirror() -> Path | None:
    """The provider mirror to use: TF_PROVIDER_MIRROR, else a known one unless the user
    configured Terraform themselves."""
    if os.environ.get(MIRROR_VARIABLE):
        mirror = Path(os.environ[MIRROR_VARIABLE])
        if not (mirror / MIRRORED_PROVIDER).is_dir():
            raise UserError(f"{MIRROR_VARIABLE}={mirror} holds no {MIRRORED_PROVIDER} provider.")
        return mirror
    own_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if (own_config and Path(own_config).is_file()) or Path.home().joinpath(".terraformrc").is_file():
        return None
    return next((m for m in KNOWN_MIRRORS if (m / MIRRORED_PROVIDER).is_dir()), None)


def cli_environment(config: Config) -> dict[str, str]:
    env = aws.process_environment(config)
    env["TF_IN_AUTOMATION"] = "1"
    mirror = provider_mirror()
    if mirror is not None:
        CLI_CONFIG.parent.mkdir(exist_ok=True)
        CLI_CONFIG.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            f'    include = ["{MIRRORED_PROVIDER}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{MIRRORED_PROVIDER}"]\n  }}\n}}\n')
        env["TF_CLI_CONFIG_FILE"] = str(CLI_CONFIG)
    return env


class Terraform:
    """Plain terraform in one synthesized stack's directory."""

    def __init__(self, config: Config, stack: str, stacks: Path | None = None,
                 log: Path | None = None):
        """`log`: append terraform's output to this file instead of the terminal."""
        self.config = config
        self.stack = stack
        self.dir = (stacks or stacks_dir()) / stack
        if not (self.dir / "cdk.tf.json").is_file():
            raise UserError(f"No synthesized stack '{stack}' in {self.dir.parent}: "
                            f"run `make synth ENV={config.env_name}` first.")
        self.binary = terraform_binary()
        self.env = cli_environment(config)
        self.log = log
        self._initialized_backend: bool | None = None

    def run(self, *args: str, capture: bool = False,
            check: bool = True) -> subprocess.CompletedProcess:
        command = [self.binary, *args]
        if capture or self.log is None:
            result = subprocess.run(command, cwd=self.dir, env=self.env, text=True,
                                    capture_output=capture)
            detail = result.stderr.strip() if capture else ""
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a") as log:
                log.write(f"\n$ terraform {' '.join(args)}   # stack {self.stack}\n")
                log.flush()
                result = subprocess.run([*command, "-no-color"], cwd=self.dir, env=self.env,
                                        text=True, stdout=log, stderr=subprocess.STDOUT)
            detail = "\n".join(self.log.read_text().splitlines()[-15:]) + f"\n(full log: {self.log})"
        if check and result.returncode != 0:
            raise UserError(f"`terraform {args[0]}` failed in stack '{self.stack}' "
                            f"(exit {result.returncode}).\n{detail}".rstrip())
        return result

    def init(self, *, backend: bool = True) -> None:
        if self._initialized_backend == backend:
            return
        self.run("init", "-input=false", "-no-color", "-reconfigure",
                 *(() if backend else ("-backend=false",)), capture=True)
        self._initialized_backend = backend

    def validate(self) -> None:
        self.init(backend=False)
        self.run("validate", "-no-color", capture=True)

    def plan(self, *, detailed_exitcode: bool = False) -> int:
        """0 means no changes; with `detailed_exitcode`, 2 means changes are pending."""
        self.init()
        adopt.place_imports(self.config, self.dir)
        args = ["plan", "-input=false", "-lock-timeout=30s"]
        if detailed_exitcode:
            args.append("-detailed-exitcode")
        result = self.run(*args, check=False)
        if result.returncode not in (PLAN_NO_CHANGES, PLAN_HAS_CHANGES) or \
                (result.returncode == PLAN_HAS_CHANGES and not detailed_exitcode):
            raise UserError(f"`terraform plan` failed in stack '{self.stack}' "
                            f"(exit {result.returncode}).")
        return result.returncode

    def apply(self, *, auto_approve: bool = False) -> None:
        self.init()
        adopt.place_imports(self.config, self.dir)
        self.run("apply", "-lock-timeout=30s", *_approval(auto_approve))
        adopt.forget_imports(self.config, self.dir)

    def destroy(self, *, auto_approve: bool = False) -> None:
        self.init()
        self.run("destroy", "-lock-timeout=30s", *_approval(auto_approve))

    def outputs(self) -> dict:
        self.init()
        raw = json.loads(self.run("output", "-json", capture=True).stdout or "{}")
        return {name: item["value"] for name, item in raw.items()}

    def state_resources(self) -> list[str]:
        self.init()
        listed = self.run("state", "list", capture=True, check=False)
        return listed.stdout.split() if listed.returncode == 0 else []


def _approval(auto_approve: bool) -> tuple[str, ...]:
    """Without auto-approval terraform asks the person at the terminal, so input stays on."""
    return ("-input=false", "-auto-approve") if auto_approve else ()
