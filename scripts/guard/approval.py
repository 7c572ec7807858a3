"""Who approves a change: the approval rule for every change terraform or a helper makes."""

from __future__ import annotations

import os
import sys

from foundation.contract import (
    MANAGEMENT_STACK,
)
from scripts.console import UserError, say

AUTO_APPROVE_VARIABLE = "AUTO_APPROVE"


def approved_without_asking(
    stack: str, *, yes: bool, environ: dict[str, str] | None = None
) -> bool:
    """Whether a change to `stack` goes ahead without asking the person at the terminal.

    `yes` is an explicit `--yes` on this command line. AUTO_APPROVE=1 in the environment counts
    for member accounts only: exported once for the dev loop, it must never change the
    organization without a prompt."""
    if yes:
        return True
    if stack == MANAGEMENT_STACK:
        return False
    return (os.environ if environ is None else environ).get(AUTO_APPROVE_VARIABLE) == "1"


def can_ask_at_the_terminal(stack: str) -> None:
    """Terraform asks the person for "yes"; without a terminal nobody can answer, so refuse."""
    if not sys.stdin.isatty():
        raise UserError(
            f"The {stack} stack needs a confirmation and there is no terminal to "
            f"ask; nothing was changed. Run it from a terminal, or pass --yes "
            f"explicitly: python -m scripts.cli apply --env <env> --stack {stack} "
            "--yes"
        )
    if os.environ.get(AUTO_APPROVE_VARIABLE) == "1":
        say(
            f"{AUTO_APPROVE_VARIABLE}=1 does not approve the {stack} stack: terraform "
            "asks below (or pass --yes on the command line)."
        )
