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
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# Seconds on 2 cores, for a run with nothing recorded (a fresh clone, CI): the modules that
# apply stacks or start a fresh jsii or terraform; any other module counts one second a test.
ESTIMATES = {
    "tests/test_dev_workspace.py": 500,
    "tests/test_adopt.py": 250,
    "tests/test_dev_reset.py": 200,
    "tests/test_emulator_lifecycle.py": 200,
    "tests/test_emulator_budget_actions.py": 150,
    "tests/test_emulator_kill_switch.py": 150,
    "tests/test_root_verify.py": 60,
    "tests/test_aws_nuke.py": 40,
    "tests/test_layout.py": 30,
    "tests/test_synth_cache.py": 30,
    "tests/test_terraform_validate.py": 30,
    "tests/test_security_scan.py": 20,
}
SECONDS_PER_UNKNOWN_TEST = 1.0
# The modules that share the session's applied foundation, as the units one worker runs.
FOUNDATION_UNITS = {
    "tests/test_emulator_lifecycle.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_dev_reset.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_emulator_kill_switch.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_terraform_runner.py": "foundation: readers, reset, kill switch, runner",
    "tests/test_dev_workspace.py": "foundation: destroy/recreate cycles",
}


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    """What one worker runs whole: a module, or the modules sharing a foundation."""
    return FOUNDATION_UNITS.get(module_of(nodeid), module_of(nodeid))


class CostliestModuleFirst(LoadScopeScheduling):
    """loadfile's scheduling with its queue of modules ordered by cost, highest first."""

    def __init__(self, config, log=None, durations: dict[str, float] | None = None):
        super().__init__(config, log)
        self.durations = durations or {}
        self._ordered = False

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def cost(self, unit: str, nodeids) -> float:
        by_module: dict[str, list[str]] = {}
        for nodeid in nodeids:
            by_module.setdefault(module_of(nodeid), []).append(nodeid)
        return sum(self._module_cost(module, ids) for module, ids in by_module.items())

    def _module_cost(self, module: str, nodeids: list[str]) -> float:
        known = [self.durations[nodeid] for nodeid in nodeids if nodeid in self.durations]
        if not known:
            return ESTIMATES.get(module, SECONDS_PER_UNKNOWN_TEST * len(nodeids))
        return sum(known) * len(nodeids) / len(known)

    def _assign_work_unit(self, node) -> None:
        # The queue is complete before the first unit is handed out.
        if not self._ordered:
            ranked = sorted(self.workqueue.items(), key=lambda unit: -self.cost(*unit))
            self.workqueue.clear()
            self.workqueue.update(ranked)
            self._ordered = True
        super()._assign_work_unit(node)
