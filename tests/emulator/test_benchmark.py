"""`make benchmark` measures in a place of its own (benchmarks/run.py): run from a checkout as a
user has it, with a synthesized `cdktf.out` and logs of the user's own, its synth part leaves
both exactly as they were, shows its figures table and sends the details to a log of its own; and
with LOCAL_AWS_PORT at a running emulator it refuses at once, in one sentence.

The benchmark's whole run takes about 25 minutes: only its cheapest part runs here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from benchmarks.run import place_of_its_own
from foundation import model
from foundation.paths import REPO_ROOT


def users_checkout(directory: Path) -> Path:
    """This checkout's files in `directory`, with a `cdktf.out` and `.logs` of the user's."""
    checkout = place_of_its_own(REPO_ROOT, directory)
    (checkout / "cdktf.out" / "stacks" / "dev").mkdir(parents=True)
    (checkout / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json").write_text('{"the": "user\'s"}')
    (checkout / ".logs" / "local").mkdir(parents=True)
    (checkout / ".logs" / "local" / "dev-terraform.log").write_text("the user's own log\n")
    return checkout


def contents(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def benchmark(checkout: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        name: value for name, value in os.environ.items() if name != model.EMULATOR_PORT_VARIABLE
    }
    return subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-m", "benchmarks.run"],
        cwd=checkout,
        env={**environment, "ROUNDS": "1", **variables},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_benchmark_measures_in_a_place_of_its_own(emulator, tmp_path):
    checkout = users_checkout(tmp_path / "checkout")
    before = contents(checkout / "cdktf.out"), contents(checkout / ".logs")

    # An emulator already runs at LOCAL_AWS_PORT: one sentence, before anything is measured.
    busy = benchmark(
        checkout,
        BENCHMARK_PARTS="synth,reset",
        **{model.EMULATOR_PORT_VARIABLE: str(emulator.emulator.port)},
    )
    assert busy.returncode == 1
    assert busy.stderr.startswith(f"error: {model.EMULATOR_PORT_VARIABLE}={emulator.emulator.port}")
    assert len(busy.stderr.strip().splitlines()) == 1 and "Traceback" not in busy.stderr
    assert "make local-down" in busy.stderr and not (checkout / ".benchmark").exists()

    measured = benchmark(checkout, BENCHMARK_PARTS="synth")
    assert measured.returncode == 0, measured.stdout + measured.stderr
    assert (contents(checkout / "cdktf.out"), contents(checkout / ".logs")) == before
    assert "measured / target" in measured.stdout and "cold synth (s)" in measured.stdout
    assert "Synthesized" not in measured.stdout, "the details belong in the log"
    [log] = (checkout / ".benchmark").glob("benchmark-*.log")
    assert "Synthesized 'local' into cdktf.out" in log.read_text()
    assert "cached synth, inputs unchanged (s)" in log.read_text()
