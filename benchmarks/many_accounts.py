"""Many member accounts on the emulator, for the scale test and `make benchmark`: an environment
generated from environments/local.toml (a temporary file, never a committed copy), and the
steps a user runs on it — synth, validate, bootstrap, apply management, plan every member."""

from __future__ import annotations

import time
from pathlib import Path

from foundation.config import environment_path
from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK
from foundation.model import Config
from scripts.commands import bootstrap
from scripts.runner.pool import Task, default_jobs, in_parallel
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import Terraform

LOCAL = environment_path("local")


def member_names(count: int) -> list[str]:
    """dev (every environment has it), then member02, member03, …"""
    return [DEV_ACCOUNT, *(f"member{number:02d}" for number in range(2, count + 1))]


def environment_with_members(directory: Path, count: int) -> Path:
    """environments/local.toml with `count` member accounts: its dev account and more."""
    text = LOCAL.read_text()
    after_dev = text.index("\n[", text.index(f"[accounts.{DEV_ACCOUNT}]\n") + 1) + 1
    accounts = "".join(
        f'[accounts.{name}]\nemail = "aws-{name}@example.com"\n\n'
        for name in member_names(count)[1:]
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"local-{count}-members.toml"
    path.write_text(text[:after_dev] + "\n" + accounts + text[after_dev:])
    return path


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def synth_into(config: Config, out_dir: Path) -> Path:
    synth(config, out_dir, report=lambda message: None)
    return stacks_dir(out_dir)


def validate_all(config: Config, stacks: Path, log_dir: Path, jobs: int) -> None:
    in_parallel(
        [
            Task(
                name,
                log_dir / f"validate-{name}.log",
                lambda name=name: Terraform(
                    config,
                    name,
                    stacks,
                    log=log_dir / f"validate-{name}.log",
                    own_process_group=True,
                ).validate(),
            )
            for name in config.stack_names
        ],
        jobs,
        show=False,
    )


def apply_management(config: Config, stacks: Path, log_dir: Path) -> None:
    bootstrap.bootstrap(config)
    Terraform(config, MANAGEMENT_STACK, stacks, log=log_dir / "apply-management.log").apply(
        auto_approve=True
    )


def plan_members(config: Config, stacks: Path, log_dir: Path, jobs: int) -> dict[str, object]:
    """Every member stack planned, `jobs` at a time; each log must show a plan."""
    members = [name for name in config.stack_names if name != MANAGEMENT_STACK]
    logs = {name: log_dir / f"plan-{name}.log" for name in members}
    results = in_parallel(
        [
            Task(
                name,
                logs[name],
                lambda name=name: Terraform(
                    config, name, stacks, log=logs[name], own_process_group=True
                ).plan(),
            )
            for name in members
        ],
        jobs,
        show=False,
    )
    for name, log in logs.items():
        if "Plan: " not in log.read_text() and "No changes." not in log.read_text():
            raise AssertionError(f"the plan of {name} shows no plan: {log}")
    return results


def scale_run(config: Config, work: Path, jobs: int | None = None) -> dict[str, float]:
    """Seconds of each step on a running emulator, in the order a user runs them."""
    jobs = jobs or default_jobs()
    stacks = work / "cdktf.out" / "stacks"
    logs = work / "logs"
    return {
        "synth": timed(lambda: synth_into(config, work / "cdktf.out")),
        "validate": timed(lambda: validate_all(config, stacks, logs, jobs)),
        "bootstrap + apply management": timed(lambda: apply_management(config, stacks, logs)),
        "plan members": timed(lambda: plan_members(config, stacks, logs, jobs)),
    }
