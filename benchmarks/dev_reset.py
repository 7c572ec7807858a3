"""Prints what `make dev-reset` costs on a fresh emulator, every region enabled in the account
covered: a full reset (what `make demo` makes in dev: click-ops in and outside the allowed
regions, a learner-tagged instance with its volume and interface; preview + nuke + rebuild +
proof) and a reset with nothing to delete, phase by phase. Targets: 60 s and 30 s.

    .venv/bin/python -m benchmarks.dev_reset [ENV]   (an emulator environment, default local)
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from foundation import config as config_module
from foundation import model
from foundation.contract import DEV_ACCOUNT
from scripts.commands import bootstrap, dev_reset
from scripts.commands.demo import seed_click_ops
from scripts.emulator import server
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import Terraform

TARGETS = {"full reset": 60.0, "nothing to delete": 30.0}
# A port of its own, so a running `make local-up` emulator is left alone.
PORT = os.environ.get("BENCHMARK_LOCAL_AWS_PORT", "4705")


def main(env: str) -> None:
    os.environ[model.EMULATOR_PORT_VARIABLE] = PORT
    config = config_module.load(env)
    quiet = io.StringIO()
    server.start(config)
    try:
        with contextlib.redirect_stdout(quiet):
            bootstrap.bootstrap(config)
            synth(config)
            for stack in config.stack_names:
                Terraform(config, stack).apply(auto_approve=True)
            seed_click_ops(config)
        results = {}
        for name in TARGETS:
            with contextlib.redirect_stdout(quiet):
                results[name] = dev_reset.reset(
                    config, DEV_ACCOUNT, stacks_dir(), auto_approve=True
                )
    finally:
        server.stop(config)
    print(f"\ndev-reset benchmark, environment '{env}' (emulator)")
    for name, result in results.items():
        total = sum(seconds for _, seconds in result.timings)
        print(
            f"  {name:<18} {total:6.1f} s  (target {TARGETS[name]:.0f} s; {result.deleted} "
            f"deleted; {len(result.regions)} regions and the global services)"
        )
        for title, seconds in result.timings:
            print(f"    {seconds:6.1f} s  {title}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "local")
