"""How `pytest -n N --dist loadfile` hands the suite to its workers (conftest.py installs it):
by module, as loadfile does, so that a module's fixtures (an emulator of its own, a synth) are
set up once; but the costliest module first, so that no worker starts a five-minute module when
the others are nearly done. The cost of a module is what its tests took in the last run that
recorded them (.pytest_cache), else what tests/durations.json recorded of a whole run.

Every worker is a process of its own with its own session fixtures: one emulator and one applied
foundation per worker that runs a test needing them. An applied foundation costs two applies
(about 100 s, 55 of them the log bucket's lifecycle waiter), so the modules that use it go to
workers as two units, not one each: the three destroy/recreate cycles alone (a long chain of their
own, named by the module), every other module that asks for the foundation together.

Synths are shared by the workers (conftest.py `synthesize`), but a worker that runs one loads the
AWS bindings (~13 s of CPU). Without the emulator (make test-fast), the modules that synthesize
in their own process (they import the constructs or cdktf) are one unit: that worker alone loads
the bindings. With the emulator every worker synthesizes its own emulator's config anyway, and
that unit would lengthen the longest.

What a module is, is read from its source: nothing here names a test module.
"""

from __future__ import annotations

import ast
import json
import sys
from functools import cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

from foundation.paths import REPO_ROOT

# What each module took in a whole `make test` (its tests' seconds summed), for a run with nothing
# recorded in .pytest_cache (a fresh clone, CI): written by `make test-durations` after a run,
# never by hand. A module missing there counts one second a test.
RECORDED = Path(__file__).parent / "durations.json"
SECONDS_PER_UNKNOWN_TEST = 1.0
# A worker with more than this still to run counts as busy (see _assign_work_unit).
BUSY_SECONDS = 30.0
# The fixtures that give a test the session's applied foundation: the modules that ask for them
# go to one worker together, unless a module names a unit of its own (SCHEDULING_UNIT = "...",
# for a long chain such as the destroy/recreate cycles).
FOUNDATION_FIXTURES = {"foundation", "with_management_outputs"}
FOUNDATION_UNIT = "foundation: the modules that share the applied foundation"
# What loads the AWS bindings in a worker's own process: without the emulator (make test-fast)
# the modules that import it are one unit, so one worker loads them.
BINDINGS = {"cdktf", "jsii", "modules"}
SYNTH_UNIT = "synths in the worker's own process"


@cache
def _module_facts(module: str) -> tuple[bool, bool, str | None]:
    """(asks for the applied foundation, loads the AWS bindings, its SCHEDULING_UNIT), read from
    the module's source."""
    tree = ast.parse((REPO_ROOT / module).read_text())
    parameters, imported, unit = set(), set(), None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            parameters |= {argument.arg for argument in node.args.args}
        elif isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
            if node.module == "main" and any(a.name == "build_app" for a in node.names):
                imported.add("modules")  # main.build_app imports the constructs
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            "SCHEDULING_UNIT"
        ]:
            unit = ast.literal_eval(node.value)
    return bool(parameters & FOUNDATION_FIXTURES), bool(imported & BINDINGS), unit


@cache
def recorded_modules() -> dict[str, float]:
    return json.loads(RECORDED.read_text()) if RECORDED.is_file() else {}


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
        foundation, bindings, unit = _module_facts(module)
        if self.without_emulator and bindings:
            return SYNTH_UNIT
        if foundation:
            return unit or FOUNDATION_UNIT
        return module

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
                else recorded_modules().get(module, SECONDS_PER_UNKNOWN_TEST * len(ids)) / len(ids)
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


def record(cache_file: Path) -> None:
    """tests/durations.json from what the last run recorded in .pytest_cache, by module."""
    by_module: dict[str, float] = {}
    for nodeid, seconds in json.loads(cache_file.read_text()).items():
        if (REPO_ROOT / module_of(nodeid)).is_file():
            by_module[module_of(nodeid)] = by_module.get(module_of(nodeid), 0.0) + seconds
    RECORDED.write_text(
        json.dumps({m: round(s) for m, s in sorted(by_module.items())}, indent=1) + "\n"
    )


if __name__ == "__main__":
    record(Path(sys.argv[1]))
