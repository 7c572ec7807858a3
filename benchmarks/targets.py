"""The measuring process of `make benchmark` (benchmarks/run.py runs it in a place of its own):
every speed figure beside its target, on emulators of its own (each stopped afterwards). The
median of ROUNDS rounds (default 3) where a round is affordable; ROUNDS=1 for a quick look.
BENCHMARK_PARTS picks the parts (default: all of PARTS).

Timings on a busy machine are noisy: run it on a quiet one.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchmarks import dev_reset
from benchmarks.figures import FAILED, emulator_port, progress, report
from benchmarks.many_accounts import (
    apply_management,
    environment_with_members,
    plan_members,
    scale_run,
    synth_into,
    timed,
)
from foundation import config as config_module
from foundation import model
from foundation.paths import REPO_ROOT
from scripts.emulator import server
from scripts.runner.pool import default_jobs
from scripts.runner.synth import synth

ROUNDS = int(os.environ.get("ROUNDS") or 3)
PARTS_VARIABLE = "BENCHMARK_PARTS"
CONCURRENT_MEMBERS = 10
SCALE_MEMBERS = 20


def median(values: list[float]) -> float:
    return statistics.median(values)


def rounds_note(values: list[float]) -> str:
    return f"median of {len(values)}: " + ", ".join(f"{v:.1f}" for v in values)


# --- a fresh clone, as a new user has it ----------------------------------------------------


@contextmanager
def fresh_clone():
    """The committed tree in a temporary directory, sharing this checkout's virtualenvs."""
    with tempfile.TemporaryDirectory(prefix="benchmark-clone-") as scratch:
        clone = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        for venv in (".venv", ".venv-scan"):
            if (REPO_ROOT / venv).exists() and not (clone / venv).is_symlink():
                (clone / venv).symlink_to((REPO_ROOT / venv).resolve())
        # make compares these with .venv/.installed: a clone's new mtimes must not reinstall
        for requirements in clone.glob("requirements*.txt"):
            os.utime(requirements, (0, 0))
        yield clone


def make(clone: Path, *arguments: str) -> str:
    """`make <arguments>` in `clone`; what it printed goes to the log, a failure in one line."""
    result = subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=clone,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    print(result.stdout, flush=True)
    if result.returncode != 0:
        raise RuntimeError(f"`make {' '.join(arguments)}` failed (exit {result.returncode})")
    return result.stdout


def demo_and_plan_figures() -> None:
    progress(f"make demo on a fresh emulator, from a fresh clone ({ROUNDS} round(s))")
    walls = []
    with ExitStack() as cleanup:
        for round_number in range(ROUNDS):
            clone, port = cleanup.enter_context(fresh_clone()), emulator_port()
            stop = functools.partial(make, clone, "local-down", f"LOCAL_AWS_PORT={port}")
            cleanup.callback(stop)
            began = time.perf_counter()
            printed = make(clone, "demo", f"LOCAL_AWS_PORT={port}")
            walls.append(time.perf_counter() - began)
            if round_number < ROUNDS - 1:
                stop()  # stopping twice is harmless; an idle emulator would add noise
        report(
            "make demo, fresh emulator and clone (s)",
            f"{median(walls):.0f} ({rounds_note(walls)})",
            "<= 180",
            median(walls) <= 180,
        )
        for title, seconds in step_timings(printed):
            progress(f"      {seconds:6.1f}s  {title}")
        plan_ratio_figure(clone, port)


def step_timings(printed: str) -> list[tuple[str, float]]:
    """("[2/7] title…", seconds) of each step the demo printed, nested steps included."""
    open_steps, timings = [], []
    for line in printed.splitlines():
        if re.match(r"\[\d+/\d+\] ", line):
            open_steps.append(line.rstrip("…"))
        elif (done := re.match(r"\s+done in ([\d.]+)s", line)) and open_steps:
            timings.append((open_steps.pop(), float(done.group(1))))
    return timings


def plan_ratio_figure(clone: Path, port: int) -> None:
    """`make plan STACK=dev` against a bare `terraform plan` in the same stack directory, with
    the environment the runner gives terraform, alternately."""
    environment = json.loads(
        subprocess.run(
            [
                str(clone / ".venv/bin/python"),
                "-c",
                "import json; from foundation import config; "
                "from scripts.runner.environment import cli_environment; "
                "print(json.dumps(cli_environment(config.load('local'))))",
            ],
            cwd=clone,
            env={**os.environ, model.EMULATOR_PORT_VARIABLE: str(port)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    stack = clone / "cdktf.out" / "stacks" / "dev"
    bare_command = [shutil.which("terraform"), "plan", "-input=false", "-lock-timeout=30s"]
    bare, runner = [], []
    for _ in range(ROUNDS):
        bare.append(
            timed(
                lambda: subprocess.run(
                    bare_command, cwd=stack, env=environment, stdout=subprocess.DEVNULL, check=True
                )
            )
        )
        runner.append(timed(lambda: make(clone, "plan", "STACK=dev", f"LOCAL_AWS_PORT={port}")))
    ratio = median(runner) / median(bare)
    report(
        "make plan STACK=dev / bare terraform plan",
        f"{ratio:.2f}x ({median(runner):.1f}s vs "
        f"{median(bare):.1f}s; {rounds_note(runner)} vs {rounds_note(bare)})",
        "<= 1.15",
        ratio <= 1.15,
    )


# --- many member accounts ---------------------------------------------------------------------


@contextmanager
def emulator_for(members: int, work: Path):
    os.environ[model.EMULATOR_PORT_VARIABLE] = str(emulator_port())
    config = config_module.load(environment_with_members(work, members))
    server.start(config)
    try:
        yield config
    finally:
        server.stop(config)


def concurrent_members_figure(work: Path) -> None:
    jobs = default_jobs()
    progress(f"plan of {CONCURRENT_MEMBERS} member stacks, {jobs} at a time vs one at a time")
    with emulator_for(CONCURRENT_MEMBERS, work) as config:
        stacks = synth_into(config, work / "cdktf.out")
        apply_management(config, stacks, work / "logs")
        plan_members(config, stacks, work / "logs", jobs)  # the first one runs terraform init
        sequential, concurrent = [], []
        for _ in range(ROUNDS):
            sequential.append(timed(lambda: plan_members(config, stacks, work / "logs", 1)))
            concurrent.append(timed(lambda: plan_members(config, stacks, work / "logs", jobs)))
    ratio = median(concurrent) / median(sequential)
    report(
        f"plan of {CONCURRENT_MEMBERS} members, JOBS={jobs} / JOBS=1",
        f"{ratio:.2f}x ({median(concurrent):.1f}s vs {median(sequential):.1f}s)",
        "<= 0.6",
        ratio <= 0.6,
    )


def scale_figure(work: Path) -> None:
    progress(f"scale: {SCALE_MEMBERS} member accounts (one round)")
    with emulator_for(SCALE_MEMBERS, work) as config:
        seconds = scale_run(config, work)
    for step, value in seconds.items():
        report(f"scale, {SCALE_MEMBERS} members: {step} (s)", f"{value:.1f}")
    report(
        f"scale, {SCALE_MEMBERS} members: all steps (s)",
        f"{sum(seconds.values()):.0f}",
        "passes (make test-scale)",
        True,
    )


# --- synth and the test tiers -----------------------------------------------------------------


def synth_figures() -> None:
    """As `make synth` does it: a new process writing cdktf.out, then one with nothing changed."""
    progress(f"synth of the local environment into cdktf.out ({ROUNDS} round(s))")
    config = config_module.load("local")
    cold = [timed(lambda: synth(config, force=True)) for _ in range(ROUNDS)]
    cached = [timed(lambda: synth(config)) for _ in range(ROUNDS)]
    report(
        "cold synth (s)",
        f"{median(cold):.1f} ({rounds_note(cold)})",
        "= the bare import of the bindings (reported)",
    )
    report("cached synth, inputs unchanged (s)", f"{median(cached):.2f}", "< 1", median(cached) < 1)


# The test tiers, one round each (a whole suite per round): (make target, target seconds).
SUITE_TIERS = (("test-fast", 60), ("test", 360))


def suite_figures() -> None:
    for target, budget in SUITE_TIERS:
        seconds = timed(
            lambda target=target: subprocess.run(
                ["make", "--no-print-directory", target], cwd=REPO_ROOT, check=True
            )
        )
        report(
            f"make {target} (s)", f"{seconds:.0f} (one round)", f"<= {budget}", seconds <= budget
        )


def members_figures() -> None:
    with tempfile.TemporaryDirectory(prefix="benchmark-members-") as scratch:
        concurrent_members_figure(Path(scratch) / "concurrent")
        scale_figure(Path(scratch) / "scale")


# Each part and the emulators it starts (the driver checks LOCAL_AWS_PORT's ports before it).
PARTS = {
    "synth": (synth_figures, 0),
    "demo": (demo_and_plan_figures, ROUNDS),
    "members": (members_figures, 2),
    "suite": (suite_figures, 0),
    "reset": (dev_reset.figures, 1),
}


def selected_parts() -> list[str]:
    """The parts BENCHMARK_PARTS names (comma-separated; default: every one), in PARTS' order."""
    if ROUNDS < 1:
        raise ValueError(f"ROUNDS={ROUNDS}: a median needs at least one round")
    named = [p.strip() for p in os.environ.get(PARTS_VARIABLE, "").split(",") if p.strip()]
    unknown = sorted(set(named) - PARTS.keys())
    if unknown:
        raise ValueError(
            f"{PARTS_VARIABLE} names no part {', '.join(unknown)}: the parts are {', '.join(PARTS)}"
        )
    return [part for part in PARTS if not named or part in named]


def emulators_needed(parts: list[str]) -> int:
    return sum(PARTS[part][1] for part in parts)


def main() -> int:
    parts = selected_parts()
    progress(f"{os.cpu_count()} cores, ROUNDS={ROUNDS}, parts: {', '.join(parts)}")
    for part in parts:
        try:
            PARTS[part][0]()
        except Exception as error:  # the traceback goes to the driver's log, one line to its user
            traceback.print_exc()
            said = str(error).strip().splitlines()[0] if str(error).strip() else ""
            print(f"{FAILED}the {part} part failed: {type(error).__name__}: {said}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
