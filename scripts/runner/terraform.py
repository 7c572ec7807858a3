"""The one terraform runner: init (backend, provider mirror, emulator credentials), plan, apply,
destroy and outputs for a synthesized stack, with plain `terraform` in cdktf.out/stacks/<stack>.

Before a plan or apply it writes the stack's `imports.tf.json` from what `make adopt` recorded
(scripts/runner/imports.py), and after a successful apply it drops them: they are in the state then.
An apply that removed an account from the organization (allowed by name) also deletes that
account's workspace state once it holds nothing (scripts/workspaces.py `forget_workspace`).

`terraform init` runs only when the stack's backend, providers, CLI configuration or lock file
changed since the last one (a fingerprint in `.terraform/`), so a plan with unchanged inputs
costs what a bare `terraform plan` costs. Independent stacks run concurrently with
`in_parallel`, each into its own log.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Collection
from pathlib import Path

from foundation.model import Config
from foundation.paths import held
from scripts import workspaces
from scripts.console import UserError, confirm, say
from scripts.guard.account_removal import (
    ACCOUNT_TYPE,
    ORGANIZATION_TYPE,
    account_removals,
    refuse_account_removals,
)
from scripts.runner.environment import (
    PLUGIN_CACHE_VARIABLE,
    cli_environment,
    terraform_binary,
)
from scripts.runner.imports import forget_imports, place_imports
from scripts.runner.prerequisites import check_credentials_and_state_bucket
from scripts.runner.processes import run_in_own_process_group, run_until_terraform_exits
from scripts.runner.synth import stacks_dir

PLAN_NO_CHANGES, PLAN_HAS_CHANGES = 0, 2
SAVED_PLAN = "foundation.tfplan"  # in the stack directory; git-ignored


class Terraform:
    """Plain terraform in one synthesized stack's directory."""

    def __init__(
        self,
        config: Config,
        stack: str,
        stacks: Path | None = None,
        log: Path | None = None,
        *,
        own_process_group: bool = False,
    ):
        """`log`: append terraform's output to this file instead of the terminal.
        `own_process_group`: for `in_parallel`, which forwards Ctrl-C to each terraform once
        (it must never read the terminal then)."""
        self.own_process_group = own_process_group
        self.config = config
        self.stack = stack
        self.dir = (stacks or stacks_dir()) / stack
        if not (self.dir / "cdk.tf.json").is_file():
            raise UserError(
                f"No synthesized stack '{stack}' in {self.dir.parent}: "
                f"run `make synth ENV={config.env_name}` first."
            )
        self.binary = terraform_binary()
        self.env = cli_environment(config)
        self.log = log
        self._initialized_backend: bool | None = None
        # (what it was planned from, plan exit code, the plan as shown) of the saved plan
        # nothing has applied yet.
        self._unapplied_plan: tuple[str, int, dict | None] | None = None

    def run(
        self, *args: str, capture: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess:
        command = [self.binary, *args]
        if capture or self.log is None:
            result = self._subprocess(command, capture_output=capture)
            detail = result.stderr.strip() if capture else ""
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a") as log:
                log.write(self._log_heading(args))
                log.flush()
                result = self._subprocess(
                    [*command, "-no-color"], stdout=log, stderr=subprocess.STDOUT
                )
            detail = (
                "\n".join(self.log.read_text().splitlines()[-15:]) + f"\n(full log: {self.log})"
            )
        if check and result.returncode != 0:
            if capture and self.log is not None:  # what failed belongs in the log shown
                with open(self.log, "a") as log:
                    log.write(f"{self._log_heading(args)}{detail}\n")
            raise UserError(
                f"`terraform {args[0]}` failed in stack '{self.stack}' "
                f"(exit {result.returncode}).\n{detail}".rstrip()
            )
        return result

    def _log_heading(self, args: tuple[str, ...]) -> str:
        return f"\n$ terraform {' '.join(args)}   # stack {self.stack}\n"

    def _subprocess(self, command: list[str], **options) -> subprocess.CompletedProcess:
        options.update(cwd=self.dir, env=self.env, text=True)
        if self.own_process_group:
            return run_in_own_process_group(command, **options)
        return run_until_terraform_exits(command, **options)

    def init(self, *, backend: bool = True) -> None:
        if self._initialized_backend == backend:
            return
        if backend:
            check_credentials_and_state_bucket(self.config)
        if not self._init_is_current(backend):
            # Terraform's plugin cache is not safe for installs at once (its documentation
            # says so; concurrent inits failed with 'mkdir …: file exists'): inits take turns.
            with held(Path(self.env[PLUGIN_CACHE_VARIABLE]) / ".foundation-init.lock"):
                self.run(
                    "init",
                    "-input=false",
                    "-no-color",
                    "-reconfigure",
                    *(() if backend else ("-backend=false",)),
                    capture=True,
                )
            self._record_init(backend)
        self._initialized_backend = backend

    def _init_fingerprint(self) -> str:
        """What `terraform init` depends on: the stack's terraform block (backend and
        required providers), the CLI configuration, the plugin cache and the lock file."""
        stack = json.loads((self.dir / "cdk.tf.json").read_text())
        digest = hashlib.sha256(json.dumps(stack.get("terraform", {}), sort_keys=True).encode())
        cli_config = Path(self.env.get("TF_CLI_CONFIG_FILE", ""))
        digest.update(cli_config.read_bytes() if cli_config.is_file() else b"")
        digest.update(self.env[PLUGIN_CACHE_VARIABLE].encode())
        lock_file = self.dir / ".terraform.lock.hcl"
        digest.update(lock_file.read_bytes() if lock_file.is_file() else b"")
        return digest.hexdigest()

    def _fingerprint_file(self, backend: bool) -> Path:
        return (
            self.dir
            / ".terraform"
            / f"foundation-init-{'backend' if backend else 'nobackend'}.sha256"
        )

    def _init_is_current(self, backend: bool) -> bool:
        """A backend init serves validate too; a validate-only init never serves a plan."""
        wanted = self._init_fingerprint()
        return self._providers_installed() and any(
            path.is_file() and path.read_text() == wanted
            for path in {self._fingerprint_file(backend), self._fingerprint_file(True)}
        )

    def _providers_installed(self) -> bool:
        """Each provider init installed still resolves (they link into the plugin cache)."""
        installed = list((self.dir / ".terraform" / "providers").glob("*/*/*/*/*"))
        return bool(installed) and all(path.exists() for path in installed)

    def _record_init(self, backend: bool) -> None:
        fingerprint = self._fingerprint_file(backend)
        fingerprint.parent.mkdir(exist_ok=True)  # init of a stack without providers makes none
        fingerprint.write_text(self._init_fingerprint())

    def validate(self) -> None:
        self.init(backend=False)
        self.run("validate", "-no-color", capture=True)

    def plan(
        self, *, detailed_exitcode: bool = False, allow_account_removal: Collection[str] = ()
    ) -> int:
        """0 means no changes; with `detailed_exitcode`, 2 means changes are pending. Refuses a
        plan that removes an account or the organization not named in `allow_account_removal`."""
        self._unapplied_plan = (self._planned_from(), *self._saved_plan())
        _, changes, shown = self._unapplied_plan
        self._refuse_removals(shown, allow_account_removal)
        return changes if detailed_exitcode else PLAN_NO_CHANGES

    def apply(
        self, *, auto_approve: bool = False, allow_account_removal: Collection[str] = ()
    ) -> bool:
        """Applies exactly the plan that was checked — the one `plan` just saved, if it was
        planned from the same configuration (terraform refuses it if the state moved since),
        else a new one — once its account removals pass `allow_account_removal`; nothing to
        apply when it shows no changes. A saved plan applies without asking, so without
        `auto_approve` the question is ours. Returns whether there was anything to apply."""
        unapplied, self._unapplied_plan = self._unapplied_plan, None
        changes, shown = (
            unapplied[1:]
            if unapplied and unapplied[0] == self._planned_from()
            else self._saved_plan()
        )
        self._refuse_removals(shown, allow_account_removal)
        if changes == PLAN_NO_CHANGES:
            forget_imports(self.config, self.dir)
            return False
        confirm(
            f"\nApply these changes to stack '{self.stack}'?",
            "yes",
            asked="'yes'",
            auto_approve=auto_approve,
            skipped=f"applying stack '{self.stack}'",
            unchanged=f"nothing was changed in stack '{self.stack}'",
        )
        self.run("apply", "-input=false", "-lock-timeout=30s", SAVED_PLAN)
        forget_imports(self.config, self.dir)
        for name, how in account_removals(shown or {}, self.config.name_prefix):
            if how.endswith("removed") and name not in self.config.stack_names:
                say(f"      {workspaces.forget_workspace(self.config, name)}")
        return True

    def _planned_from(self) -> str:
        """The stack's configuration files: a saved plan carries the configuration it was made
        from, so one made before an edit would apply the old one."""
        digest = hashlib.sha256()
        for path in sorted(self.dir.glob("*.tf.json")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def _refuse_removals(self, shown: dict | None, allow_account_removal: Collection[str]) -> None:
        if shown is not None:
            refuse_account_removals(
                shown,
                allow_account_removal,
                self.stack,
                self.config.name_prefix,
                self.config.env_name,
            )

    def _saved_plan(self) -> tuple[int, dict | None]:
        """Plans into SAVED_PLAN (shown as usual); returns terraform's exit code and, for a plan
        that may remove an account, the plan as `terraform show -json` reads it."""
        self.init()
        place_imports(self.config, self.dir)
        result = self.run(
            "plan",
            "-input=false",
            "-lock-timeout=30s",
            "-detailed-exitcode",
            f"-out={SAVED_PLAN}",
            check=False,
        )
        if result.returncode not in (PLAN_NO_CHANGES, PLAN_HAS_CHANGES):
            raise UserError(
                f"`terraform plan` failed in stack '{self.stack}' (exit {result.returncode})."
            )
        if result.returncode == PLAN_HAS_CHANGES and self._declares_accounts():
            shown = self.run("show", "-json", "-no-color", SAVED_PLAN, capture=True).stdout
            return result.returncode, json.loads(shown)
        return result.returncode, None

    def _declares_accounts(self) -> bool:
        """Only a configuration that declares the organization or an account (management's)
        can plan their removal; `terraform show` costs a provider start, so members skip it."""
        declared = json.loads((self.dir / "cdk.tf.json").read_text()).get("resource", {})
        return bool({ACCOUNT_TYPE, ORGANIZATION_TYPE} & set(declared))

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
