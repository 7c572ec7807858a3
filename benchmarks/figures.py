"""What `make benchmark`'s measuring process tells its driver (benchmarks/run.py): each figure
beside its target, recorded where BENCHMARK_FIGURES says, and the progress lines the driver shows
(everything else it prints goes to the driver's log only); and the ports its emulators take."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from foundation import model
from tests.helpers import free_port

FIGURES_VARIABLE = "BENCHMARK_FIGURES"
# A line the driver shows on the terminal (without this mark); the rest goes to its log.
PROGRESS = "benchmark| "
# The one line saying why the measuring stopped, for the driver's error.
FAILED = "benchmark-failed| "
# LOCAL_AWS_PORT=N: the emulators use N, N+2, … (each also listens on its port + 1).
PORT_STEP = 2


@dataclass(frozen=True)
class Figure:
    name: str
    measured: str
    target: str = ""
    met: bool | None = None  # None: no target to meet, or not measured


def progress(message: str) -> None:
    print(f"{PROGRESS}{message}", flush=True)


def report(name: str, measured: str, target: str = "", met: bool | None = None) -> None:
    figure = Figure(name, measured, target, met)
    recorded = os.environ.get(FIGURES_VARIABLE)
    if recorded:
        with open(recorded, "a") as figures:
            figures.write(json.dumps(asdict(figure)) + "\n")
    progress(f"  {name}: {measured}" + (f"  (target {target})" if target else ""))


def recorded(path: Path) -> list[Figure]:
    if not path.is_file():
        return []
    return [Figure(**json.loads(line)) for line in path.read_text().splitlines() if line]


def table(figures: list[Figure]) -> str:
    width = max([len(figure.name) for figure in figures] + [len("figure")])
    lines = [f"  {'figure':<{width}}  measured / target"]
    for figure in figures:
        verdict = {True: "met", False: "MISSED", None: ""}[figure.met]
        lines.append(f"  {figure.name:<{width}}  {figure.measured}")
        lines.append(f"  {'':<{width}}  target {figure.target or '-'}  {verdict}".rstrip())
    return "\n".join(lines)


def base_port() -> int | None:
    """LOCAL_AWS_PORT as a number, when it is set."""
    value = os.environ.get(model.EMULATOR_PORT_VARIABLE)
    return int(value) if value else None


_next_port = base_port()


def emulator_port() -> int:
    """The next emulator's port: from LOCAL_AWS_PORT on when it is set, else a free one."""
    global _next_port
    if _next_port is None:
        return free_port()
    port, _next_port = _next_port, _next_port + PORT_STEP
    return port
