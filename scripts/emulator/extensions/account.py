"""Account Management: alternate contacts as AWS allows them."""

from __future__ import annotations

from scripts.emulator.extensions.organizations import trusting_organization
from scripts.emulator.extensions.registry import extension, wrap

ACCOUNT_SERVICE_PRINCIPAL = "account.amazonaws.com"


@extension
def alternate_contacts_need_trusted_access() -> None:
    """Account Management's alternate contacts with an AccountId, as AWS documents them: only
    the organization's management account may name an account, only a member account of its
    organization (never itself), and only with trusted access for account.amazonaws.com. moto
    answers any caller for any account id."""
    from moto.account.responses import AccountResponse
    from moto.core.exceptions import JsonRESTError

    def refusal(response) -> str | None:
        target = response._get_param("AccountId")
        if not target:
            return None
        caller = response.current_account
        if target == caller:
            return (
                "The management account can't specify its own AccountId; call the operation "
                "without it."
            )
        backend = trusting_organization(caller, response.partition, ACCOUNT_SERVICE_PRINCIPAL)
        if backend is None:
            return (
                f"The caller {caller} is not the management account of an organization with "
                f"trusted access enabled for {ACCOUNT_SERVICE_PRINCIPAL}."
            )
        if target not in [account.id for account in backend.accounts]:
            return f"Account {target} is not a member of the caller's organization."
        return None

    def guarded(operation):
        def action(response):
            reason = refusal(response)
            if reason:
                raise JsonRESTError("AccessDeniedException", reason)
            return operation(response)

        return action

    for name in ("put_alternate_contact", "get_alternate_contact", "delete_alternate_contact"):
        wrap(AccountResponse, name, guarded)
