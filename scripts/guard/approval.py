"""Who approves a change: the approval rule for every change terraform or a helper makes, and the
refusal of a question nobody is there to answer."""

from __future__ import annotations

import os
import sys

from foundation.contract import MANAGEMENT_STACK
from scripts.console import CLI, UserError, confirm, say

AUTO_APPROVE_VARIABLE = "AUTO_APPROVE"
APPROVE_ON_THE_COMMAND_LINE = (
    f"Run it from a terminal, or approve it on the command line: {AUTO_APPROVE_VARIABLE}=1 "
    "(make) or --yes."
)


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


def at_a_terminal() -> bool:
    """Whether someone can type an answer."""
    return sys.stdin.isatty()


def refuse_without_a_terminal(needed: str, unchanged: str, instead: str) -> None:
    """Refuse what needs `needed` typed when no terminal can type it: `unchanged` says what was
    left as it was, `instead` how to approve it without one."""
    if not at_a_terminal():
        raise UserError(f"{needed} and there is no terminal to ask; {unchanged}. {instead}")


def can_ask_at_the_terminal(stack: str) -> None:
    """Terraform asks the person for "yes"; without a terminal nobody can answer, so refuse."""
    refuse_without_a_terminal(
        f"The {stack} stack needs a confirmation",
        "nothing was changed",
        f"Run it from a terminal, or pass --yes explicitly: {CLI} apply --env <env> "
        f"--stack {stack} --yes",
    )
    if os.environ.get(AUTO_APPROVE_VARIABLE) == "1":
        say(
            f"{AUTO_APPROVE_VARIABLE}=1 does not approve the {stack} stack: terraform "
            "asks below (or pass --yes on the command line)."
        )


def confirmed(
    question: str,
    expected: str,
    *,
    auto_approve: bool,
    skipped: str,
    asked: str = "the account id",
    also: str | None = None,
    unchanged: str = "nothing was changed",
) -> None:
    """The one confirmation prompt (`console.confirm`) for a change to a member account; refused
    without a terminal: nobody could type the answer, and "did not match" would blame the
    person for something never typed."""
    if not auto_approve:
        refuse_without_a_terminal(
            f"{skipped[0].upper()}{skipped[1:]} needs {asked} typed to confirm",
            unchanged,
            APPROVE_ON_THE_COMMAND_LINE,
        )
    confirm(
        question,
        expected,
        auto_approve=auto_approve,
        skipped=skipped,
        asked=asked,
        also=also,
        unchanged=unchanged,
    )
