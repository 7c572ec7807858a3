"""`make benchmark`: every speed figure beside its target, measured in a place of its own.

The checkout as it is (committed or not) is copied into a temporary directory that becomes a git
repository of its own, sharing only the virtualenvs; the measuring process (benchmarks/targets.py)
runs there, so its synths, terraform working files, logs and emulators' files never touch this
checkout's `cdktf.out` or `.logs`. Its emulators take LOCAL_AWS_PORT, LOCAL_AWS_PORT+2, … when
it is set (checked free before anything starts), else free ports. The terminal shows progress and
the figures table; everything else (terraform's output included) goes to a log in `.benchmark/`.

    make benchmark                                     # every part, ROUNDS=3: about 25 min
    ROUNDS=1 BENCHMARK_PARTS=synth,reset make benchmark
    LOCAL_AWS_PORT=4800 make benchmark                 # emulators on 4800, 4802, …
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.figures import (
    FAILED,
    FIGURES_VARIABLE,
    PORT_STEP,
    PROGRESS,
    base_port,
    recorded,
    table,
)
from benchmarks.targets import ROUNDS, emulators_needed, selected_parts
from foundation import model
from foundation.paths import REPO_ROOT

BENCHMARK_DIR = REPO_ROOT / ".benchmark"
# Shared with the place, not copied: installing them again would be measured too.
SHARED = (".venv", ".venv-scan", "node_modules")
# make compares these with what they installed: the copies' new times must not reinstall.
INSTALL_STAMPED = ("requirements.txt", "requirements-scan.txt", "package-lock.json")
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def ports_problem(emulators: int) -> str | None:
    """Why the emulators cannot have the ports LOCAL_AWS_PORT gives them (None: they can, or it
    is unset and free ports are picked)."""
    base = base_port()
    if base is None or emulators == 0:
        return None
    wanted = range(base, base + PORT_STEP * emulators)
    taken = [port for port in wanted if not _free(port)]
    if not taken:
        return None
    return (
        f"{model.EMULATOR_PORT_VARIABLE}={base}, but port {taken[0]} is in use (a running "
        f"emulator? `make local-down {model.EMULATOR_PORT_VARIABLE}={taken[0]}` stops one): the "
        f"benchmark's {emulators} emulator(s) need ports {wanted[0]}-{wanted[-1]} free; unset "
        f"{model.EMULATOR_PORT_VARIABLE} to let it pick free ones"
    )


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def place_of_its_own(source: Path, destination: Path) -> Path:
    """`source`'s files as they are (tracked or new, not ignored) in `destination`, committed
    there as a repository of its own (the demo's rounds clone it), sharing its virtualenvs."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = source / name
        if name.split("/")[0] in SHARED or not path.is_file():
            continue  # a shared link, or a tracked file deleted in the checkout
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination / name, follow_symlinks=False)
    for shared in SHARED:
        if (source / shared).exists():
            (destination / shared).symlink_to((source / shared).resolve())
    for stamped in INSTALL_STAMPED:
        if (destination / stamped).exists():
            os.utime(destination / stamped, (0, 0))
    git = ["git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "benchmark"]):
        subprocess.run([*git, *command], cwd=destination, check=True, capture_output=True)
    return destination


def measure(place: Path, figures: Path, log: Path) -> tuple[int, str]:
    """The measuring process in `place`: its progress lines shown, every line logged without
    colours. Returns its exit code and why it failed (its FAILED line, else its last line)."""
    process = subprocess.Popen(
        [str(place / ".venv/bin/python"), "-m", "benchmarks.targets"],
        cwd=place,
        env={**os.environ, FIGURES_VARIABLE: str(figures), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    last = failed = ""
    with open(log, "a") as logged:
        for line in process.stdout:
            plain = _COLOURS.sub("", line)
            logged.write(plain)
            logged.flush()
            if plain.startswith(PROGRESS):
                print(plain[len(PROGRESS) :], end="", flush=True)
            if plain.startswith(FAILED):
                failed = plain[len(FAILED) :].strip()
            elif plain.strip():
                last = plain.strip()
    return process.wait(), failed or last


def main() -> int:
    try:
        parts = selected_parts()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problem = ports_problem(emulators_needed(parts))
    if problem:
        print(f"error: {problem}.", file=sys.stderr)
        return 1
    BENCHMARK_DIR.mkdir(exist_ok=True)
    log = BENCHMARK_DIR / time.strftime("benchmark-%Y%m%d-%H%M%S.log")
    print(f"make benchmark: ROUNDS={ROUNDS}, parts {', '.join(parts)}; details: {log}", flush=True)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        figures = Path(scratch) / "figures.jsonl"
        try:
            place = place_of_its_own(REPO_ROOT, Path(scratch) / "place")
            code, last = measure(place, figures, log)
        except KeyboardInterrupt:
            print(f"\ninterrupted; what was measured is in {log}", file=sys.stderr)
            return 130
        measured = recorded(figures)
    if measured:
        print("\n" + table(measured))
    if code != 0:
        print(f"error: the benchmark stopped: {last} (its output: {log})", file=sys.stderr)
        return 1
    with open(log, "a") as logged:
        logged.write("\n" + table(measured) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
