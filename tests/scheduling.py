"""How `pytest -n N --dist loadfile` hands the suite to its workers (conftest.py installs it):
by module, as loadfile does, so that a module's fixtures (an emulator of its own, a synth) are
set up once; but the costliest module first, so that no worker starts a five-minute module when
the others are nearly done. The cost of a module is what its tests took in the last run that
recorded them (.pytest_cache), else the estimate below.

Every worker is a process of its own with its own session fixtures: one emulator and one applied
foundation per worker that runs a test needing them. An applied foundation costs two applies
(about 100 s, 55 of them the log bucket's lifecycle waiter), so the modules that use it go to
workers as two units, not one each: the three destroy/recreate cycles alone (a long chain of their
own), every other module of the foundation together.

Synths are shared by the workers (conftest.py `synthesize`), but a worker that runs one loads the
AWS bindings (~13 s of CPU). Without the emulator (make test-fast), the modules that synthesize
configs of their own and the runner's, whose first test needs the example, are one unit: that
worker alone loads the bindings, the others read the example it wrote. With the emulator every
worker synthesizes its own emulator's config anyway, and that unit would lengthen the longest.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# Seconds with four workers on 2 cores (what make benchmark's make test recorded, 2026-12-03),
# for a run with nothing recorded (a fresh clone, CI): the modules that apply stacks or start jsii
# or terraform; any other module counts one second a test. A module's first user of the
# foundation pays for it (about 100 s here).
ESTIMATES = {
    "tests/test_dev_workspace.py": 185,
    "tests/test_emulator_budget_actions.py": 175,
    "tests/test_dev_reset.py": 130,
    "tests/test_adopt.py": 125,
    "tests/test_interrupt.py": 125,
    "tests/test_account_removal.py": 110,
    "tests/test_terraform_runner.py": 40,
    "tests/test_emulator_lifecycle.py": 35,
    "tests/test_synth_cache.py": 15,
    "tests/test_aws_nuke.py": 10,
    "tests/test_terraform_validate.py": 10,
    "tests/test_emulator_kill_switch.py": 5,
    "tests/test_root_verify.py": 5,
}
SECONDS_PER_UNKNOWN_TEST = 1.0
# A worker with more than this still to run counts as busy (see _assign_work_unit).
BUSY_SECONDS = 30.0
# The modules that share the session's applied foundation, as the units one worker runs.
FOUNDATION_UNITS = {
    "tests/test_emulator_lifecycle.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_dev_reset.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_emulator_kill_switch.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_terraform_runner.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_dev_workspace.py": "foundation: destroy/recreate cycles",
}
# Without the emulator: the modules that synthesize in their worker's process (see above).
SYNTH_UNIT = "synths of their own; the runner's of the example"
SYNTH_UNIT_MODULES = {
    "tests/test_terraform_runner.py",
    "tests/test_guardrails.py",
    "tests/test_kill_switch.py",
    "tests/test_synth_properties.py",
}


def without_emulator(config) -> bool:
    """Whether the run leaves out the tests that need the emulator (make test-fast)."""
    return "not emulator" in (config.getoption("markexpr") or "")


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class CostliestModuleFirst(LoadScopeScheduling):
    """loadfile's scheduling with its queue of units ordered by cost, highest first."""

    def __init__(self, config, log=None, durations: dict[str, float] | None = None):
        super().__init__(config, log)
        self.durations = durations or {}
        self._seconds: dict[str, float] = {}
        self.without_emulator = without_emulator(config)

    def _split_scope(self, nodeid: str) -> str:
        """What one worker runs whole: a module, or the modules of a unit above."""
        module = module_of(nodeid)
        if self.without_emulator and module in SYNTH_UNIT_MODULES:
            return SYNTH_UNIT
        return FOUNDATION_UNITS.get(module, module)

    def _test_seconds(self, nodeids: list[str]) -> dict[str, float]:
        """What each test is expected to take: what it took last time; else the mean of what
        its module's other tests took; else its share of the module's estimate."""
        by_module: dict[str, list[str]] = {}
        for nodeid in nodeids:
            by_module.setdefault(module_of(nodeid), []).append(nodeid)
        seconds = {}
        for module, ids in by_module.items():
            known = [self.durations[nodeid] for nodeid in ids if nodeid in self.durations]
            guess = (
                sum(known) / len(known)
                if known
                else ESTIMATES.get(module, SECONDS_PER_UNKNOWN_TEST * len(ids)) / len(ids)
            )
            seconds.update({nodeid: self.durations.get(nodeid, guess) for nodeid in ids})
        return seconds

    def _still_to_run(self, node) -> float:
        """Seconds of the tests the node has been given and not finished."""
        return sum(
            self._seconds[nodeid]
            for unit in self.assigned_work.get(node, {}).values()
            for nodeid, completed in unit.items()
            if not completed
        )

    def _assign_work_unit(self, node) -> None:
        # The queue is complete before the first unit is handed out.
        if not self._seconds:
            self._seconds = self._test_seconds(
                [nodeid for unit in self.workqueue.values() for nodeid in unit]
            )
            ranked = sorted(
                self.workqueue.items(), key=lambda unit: -sum(self._seconds[n] for n in unit[1])
            )
            self.workqueue.clear()
            self.workqueue.update(ranked)
        # xdist hands a worker its next unit before its last test runs (a worker holds its last
        # test until it knows the next): behind a long test, the next unit waits as long, so a
        # worker still busy gets the cheapest unit and an idle one the costliest.
        if self._still_to_run(node) > BUSY_SECONDS and len(self.workqueue) > 1:
            cheapest = next(reversed(self.workqueue))
            self.workqueue.move_to_end(cheapest, last=False)
        super()._assign_work_unit(node)
