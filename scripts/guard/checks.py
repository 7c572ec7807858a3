"""Every reason the guard refuses for, and how its checks are recorded and reported: each check
printed as it runs (pass or REFUSE), every refusal reason raised at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from scripts.console import UserError, say

REASON_MANAGEMENT_STACK = "the management stack would be affected"
REASON_NOT_MEMBER = "the stack is not a member account of this environment"
REASON_SAME_STATE_KEY = "the member state key equals the management key"
REASON_NOT_APPLIED = "the management workspace is not applied (no outputs)"
REASON_NOT_NAMED = "the management outputs do not name this member account"
REASON_MANAGEMENT_CREDENTIALS = (
    "the credentials used for destruction land in the management account"
)
REASON_WRONG_ACCOUNT = "the assumed identity's account is not the expected member account"
REASON_NO_FREEZE_POLICY = "the management outputs name no freeze SCP or account for it"
REASON_TARGET_IS_MANAGEMENT = "the target account is the management account"
REASON_NOT_IN_ORGANIZATION = "Organizations does not list the account as a member"
REASON_NOT_MANAGEMENT_CALLER = (
    "the credentials are not the management account's (only it attaches SCPs)"
)
REASON_NUKE_MISSING = "aws-nuke is not installed"
REASON_NUKE_VERSION = "aws-nuke is not a version the dev reset supports"
REASON_NUKE_CONFIG = (
    "the generated aws-nuke config does not name exactly the target account, "
    "with management and every other member in its blocklist"
)
REASON_NOT_PINNED_MANAGEMENT = (
    "the management account is not the one the environment file pins ([management] account_id)"
)


class Refused(UserError):
    """The guard refused; `reasons` holds every refusal reason in plain words. `attempt` says
    what was refused, such as "destroy the 'dev' workspace". Every check was printed as it
    ran, the refused ones with their reason, so the message only counts them."""

    def __init__(self, attempt: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(
            f"Refusing to {attempt}; nothing was changed: {len(reasons)} "
            "check(s) marked REFUSE above."
        )


@dataclass
class Checks:
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def record(self, title: str, passed: bool, detail: str) -> None:
        self.results.append((title, passed, detail))
        say(f"      {'pass  ' if passed else 'REFUSE'} {title}: {detail}")

    @property
    def reasons(self) -> list[str]:
        return [f"{title} ({detail})" for title, passed, detail in self.results if not passed]
