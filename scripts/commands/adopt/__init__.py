"""`make adopt`: what the first apply of the management workspace imports instead of creating.

A user often arrives with an account that has history: an organization made in the console, the
dev account, an admin user in an Administrators group, a trail. Creating those again fails
(AlreadyInOrganizationException, EntityAlreadyExists) or duplicates them. `discover` looks, with
the management credentials and read-only calls only (Describe/Get/List), for every resource of
the synthesized management stack and decides, per resource:

- import: it exists and is ours to manage; the Terraform import ID is known;
- create: it does not exist (or depends on something that will be created);
- conflict: it exists in a way the first apply cannot take over without replacing or losing
  something; adopt refuses and says why and what to do;
- managed: the management state already holds it (nothing to decide).

Account-level trails are reported with what they cost and the command that removes them once
the organization trail is logging; nothing is ever deleted here.

What read-only discovery cannot know: whether an e-mail belongs to an AWS account outside this
organization. No API answers that; only CreateAccount fails (EMAIL_ALREADY_EXISTS), and only
asynchronously. adopt reports an earlier failed creation it can see, and says so otherwise.

How the imports reach Terraform: scripts/runner/imports.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config
from scripts.commands import Command
from scripts.commands.account_plan import plan_notice
from scripts.commands.adopt.discovery import discover
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, MANAGED, Adoption
from scripts.commands.adopt.report import report
from scripts.console import UserError, say
from scripts.runner.imports import IMPORTS_FILE, record, record_path
from scripts.runner.synth import stacks_dir, synth


def adopt(config: Config, stacks: Path) -> Adoption:
    """Discover, print the table, and record the imports of the management stack; refuse (and
    record nothing) when a conflict cannot be resolved here."""
    stack_dir = stacks / MANAGEMENT_STACK
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    say(
        f"Looking for what already exists in the management account (read-only) for "
        f"'{config.env_name}'…"
    )
    adoption = discover(config, stack)
    report(adoption)
    say(f"\nNOTE: {plan_notice(config)}")
    conflicts = adoption.with_action(CONFLICT)
    if conflicts:
        record(config, stack_dir, [])
        listed = "\n".join(f"  - {f.what}: {f.why}" for f in conflicts)
        raise UserError(
            f"Refusing to plan imports: {len(conflicts)} conflict(s) the first apply "
            f"cannot resolve; nothing was recorded.\n{listed}"
        )
    count = record(
        config,
        stack_dir,
        [{"to": f.address, "id": f.import_id} for f in adoption.with_action(IMPORT)],
    )
    if count:
        say(
            f"\nRecorded {count} import(s) in {record_path(config)}; they are written to "
            f"{stack_dir / IMPORTS_FILE} before each plan and apply, until the first apply of "
            f"'{MANAGEMENT_STACK}' succeeds. Next: make plan ENV={config.env_name} "
            f"STACK={MANAGEMENT_STACK}"
        )
    else:
        say(
            f"\nNothing to import: {_without_imports(adoption)} Next: make plan "
            f"ENV={config.env_name} STACK={MANAGEMENT_STACK}"
        )
    return adoption


def _without_imports(adoption: Adoption) -> str:
    """What the next apply does when nothing is to be imported."""
    managed, created = len(adoption.with_action(MANAGED)), len(adoption.with_action(CREATE))
    if not created:
        return f"the management state holds all {managed} resources already."
    if managed:
        return (
            f"the management state holds {managed} resources; the next apply creates the "
            f"{created} it lacks."
        )
    return "the first apply creates everything it manages."


def adopt_existing(config: Config) -> None:
    synth(config)
    adopt(config, stacks_dir())


COMMANDS = (
    Command(
        "adopt",
        "find what already exists (read-only) and plan importing it on the first apply",
        lambda config, args: adopt_existing(config),
    ),
)
