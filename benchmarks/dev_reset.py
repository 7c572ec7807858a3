"""What `make dev-reset` costs on a fresh emulator, a part of `make benchmark` (benchmarks/run.py
runs it in a place of its own): a full reset (click-ops seeded as in `make demo`: preview + nuke
+ rebuild + proof) and a reset with nothing to delete, phase by phase. Targets: 90 s and 45 s.
The emulator takes the next port of the benchmark's (LOCAL_AWS_PORT's, else a free one)."""

from __future__ import annotations

import os

from benchmarks.figures import emulator_port, progress, report
from foundation import config as config_module
from foundation import model
from foundation.contract import DEV_ACCOUNT
from scripts.commands import bootstrap, dev_reset
from scripts.commands.demo import seed_click_ops
from scripts.emulator import server
from scripts.runner.synth import stacks_dir, synth
from scripts.runner.terraform import Terraform

TARGETS = {"full reset": 90.0, "nothing to delete": 45.0}


def figures(env: str = "local") -> None:
    os.environ[model.EMULATOR_PORT_VARIABLE] = str(emulator_port())
    config = config_module.load(env)
    progress(f"dev reset on a fresh emulator ({config.emulator.endpoint_url})")
    server.start(config)
    try:
        bootstrap.bootstrap(config)
        synth(config)
        for stack in config.stack_names:
            Terraform(config, stack).apply(auto_approve=True)
        seed_click_ops(config)
        results = {
            name: dev_reset.reset(config, DEV_ACCOUNT, stacks_dir(), auto_approve=True)
            for name in TARGETS
        }
    finally:
        server.stop(config)
    for name, result in results.items():
        total = sum(seconds for _, seconds in result.timings)
        report(
            f"dev reset, {name} (s)",
            f"{total:.1f} ({result.deleted} deleted)",
            f"<= {TARGETS[name]:.0f}",
            total <= TARGETS[name],
        )
        for title, seconds in result.timings:
            progress(f"      {seconds:6.1f}s  {title}")
