"""Every reason the guard refuses for, and how its checks are recorded and reported: each check
printed as it runs (pass or REFUSE), every refusal reason raised at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from scripts.console import UserError, say

PASS, REFUSE, SKIP = "pass", "REFUSE", "skip"

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
REASON_NUKE_VERSION = "aws-nuke is not a version the dev reset supports (2.x)"
REASON_NUKE_CONFIG = (
    "the generated aws-nuke config does not name exactly the target account, "
    "with management and every other member in its blocklist"
)
REASON_NOT_PINNED_MANAGEMENT = (
    "the management account is not the one the environment file pins ([management] account_id)"
)


class Refused(UserError):
    """The guard refused; `reasons` holds every refusal reason in plain words: only the causes,
    never a check that could not run because of one of them (`skipped`). `attempt` says what
    was refused, such as "destroy the 'dev' workspace". Every check was printed as it ran, so
    the message names the causes and counts what they kept from being checked."""

    def __init__(self, attempt: str, reasons: list[str], skipped: int = 0):
        self.reasons = reasons
        self.skipped = skipped
        causes = (
            f"the cause: {reasons[0]}"
            if len(reasons) == 1
            else f"{len(reasons)} causes, each marked REFUSE above:\n"
            + "\n".join(f"  - {reason}" for reason in reasons)
        )
        unchecked = (
            f"\n({skipped} check(s) marked skip above need what was refused; they run once it "
            "is fixed.)"
            if skipped
            else ""
        )
        super().__init__(f"Refusing to {attempt}; nothing was changed: {causes}{unchecked}")


@dataclass
class Checks:
    """Each check's outcome, printed as it is recorded: pass, REFUSE (a cause), or skip (a check
    that needs what an earlier one refused, so it cannot say anything yet)."""

    results: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, title: str, passed: bool, detail: str) -> None:
        self._add(title, PASS if passed else REFUSE, detail)

    def skip(self, title: str, needs: str) -> None:
        """`title` (what the check would confirm) cannot be checked without `needs`."""
        self._add(title, SKIP, f"not checked: it needs {needs}")

    def _add(self, title: str, status: str, detail: str) -> None:
        self.results.append((title, status, detail))
        say(f"      {status:<6} {title}: {detail}")

    @property
    def reasons(self) -> list[str]:
        return [f"{title} ({detail})" for title, status, detail in self.results if status == REFUSE]

    @property
    def skipped(self) -> int:
        return sum(status == SKIP for _, status, _ in self.results)

    def refuse_if_any(self, attempt: str) -> None:
        """Raise `Refused` for `attempt` when any check refused."""
        if self.reasons:
            raise Refused(attempt, self.reasons, self.skipped)
