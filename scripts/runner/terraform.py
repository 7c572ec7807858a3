"""The one terraform runner: init (backend, provider mirror, emulator credentials), plan, apply,
destroy and outputs for a synthesized stack, with plain `terraform` in cdktf.out/stacks/<stack>.

Before a plan or apply it writes the stack's `imports.tf.json` from what `make adopt` recorded
(scripts/commands/adopt.py), and after a successful apply it drops them: they are in the state then.

`terraform init` runs only when the stack's backend, providers, CLI configuration or lock file
changed since the last one (a fingerprint in `.terraform/`), so a plan with unchanged inputs
costs what a bare `terraform plan` costs. Independent stacks run concurrently with
`in_parallel`, each into its own log.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection

from foundation.config import Config
from foundation.paths import TERRAFORM_CLI_DIR, held
from scripts import aws
from scripts.commands import adopt
from scripts.console import UserError
from scripts.runner.synth import stacks_dir

MINIMUM_VERSION = (1, 10)  # S3 native state locking (use_lockfile)
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"
# Where machine images ship an offline provider mirror; used when TF_PROVIDER_MIRROR is unset
# and no Terraform CLI config of the user's own exists.
KNOWN_MIRRORS = (Path("/opt/tf-plugins"),)
MIRRORED_PROVIDER = "registry.terraform.io/hashicorp/aws"
CLI_CONFIG = TERRAFORM_CLI_DIR / "provider-mirror.tfrc"
PLUGIN_CACHE_VARIABLE = "TF_PLUGIN_CACHE_DIR"
# One unpacked copy of each provider for every stack, instead of one per stack directory.
PLUGIN_CACHE = TERRAFORM_CLI_DIR / "plugin-cache"
# An init whose stack has no lock file yet (every new stack) otherwise installs the provider into
# the cache again, even when it is there, under the feet of the other stacks' running providers;
# with this it links what the cache holds. The lock file then records only this platform's
# checksum: cdktf.out is generated, never committed.
PLUGIN_CACHE_AS_IS_VARIABLE = "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"
# Terraform and the AWS provider are Go programs whose CPU time is a third garbage collection
# at Go's default (GOGC=100). No collection until a process's heap reaches 512 MiB cut a plan's
# CPU by about 30 % for about 110 MB more per provider process and 310 MB more for terraform
# (README, "How the runner keeps a plan cheap"); either variable of the user's own leaves both.
GARBAGE_COLLECTION = {"GOGC": "off", "GOMEMLIMIT": "512MiB"}

PLAN_NO_CHANGES, PLAN_HAS_CHANGES = 0, 2
SAVED_PLAN = "foundation.tfplan"  # in the stack directory; git-ignored
ACCOUNT_REMOVAL_VARIABLE = "ALLOW_ACCOUNT_REMOVAL"
ACCOUNT_TYPE, ORGANIZATION_TYPE = "aws_organizations_account", "aws_organizations_organization"
# What ALLOW_ACCOUNT_REMOVAL names to allow deleting the organization itself.
ORGANIZATION_NAME = "organization"


@functools.cache
def terraform_binary() -> str:
    """The terraform on PATH, its version checked once per process."""
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
    if not GARBAGE_COLLECTION.keys() & env.keys():
        env.update(GARBAGE_COLLECTION)
    mirror = provider_mirror()
    if mirror is not None:
        _write_atomically(CLI_CONFIG, (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            f'    include = ["{MIRRORED_PROVIDER}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{MIRRORED_PROVIDER}"]\n  }}\n}}\n'))
        env["TF_CLI_CONFIG_FILE"] = str(CLI_CONFIG)
    env[PLUGIN_CACHE_VARIABLE] = str(plugin_cache_dir())
    env.setdefault(PLUGIN_CACHE_AS_IS_VARIABLE, "1")
    return env


def plugin_cache_dir() -> Path:
    """TF_PLUGIN_CACHE_DIR as the user set it, else ours; terraform needs it to exist."""
    cache = Path(os.environ.get(PLUGIN_CACHE_VARIABLE) or PLUGIN_CACHE)
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _write_atomically(path: Path, text: str) -> None:
    """Concurrent runners may rewrite the file while a terraform reads it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text() == text:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(text)
    partial.replace(path)


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
        raise UserError(f"Terraform cannot start for '{config.env_name}': an AWS call failed "
                        f"({aws.explain(error)}). {aws.next_step(config, error)}") from None
    if status == "missing":
        raise UserError(f"The state bucket '{config.state_bucket}' does not exist yet: create it "
                        f"with `make bootstrap ENV={config.env_name}`, then run this again.")
    if status == "foreign":
        raise UserError(f"The state bucket '{config.state_bucket}' is not in account {account} "
                        "(these credentials' account): pick another `state_bucket` in "
                        f"{config.source.name}, or the management account's credentials.")
    _prerequisites_met.add(wanted)


class Terraform:
    """Plain terraform in one synthesized stack's directory."""

    def __init__(self, config: Config, stack: str, stacks: Path | None = None,
                 log: Path | None = None, *, own_process_group: bool = False):
        """`log`: append terraform's output to this file instead of the terminal.
        `own_process_group`: for `in_parallel`, which forwards Ctrl-C to each terraform once
        (it must never read the terminal then)."""
        self.own_process_group = own_process_group
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
        # (what it was planned from, plan exit code, the plan as shown) of the saved plan
        # nothing has applied yet.
        self._unapplied_plan: tuple[str, int, dict | None] | None = None

    def run(self, *args: str, capture: bool = False,
            check: bool = True) -> subprocess.CompletedProcess:
        command = [self.binary, *args]
        if capture or self.log is None:
            result = self._subprocess(command, capture_output=capture)
            detail = result.stderr.strip() if capture else ""
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a") as log:
                log.write(self._log_heading(args))
                log.flush()
                result = self._subprocess([*command, "-no-color"], stdout=log,
                                          stderr=subprocess.STDOUT)
            detail = "\n".join(self.log.read_text().splitlines()[-15:]) + f"\n(full log: {self.log})"
        if check and result.returncode != 0:
            if capture and self.log is not None:  # what failed belongs in the log shown
                with open(self.log, "a") as log:
                    log.write(f"{self._log_heading(args)}{detail}\n")
            raise UserError(f"`terraform {args[0]}` failed in stack '{self.stack}' "
                            f"(exit {result.returncode}).\n{detail}".rstrip())
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
                self.run("init", "-input=false", "-no-color", "-reconfigure",
                         *(() if backend else ("-backend=false",)), capture=True)
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
        return self.dir / ".terraform" / \
            f"foundation-init-{'backend' if backend else 'nobackend'}.sha256"

    def _init_is_current(self, backend: bool) -> bool:
        """A backend init serves validate too; a validate-only init never serves a plan."""
        wanted = self._init_fingerprint()
        return self._providers_installed() and any(
            path.is_file() and path.read_text() == wanted
            for path in {self._fingerprint_file(backend), self._fingerprint_file(True)})

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

    def plan(self, *, detailed_exitcode: bool = False,
             allow_account_removal: Collection[str] = ()) -> int:
        """0 means no changes; with `detailed_exitcode`, 2 means changes are pending. Refuses a
        plan that removes an account or the organization not named in `allow_account_removal`."""
        self._unapplied_plan = (self._planned_from(), *self._saved_plan())
        _, changes, shown = self._unapplied_plan
        self._refuse_removals(shown, allow_account_removal)
        return changes if detailed_exitcode else PLAN_NO_CHANGES

    def apply(self, *, auto_approve: bool = False,
              allow_account_removal: Collection[str] = ()) -> None:
        """Applies exactly the plan that was checked — the one `plan` just saved, if it was
        planned from the same configuration (terraform refuses it if the state moved since),
        else a new one — once its account removals pass `allow_account_removal`; nothing to
        apply when it shows no changes. A saved plan applies without asking, so without
        `auto_approve` the question is ours."""
        unapplied, self._unapplied_plan = self._unapplied_plan, None
        changes, shown = unapplied[1:] if unapplied and unapplied[0] == self._planned_from() \
            else self._saved_plan()
        self._refuse_removals(shown, allow_account_removal)
        if changes == PLAN_NO_CHANGES:
            adopt.forget_imports(self.config, self.dir)
            return
        if not auto_approve:
            try:
                answer = input(f"\nApply these changes to stack '{self.stack}'? "
                               "Only 'yes' is accepted: ")
            except EOFError:
                answer = ""
            if answer.strip() != "yes":
                raise UserError(f"Apply cancelled; nothing was changed in stack '{self.stack}'.")
        self.run("apply", "-input=false", "-lock-timeout=30s", SAVED_PLAN)
        adopt.forget_imports(self.config, self.dir)

    def _planned_from(self) -> str:
        """The stack's configuration files: a saved plan carries the configuration it was made
        from, so one made before an edit would apply the old one."""
        digest = hashlib.sha256()
        for path in sorted(self.dir.glob("*.tf.json")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def _refuse_removals(self, shown: dict | None, allow_account_removal: Collection[str]) -> None:
        if shown is not None:
            refuse_account_removals(shown, allow_account_removal, self.stack,
                                    self.config.name_prefix)

    def _saved_plan(self) -> tuple[int, dict | None]:
        """Plans into SAVED_PLAN (shown as usual); returns terraform's exit code and, for a plan
        that may remove an account, the plan as `terraform show -json` reads it."""
        self.init()
        adopt.place_imports(self.config, self.dir)
        result = self.run("plan", "-input=false", "-lock-timeout=30s", "-detailed-exitcode",
                          f"-out={SAVED_PLAN}", check=False)
        if result.returncode not in (PLAN_NO_CHANGES, PLAN_HAS_CHANGES):
            raise UserError(f"`terraform plan` failed in stack '{self.stack}' "
                            f"(exit {result.returncode}).")
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


def run_until_terraform_exits(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run, except that Ctrl-C never kills terraform. The terminal delivers Ctrl-C
    to terraform as well (same process group), which then stops gracefully: it writes the
    state and releases the lock, which on real AWS takes longer than subprocess.run waits
    before killing it. A second Ctrl-C reaches terraform the same way and makes it stop at
    once. The interruption is raised once terraform has exited."""
    if options.pop("capture_output", False):
        options.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process = subprocess.Popen(command, **options)
    interrupted = False
    while True:
        try:
            stdout, stderr = process.communicate()
            break
        except KeyboardInterrupt:
            if not interrupted:
                print("\nCtrl-C: waiting for terraform to write its state and release the lock "
                      "(Ctrl-C again stops it at once).", file=sys.stderr, flush=True)
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def account_removals(plan: dict, name_prefix: str = "") -> list[tuple[str, str]]:
    """(name, how) for each account or organization that `terraform show -json` of a plan
    deletes or replaces; an account by its name in the environment file (the organization's
    name for it without `<name_prefix>-`)."""
    removals = []
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if change.get("type") not in (ACCOUNT_TYPE, ORGANIZATION_TYPE) or "delete" not in actions:
            continue
        before = change["change"].get("before") or {}
        name = before.get("name", "?") if change["type"] == ACCOUNT_TYPE else ORGANIZATION_NAME
        name = name.removeprefix(f"{name_prefix}-") if name_prefix else name
        how = "replaced" if "create" in actions else "removed"
        removals.append((name, f"{change.get('address', change['type'])} would be {how}"))
    return removals


def refuse_account_removals(plan: dict, allowed: Collection[str], stack: str,
                            name_prefix: str = "") -> None:
    refused = [(name, how) for name, how in account_removals(plan, name_prefix)
               if name not in allowed]
    if not refused:
        return
    names = ",".join(sorted({name for name, _ in refused}))
    raise UserError(
        f"The plan of stack '{stack}' removes {len(refused)} account(s) from the organization; "
        "nothing was changed:\n" + "".join(f"  {name}: {how}\n" for name, how in refused)
        + "Removing an account from the environment file removes it from the organization "
        "(close_on_deletion = false): it becomes a standalone account that keeps billing to its "
        "own payment method, and its root user must be recovered by password reset. To close an "
        "account deliberately, close it in the AWS Organizations console or with `aws "
        "organizations close-account --account-id <id>`, remove it from the environment file, "
        f"then run again with {ACCOUNT_REMOVAL_VARIABLE}={names} (make plan/apply "
        f"{ACCOUNT_REMOVAL_VARIABLE}={names}). If the removal is a mistake, restore the account "
        "in the environment file.")


# --- independent stacks at once -----------------------------------------------------------------

_own_group_processes: set[subprocess.Popen] = set()
_own_group_lock = threading.Lock()
_interrupted = threading.Event()


def run_in_own_process_group(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run, but the child does not get the terminal's Ctrl-C itself: in_parallel
    forwards exactly one (a second one would make terraform abandon its state)."""
    with _own_group_lock:
        if _interrupted.is_set():
            raise UserError("Interrupted: nothing more was started.")
        process = subprocess.Popen(command, process_group=0, stdin=subprocess.DEVNULL,
                                   **({"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
                                      if options.pop("capture_output", False) else {}),
                                   **options)
        _own_group_processes.add(process)
    try:
        stdout, stderr = process.communicate()
    finally:
        with _own_group_lock:
            _own_group_processes.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _forward_interrupt() -> None:
    with _own_group_lock:
        _interrupted.set()
        for process in _own_group_processes:
            process.send_signal(signal.SIGINT)


@dataclass(frozen=True)
class Task:
    """One stack's work: `run` writes everything it prints to `log`."""
    name: str
    log: Path
    run: Callable[[], object]


# What one stack's plan or apply held at its peak (2026-12-03, GARBAGE_COLLECTION): terraform
# 535 MB and a provider process of 423 MB for each allowed region, two in the example; each
# further region adds about 0.45 GB.
MEMORY_PER_STACK = 1.5 * 2**30


def available_memory() -> int | None:
    """Bytes the kernel can give new processes without swapping (None where it does not say)."""
    try:
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    return int(meminfo.split("MemAvailable:")[1].split()[0]) * 1024


def as_memory_allows(wanted: int, memory_each: float) -> int:
    """`wanted` processes at once, or as many as the memory available gives `memory_each` bytes."""
    memory = available_memory()
    return wanted if memory is None else max(1, min(wanted, int(memory // memory_each)))


def default_jobs() -> int:
    """One stack per core, as far as the memory available holds them."""
    return as_memory_allows(os.cpu_count() or 1, MEMORY_PER_STACK)


def in_parallel(tasks: list[Task], jobs: int, *, show: bool = True,
                out=None) -> dict[str, object]:
    """Run `tasks` at most `jobs` at a time and show each one's log on `out` (default: stdout)
    in the given order: the first one as it grows, every later one once those before it were
    shown (`show=False`: the logs stay in their files, for a caller that summarizes instead).
    Returns what each task returned, by name. A failure does not
    stop the others; afterwards one UserError names every failed task. Ctrl-C is forwarded once
    to every terraform still running, and nothing new starts."""
    for task in tasks:
        task.log.parent.mkdir(parents=True, exist_ok=True)
        task.log.write_text("")
    out = sys.stdout if out is None else out
    results: dict[str, object] = {}
    failures: list[str] = []
    _interrupted.clear()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(task.run) for task in tasks]
        try:
            for task, future in zip(tasks, futures):
                if not show:
                    wait([future])
                else:
                    print(f"== {task.name} (log: {task.log})", file=out, flush=True)
                    _follow(task.log, future, out)
                error = future.exception()
                if error is None:
                    results[task.name] = future.result()
                else:
                    failures.append(f"{task.name}: {error}".splitlines()[0])
        except KeyboardInterrupt:
            _forward_interrupt()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    if failures:
        raise UserError(f"{len(failures)} of {len(tasks)} failed (each log is above):\n  "
                        + "\n  ".join(failures))
    return results


def _follow(log: Path, future, out, poll_seconds: float = 0.2) -> None:
    """Copy what `log` gains to `out` until `future` is done, then the rest."""
    with open(log) as reading:
        while True:
            done = future.done()
            chunk = reading.read()
            if chunk:
                out.write(chunk)
                out.flush()
            if done:
                return
            time.sleep(poll_seconds)
