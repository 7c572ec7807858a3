"""Prints what synthesis costs: a cold synth (new process, as `make synth`), a cached one (inputs
unchanged), and a second synth inside one warm process (as the test session does).

    .venv/bin/python -m benchmarks.synth [ENV]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from foundation import config as config_module
from scripts.runner.synth import synth


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def cold_and_cached(config) -> tuple[float, float]:
    """Seconds of a synth in a new process into an empty directory, then of one with unchanged
    inputs."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cdktf.out"
        return timed(lambda: synth(config, out)), timed(lambda: synth(config, out))


def main(env: str) -> None:
    config = config_module.load(env)
    with tempfile.TemporaryDirectory() as scratch:
        cold, cached = cold_and_cached(config)
        children_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        began = time.perf_counter()
        from main import (
            build_app,  # the in-process path: jsii's Node runtime starts once
        )

        load = time.perf_counter() - began
        first = timed(lambda: build_app(config, Path(scratch) / "warm-1").synth())
        second = timed(lambda: build_app(config, Path(scratch) / "warm-2").synth())
        own_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nsynth benchmark, environment '{env}'")
    print(
        f"  cold synth (new process)        {cold:6.1f} s   peak RSS of the largest descendant "
        f"{children_peak_mib:5.0f} MiB"
    )
    print(f"  cached synth (inputs unchanged) {cached:6.2f} s")
    print(f"  loading cdktf and the AWS bindings {load:4.1f} s")
    print(f"  in-process synth, first         {first:6.1f} s")
    print(
        f"  in-process synth, second        {second:6.1f} s   peak RSS of this process  "
        f"{own_peak_mib:6.0f} MiB"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "example")
