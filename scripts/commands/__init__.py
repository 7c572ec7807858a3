"""The commands of `python -m scripts.cli`, one module each: a module declares its commands in
`COMMANDS`, each beside its flags (the flags several commands take are declared here once), and
the command line (scripts/cli.py) only collects, parses and dispatches them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from foundation.contract import DEV_ACCOUNT
from foundation.model import Config
from scripts.guard.approval import AUTO_APPROVE_VARIABLE


@dataclass(frozen=True)
class Flag:
    """One command-line flag: argparse's `add_argument(*flags, **options)`."""

    flags: tuple[str, ...]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A command: `run(config, args)` with the environment file loaded (`needs_environment`) and
    the parsed flags."""

    name: str
    help: str
    run: Callable[[Config | None, argparse.Namespace], None]
    flags: tuple[Flag, ...] = ()
    needs_environment: bool = True


YES = Flag(
    ("--yes",),
    dict(
        action="store_true",
        help="do not ask for confirmation; for a member account "
        f"{AUTO_APPROVE_VARIABLE}=1 does the same, for the "
        "management stack only this flag does",
    ),
)
ACCOUNT = Flag(
    ("--account",),
    dict(default=DEV_ACCOUNT, help=f"member account (default: {DEV_ACCOUNT}; never management)"),
)
