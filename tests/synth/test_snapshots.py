"""Whole-stack snapshots of environments/example.toml: any change to the synthesized Terraform
is seen, and reviewed, as a diff of tests/snapshots/<stack>.json.

`make snapshot-update` (pytest --snapshot-update) rewrites the files instead of comparing.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from pathlib import Path

import pytest

from foundation.config import load
from foundation.paths import REPO_ROOT

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"
STACKS = load("example").stack_names
MAX_DIFF_LINES = 80
REVIEW = (
    "If the change is intended, run `make snapshot-update` and review the diff "
    "(`git diff tests/snapshots/`) before committing it."
)


def render(stack: dict) -> str:
    """The snapshot form: pretty JSON with sorted keys and a trailing newline."""
    return json.dumps(stack, indent=2, sort_keys=True) + "\n"


@pytest.fixture
def updating(request) -> bool:
    return request.config.getoption("--snapshot-update")


@pytest.mark.parametrize("stack", STACKS)
def test_stack_matches_its_snapshot(example_stacks, stack, updating):
    actual = render(example_stacks[stack])
    path = SNAPSHOTS / f"{stack}.json"
    shown = path.relative_to(REPO_ROOT)
    if updating:
        SNAPSHOTS.mkdir(exist_ok=True)
        if not path.is_file() or path.read_text() != actual:
            path.write_text(actual)
        return
    if not path.is_file():
        pytest.fail(f"No snapshot {shown} for stack '{stack}'. {REVIEW}", pytrace=False)
    expected = path.read_text()
    if actual != expected:
        diff = list(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"{shown} (committed)",
                f"{stack} (synthesized now)",
            )
        )
        if len(diff) > MAX_DIFF_LINES:
            diff = diff[:MAX_DIFF_LINES] + [f"... {len(diff) - MAX_DIFF_LINES} more lines\n"]
        pytest.fail(
            f"Stack '{stack}' differs from its snapshot {shown}. {REVIEW}\n\n" + "".join(diff),
            pytrace=False,
        )


def test_no_snapshot_without_a_stack(example_stacks, updating):
    stale = sorted(p for p in SNAPSHOTS.glob("*.json") if p.stem not in example_stacks)
    if updating:
        for path in stale:
            path.unlink()
        return
    assert not stale, (
        f"Snapshots of stacks that no longer exist: "
        f"{', '.join(str(p.relative_to(REPO_ROOT)) for p in stale)}. {REVIEW}"
    )


def test_synthesized_json_holds_nothing_machine_or_time_specific(
    example_stacks, synthesize, example_config
):
    """The snapshots must not change with the checkout path, the user or the time of synth."""
    text = "".join(render(stack) for stack in example_stacks.values())
    for directory in {
        REPO_ROOT,
        Path.home(),
        Path(tempfile.gettempdir()),
        synthesize(example_config),
    }:
        needle = f"{directory}/"
        assert needle not in text, f"synthesized JSON contains the local path {needle!r}"
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), "a timestamp in the JSON"
