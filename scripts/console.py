"""What a person reads: numbered steps with elapsed times, and errors that say what to do next."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

# The command line as a person types it: the helpers' hints name it (the Makefile's targets are
# the usual front; the virtualenv's Python is the one that has the dependencies).
CLI = ".venv/bin/python -m scripts.cli"


class UserError(Exception):
    """A failure explained in plain words; the CLI prints it without a traceback."""


class Steps:
    """Prints `[2/5] applying management…` and how long each step took."""

    def __init__(self, total: int, out=sys.stdout):
        self.total = total
        self.number = 0
        self.started = time.monotonic()
        self.out = out
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def step(self, title: str):
        self.number += 1
        print(f"[{self.number}/{self.total}] {title}…", file=self.out, flush=True)
        began = time.monotonic()
        yield
        elapsed = time.monotonic() - began
        self.timings.append((title, elapsed))
        print(f"      done in {elapsed:.1f}s", file=self.out, flush=True)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def say(message: str = "") -> None:
    print(message, flush=True)


def say_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Left-aligned columns, as wide as their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in (headers, *rows):
        say(
            "  "
            + "  ".join(
                f"{cell!s:<{width}}" for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


class Aborted(UserError):
    """The person did not confirm; nothing was changed."""


def confirm(
    question: str,
    expected: str,
    *,
    auto_approve: bool,
    skipped: str,
    asked: str = "the account id",
    also: str | None = None,
    unchanged: str = "nothing was changed",
) -> None:
    """The one confirmation prompt: the person types `expected` (or `also`), which the prompt
    calls `asked`, after `question`; anything else aborts saying `unchanged`. With
    `auto_approve` (--yes / AUTO_APPROVE=1) `skipped` is said instead of asking."""
    if auto_approve:
        say(f"      Confirmation skipped (--yes / AUTO_APPROVE=1): {skipped}.")
        return
    try:
        answer = input(f"{question} Type {asked} to confirm: ").strip()
    except EOFError:
        raise Aborted(f"Nothing was typed (the input ended); {unchanged}.") from None
    if answer not in (expected, also):
        alternative = f" (or {also})" if also else ""
        raise Aborted(
            f"Confirmation did not match {expected}{alternative}; {unchanged}. Type "
            f"{asked} exactly, or pass --yes (AUTO_APPROVE=1) in CI."
        )
