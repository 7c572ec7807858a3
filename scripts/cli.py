"""Command line for every helper: `.venv/bin/python -m scripts.cli <command> --env <name>`.

It only parses and dispatches: each module of scripts/commands/ declares its commands and their
flags (`COMMANDS`). The Makefile is the usual front; known failures become plain messages here,
never tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from foundation import config as config_module
from foundation.config import ConfigError
from scripts import aws, commands
from scripts.commands import Command
from scripts.console import CLI, UserError
from scripts.runner.processes import TerraformInterrupted


def all_commands() -> dict[str, Command]:
    """Every command of every module in scripts/commands/, by name."""
    found: dict[str, Command] = {}
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        for command in getattr(
            importlib.import_module(f"{commands.__name__}.{module.name}"), "COMMANDS", ()
        ):
            found[command.name] = command
    return found


def parser(declared: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog=CLI, description=__doc__)
    subcommands = root.add_subparsers(dest="command", required=True)
    for name, command in (declared or all_commands()).items():
        sub = subcommands.add_parser(name, help=command.help, description=command.help)
        if command.needs_environment:
            sub.add_argument(
                "--env",
                default="local",
                help="environment name under environments/ (default: local)",
            )
        for flag in command.flags:
            sub.add_argument(*flag.flags, **flag.options)
    return root


def main(argv: list[str] | None = None) -> int:
    declared = all_commands()
    args = parser(declared).parse_args(argv)
    command = declared[args.command]
    config = None
    try:
        config = config_module.load(args.env) if command.needs_environment else None
        command.run(config, args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except aws.ERRORS as error:
        hint = aws.next_step(config, error) if config else ""
        print(f"error: an AWS call failed: {aws.explain(error)}. {hint}".rstrip(), file=sys.stderr)
        return 1
    except TerraformInterrupted:
        print(
            "\ninterrupted: terraform stopped after writing its state and releasing the "
            "lock; run the same command again to finish",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print(
            "\ninterrupted: what had finished stays done, nothing more was started; run the "
            "same command again to finish",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
