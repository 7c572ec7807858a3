"""The manual steps a new AWS payer account needs before (and beside) Terraform: `make root-steps`.

Two ways to use it:
- interactive (default): one step at a time, each confirmed by the user; progress is kept in
  `.root-steps/<env>.json` so an interrupted walk (Ctrl-C, end of input, `q`) resumes where it
  stopped;
- `--print` (`PRINT=1`): the whole checklist as Markdown and HTML files in `.root-steps/`.

`make root-verify` (scripts/commands/root_verify.py) checks what the API can see of them.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from foundation import policies
from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config
from foundation.paths import ROOT_STEPS_DIR
from scripts import aws, workspaces
from scripts.commands import Command, Flag, profiles
from scripts.console import UserError, say
from scripts.templates import ACCOUNT_ID_PLACEHOLDER, render

STATE_DIR = ROOT_STEPS_DIR
CONSOLE = "https://console.aws.amazon.com"
ROOT_TASK_POLICY = policies.ROOT_TASK_POLICY_PREFIX
AUDIT_ROOT_CREDENTIALS = ROOT_TASK_POLICY + "IAMAuditRootUserCredentials"


@dataclass(frozen=True)
class Step:
    key: str  # names the template and the entry in the progress file
    title: str


# AWS's recommended order for a new payer account: root secures the account, creates the first
# administrative user and stops; everything after runs as an admin with MFA. An account with an
# organization, accounts or an admin made by hand follows the same path (`make adopt`).
STEPS = (
    Step("root-email", "Use a group email address for the root user"),
    Step("root-password", "Give the root user a strong password"),
    Step("root-mfa", "Turn on MFA for the root user"),
    Step("root-access-keys", "Delete the root user's access keys"),
    Step("billing-access", "Let IAM users and roles see billing information"),
    Step("primary-contact", "Keep each account's primary contact current (CIS 2.1)"),
    Step("first-admin", "Create the first admin user by hand, with MFA"),
    Step("stop-using-root", "Store the root password safely and stop using root"),
    Step("first-apply", "As that admin, with MFA: bootstrap, adopt what exists, apply"),
    Step("admin-console", "Give each admin user a console password and MFA"),
    Step(
        "member-root-credentials",
        "Remove member accounts' root credentials (centralized root access)",
    ),
    Step("organization-trail", "Keep one organization trail, no account-level trails"),
)


# --- rendering -----------------------------------------------------------------------------


def signin_url(account_id: str) -> str:
    return f"https://{account_id}.signin.aws.amazon.com/console"


def console_pages(region: str) -> SimpleNamespace:
    # The signed-in user's own page: the root user's, or an IAM user's (the only IAM page the
    # force-MFA policy lets an admin without MFA open).
    security_credentials = f"{CONSOLE}/iam/home#/security_credentials"
    return SimpleNamespace(
        root_signin="https://signin.aws.amazon.com/console",
        root_security_credentials=security_credentials,
        own_security_credentials=security_credentials,
        iam_users=f"{CONSOLE}/iam/home#/users",
        iam_groups=f"{CONSOLE}/iam/home#/groups",
        account_settings=f"{CONSOLE}/billing/home#/account",
        password_policy=f"{CONSOLE}/iam/home#/account_settings",
        root_access_management=f"{CONSOLE}/iam/home#/root-access-management",
        iam_user=lambda name: f"{CONSOLE}/iam/home#/users/details/{name}"
        "?section=security_credentials",
        cloudtrail_trails=f"{CONSOLE}/cloudtrail/home?region={region}#/trails",
    )


def template_context(
    config: Config, account_id: str | None, known_member_ids: dict[str, str] | None = None
) -> dict:
    account_id = account_id or ACCOUNT_ID_PLACEHOLDER
    return dict(
        env=config.env_name,
        account_id=account_id,
        signin_url=signin_url(account_id),
        management_email=config.management_email,
        members=config.accounts,
        member_ids=known_member_ids or {},
        admins=config.admin_users,
        first_admin=config.admin_users[0],
        management_profile=profiles.profile_name(config, MANAGEMENT_STACK),
        root_sessions_profile=profiles.root_sessions_profile(config),
        trail=config.trail,
        region=config.region,
        guardrails=config.guardrails,
        audit_root_policy=AUDIT_ROOT_CREDENTIALS,
        root_task_policy=ROOT_TASK_POLICY,
        console=console_pages(config.region),
    )


def rendered_steps(context: dict) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            key=step.key,
            title=step.title,
            body=render(f"root_steps/{step.key}.md.j2", **context).strip(),
        )
        for step in STEPS
    ]


def write_checklist(
    config: Config,
    account_id: str | None,
    state_dir: Path,
    known_member_ids: dict[str, str] | None = None,
) -> list[Path]:
    """The whole checklist as `<env>.md` and `<env>.html` in `state_dir`; returns both paths."""
    context = template_context(config, account_id, known_member_ids)
    steps = rendered_steps(context)
    intro = render("root_steps/intro.md.j2", **context).strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in ("md", "html"):
        path = state_dir / f"{config.env_name}.{suffix}"
        path.write_text(render(f"root_steps.{suffix}.j2", steps=steps, intro=intro, **context))
        written.append(path)
    return written


# --- interactive walk ----------------------------------------------------------------------


def progress_path(config: Config, state_dir: Path) -> Path:
    return state_dir / f"{config.env_name}.json"


def load_progress(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text())["done"])
    except (ValueError, KeyError, TypeError):
        raise UserError(
            f"{path} is not a progress file this tool wrote; delete it to start "
            "the root-user steps over."
        ) from None


def save_progress(path: Path, done: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"done": done}, indent=2) + "\n")


def _for_terminal(markdown: str, width: int = 96) -> str:
    """Wrap each paragraph or bullet of a step, indented under its heading; the Markdown's
    **bold** as plain text (a terminal would show the asterisks)."""
    markdown = re.sub(r"\*\*([^*]+)\*\*", r"\1", markdown)
    return "\n".join(
        textwrap.fill(
            line,
            width,
            initial_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
            subsequent_indent="    " if line.startswith("- ") else "  ",
        )
        for line in markdown.splitlines()
    )


def _confirmed(number: int) -> bool:
    """Ask until the user says the step is done (True) or wants to stop (False)."""
    while True:
        answer = input(f"  Step {number} done? [Enter/y = done, q = stop for now] ").strip().lower()
        if answer in ("", "y", "yes", "done"):
            return True
        if answer in ("q", "quit"):
            return False
        say("  Please answer Enter or y when the step is done, or q to stop here.")


def walk(
    config: Config,
    account_id: str | None,
    state_dir: Path,
    known_member_ids: dict[str, str] | None = None,
) -> None:
    """Show each step not done yet, one at a time; remember each confirmation at once."""
    path = progress_path(config, state_dir)
    done = load_progress(path)
    context = template_context(config, account_id, known_member_ids)
    steps = rendered_steps(context)
    pending = [(number, step) for number, step in enumerate(steps, start=1) if step.key not in done]
    if not pending:
        say(
            f"All {len(steps)} root-user steps are marked done in {path} (delete it to start "
            f"over). Check them: make root-verify ENV={config.env_name}"
        )
        return
    say(
        f"Root-user steps for '{config.env_name}' (account {context['account_id']}): "
        f"{len(steps) - len(pending)} of {len(steps)} done; progress is kept in {path}."
    )
    for number, step in pending:
        say(f"\n[{number}/{len(steps)}] {step.title}\n")
        say(_for_terminal(step.body) + "\n")
        try:
            confirmed = _confirmed(number)
        except (EOFError, KeyboardInterrupt):
            confirmed = False
            say()
        if not confirmed:
            finished = sum(each.key in done for each in steps)
            say(
                f"Stopped at step {number}: {finished} of {len(steps)} done, saved in {path}. "
                f"Resume with: make root-steps ENV={config.env_name}"
            )
            return
        done.append(step.key)
        save_progress(path, done)
    say(
        f"\nAll {len(steps)} steps done. Check what the API can see: "
        f"make root-verify ENV={config.env_name}"
    )


def checklist_context(config: Config) -> tuple[str | None, dict[str, str]]:
    """(management account id, member ids) as far as the credentials, the state and the
    environment file's pin tell."""
    caller = aws.caller_account_or_none(config)
    known = workspaces.known_member_ids(config) if caller else {}  # no credentials: no read
    return caller or config.management_account_id, known


def root_steps_walk(config: Config, *, print_checklist: bool) -> None:
    account_id, known_member_ids = checklist_context(config)
    if print_checklist:
        paths = write_checklist(config, account_id, STATE_DIR, known_member_ids)
        say("Wrote the root-user checklist:\n" + "\n".join(f"  {path}" for path in paths))
    else:
        walk(config, account_id, STATE_DIR, known_member_ids)


COMMANDS = (
    Command(
        "root-steps",
        "the manual root-user steps, one at a time (or --print)",
        lambda config, args: root_steps_walk(config, print_checklist=args.print_checklist),
        (
            Flag(
                ("--print",),
                dict(
                    action="store_true",
                    dest="print_checklist",
                    help="write the checklist as Markdown and HTML files",
                ),
            ),
        ),
    ),
)
