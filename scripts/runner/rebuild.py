"""The one rebuild of a member workspace, after a destroy or a reset: applied where its plan
shows changes, then planned again, which must show none; and the log its terraform output goes
to."""

from __future__ import annotations

from pathlib import Path

from foundation.model import Config
from foundation.paths import LOG_DIR
from scripts.console import Steps, UserError, say
from scripts.runner.terraform import PLAN_NO_CHANGES, Terraform

REBUILD_STEPS = 2
APPLIED = "applied"


def rebuild(
    config: Config,
    account_name: str,
    stacks: Path,
    *,
    steps: Steps | None = None,
    log: Path | None = None,
) -> tuple[str, str]:
    """Apply the member workspace (its plan first: a workspace whose baseline is intact applies
    nothing), then require `plan -detailed-exitcode` to show no changes. Returns what each of
    the two steps found."""
    steps = steps or Steps(REBUILD_STEPS)
    terraform = Terraform(config, account_name, stacks=stacks, log=log)
    with steps.step(f"applying workspace '{account_name}'"):
        applied = terraform.apply(auto_approve=True)
        if not applied:
            say("      Nothing to apply: the plan shows no changes, so the baseline is complete.")
    with steps.step("planning: expecting no changes (-detailed-exitcode)"):
        if not applied:
            say("      Skipped: the apply's own plan showed none.")
            return "no changes: the baseline is intact", "skipped (nothing was applied)"
        if terraform.plan(detailed_exitcode=True) != PLAN_NO_CHANGES:
            raise UserError(
                f"FAILED: the plan of '{account_name}' right after apply still "
                "shows changes (exit 2): the workspace does not converge. Run `make "
                f"plan ENV={config.env_name} STACK={account_name}` to see them."
            )
    return APPLIED, "no changes after the apply"


def workspace_log(config: Config, account: str) -> Path:
    """Where terraform's destroy and apply output goes: hundreds of lines nobody reads unless
    something fails (then the error shows its end and names the file)."""
    log = LOG_DIR / config.env_name / f"{account}-terraform.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    say(f"terraform output: {log}")
    return log
