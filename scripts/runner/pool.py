"""Independent stacks at once: each into its own log, shown in order, at most as many as the cores
and the memory hold."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from scripts.console import UserError
from scripts.runner.processes import TerraformInterrupted, _forward_interrupt, _interrupted


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


def in_parallel(tasks: list[Task], jobs: int, *, show: bool = True, out=None) -> dict[str, object]:
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
            for task, future in zip(tasks, futures, strict=True):
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
            terraform_was_running = _forward_interrupt()
            pool.shutdown(wait=True, cancel_futures=True)
            if terraform_was_running:
                raise TerraformInterrupted from None
            raise
    if failures:
        raise UserError(
            f"{len(failures)} of {len(tasks)} failed (each log is above):\n  "
            + "\n  ".join(failures)
        )
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
