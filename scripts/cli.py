"""Command line for every helper: `python -m scripts.cli <command> --env <name>`.

The Makefile is the usual front; this module turns known failures into plain messages.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from scripts import bootstrap, demo, dev_workspace, local_aws, profiles, root_steps
from scripts import config as config_module
from scripts.config import MANAGEMENT_STACK, Config, ConfigError
from scripts.console import UserError, say
from scripts.synth import synth
from scripts.terraform import Terraform
from scripts.workspaces import member_account

ALL_STACKS = "all"


def selected_stacks(config: Config, stack: str) -> tuple[str, ...]:
    if stack == ALL_STACKS:
        return config.stack_names
    if stack not in config.stack_names:
        raise UserError(f"Unknown stack '{stack}' for environment '{config.env_name}': "
                        f"choose one of {', '.join(config.stack_names)} or {ALL_STACKS}.")
    return (stack,)


def require_management_first(config: Config, stack: str) -> None:
    if stack != MANAGEMENT_STACK:
        member_account(config, stack)


def command_synth(config: Config, args) -> None:
    synth(config, force=args.force)


def command_plan(config: Config, args) -> None:
    synth(config)
    for stack in selected_stacks(config, args.stack):
        say(f"== terraform plan: {stack} ({config.env_name})")
        require_management_first(config, stack)
        Terraform(config, stack).plan()


def command_apply(config: Config, args) -> None:
    synth(config)
    for stack in selected_stacks(config, args.stack):
        say(f"== terraform apply: {stack} ({config.env_name})")
        require_management_first(config, stack)
        Terraform(config, stack).apply(auto_approve=args.yes)


def command_validate(config: Config, args) -> None:
    synth(config)
    for stack in selected_stacks(config, args.stack):
        Terraform(config, stack).validate()
        say(f"{stack}: configuration is valid")


def command_bootstrap(config: Config, args) -> None:
    bootstrap.bootstrap(config)


def command_local_up(config: Config, args) -> None:
    local_aws.start(config)


def command_local_down(config: Config, args) -> None:
    local_aws.stop(config)


def command_demo(config: Config, args) -> None:
    demo.run(config)


COMMANDS = {
    "synth": (command_synth, "synthesize the stacks (skipped when no input changed)"),
    "plan": (command_plan, "terraform plan the stacks, management first"),
    "apply": (command_apply, "terraform apply the stacks, management first"),
    "validate": (command_validate, "terraform validate the stacks with the real provider"),
    "bootstrap": (command_bootstrap, "create or complete the hardened Terraform state bucket"),
    "local-up": (command_local_up, "start the local AWS emulator in the background"),
    "local-down": (command_local_down, "stop the local AWS emulator"),
    "demo": (command_demo, "the whole foundation on the local emulator, end to end"),
    "root-steps": (root_steps.command, "the manual root-user steps, one at a time (or --print)"),
    "root-verify": (root_steps.command_verify, "check what the API can see of the root-user steps"),
    "profiles": (profiles.command, "print AWS CLI profiles for every account (--write installs)"),
    "dev-destroy": (dev_workspace.command_destroy,
                    "destroy a member account's workspace (--account, default dev), guarded"),
    "dev-recreate": (dev_workspace.command_recreate,
                     "destroy, apply and clean-plan a member account's workspace, timed"),
}

# Options only some commands take: {command: ((flags...), argparse keyword arguments)}.
# The member account the dev-workspace loop acts on (ACCOUNT=<name> in the environment too).
ACCOUNT_OPTION = (("--account",), dict(default=os.environ.get("ACCOUNT", "dev"),
                                        help="member account whose workspace to destroy "
                                             "(default: dev; never management)"))
COMMAND_OPTIONS = {
    "dev-destroy": (ACCOUNT_OPTION,),
    "dev-recreate": (ACCOUNT_OPTION,),
    "root-steps": (
        (("--print",), dict(action="store_true", dest="print_checklist",
                            default=os.environ.get("PRINT") == "1",
                            help="write the checklist as Markdown and HTML files (also PRINT=1)")),
        (("--verify",), dict(action="store_true", help="check the steps through the API")),
    ),
    "profiles": (
        (("--write",), dict(action="store_true", default=os.environ.get("WRITE") == "1",
                            help="install into the AWS CLI config file, after a backup "
                                 "(also WRITE=1)")),
        (("--config-file",), dict(type=Path, default=None,
                                  help="AWS CLI config file (default: $AWS_CONFIG_FILE or "
                                       "~/.aws/config)")),
        (("--admin",), dict(default=None, help="admin user whose MFA device the profiles use "
                                               "(default: the first admin)")),
    ),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m scripts.cli", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--env", default=os.environ.get("ENV", "local"),
                             help="environment name under environments/ (default: local)")
        command.add_argument("--stack", default=ALL_STACKS,
                             help="management, a member account name, or all (default)")
        command.add_argument("--yes", action="store_true",
                             default=os.environ.get("AUTO_APPROVE") == "1",
                             help="do not ask for confirmation (also AUTO_APPROVE=1)")
        command.add_argument("--force", action="store_true", help="synthesize even if up to date")
        for flags, options in COMMAND_OPTIONS.get(name, ()):
            command.add_argument(*flags, **options)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler, _ = COMMANDS[args.command]
    try:
        handler(config_module.load(args.env), args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except NoCredentialsError:
        print("error: no AWS credentials found. Configure a profile for the management account "
              "(see `make profiles`) or use ENV=local for the emulator.", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: AWS refused the request: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
