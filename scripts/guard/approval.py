"""Who approves a change: the approval rule for every change terraform or a helper makes."""

from __future__ import annotations

import os

from foundation.contract import (
    MANAGEMENT_STACK,
)

AUTO_APPROVE_VARIABLE = "AUTO_APPROVE"


def approved_without_asking(stack: str, *, yes: bool,
                            environ: dict[str, str] | None = None) -> bool:
    """Whether a change to `stack` goes ahead without asking the person at the terminal.

    `yes` is an explicit `--yes` on this command line. AUTO_APPROVE=1 in the environment counts
    for member accounts only: exported once for the dev loop, it must never change the
    organization without a prompt."""
    if yes:
        return True
    if stack == MANAGEMENT_STACK:
        return False
    return (os.environ if environ is None else environ).get(AUTO_APPROVE_VARIABLE) == "1"
