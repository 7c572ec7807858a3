"""The alternate contacts (billing, operations, security) of every account, from management.

The management account's own are set directly; each member's through the Account Management
API with its account id, which needs the organization's trusted access for
account.amazonaws.com (Organization enables it when the file has [contacts]). Living in the
management workspace, they survive any reset of a member workspace.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.account_alternate_contact import AccountAlternateContact
from constructs import Construct

from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config, Contact
from modules.organization import Organization


class AlternateContacts(Construct):
    """Exposes `contacts`: {account name ('management' for the payer): {type: resource}}."""

    def __init__(self, scope: Construct, id: str, *, config: Config, organization: Organization):
        super().__init__(scope, id)
        self.contacts: dict[str, dict[str, AccountAlternateContact]] = {}
        for kind, contact in config.contacts.by_type().items():
            # The management account may not name itself: it calls without an account id.
            self.add(MANAGEMENT_STACK, kind, contact, account_id=None)
            for name, account in organization.accounts.items():
                self.add(
                    name,
                    kind,
                    contact,
                    account_id=account.id,
                    depends_on=[organization.organization],
                )

    def add(
        self,
        account_name: str,
        kind: str,
        contact: Contact,
        *,
        account_id: str | None,
        depends_on: list | None = None,
    ) -> None:
        self.contacts.setdefault(account_name, {})[kind] = AccountAlternateContact(
            self,
            f"{account_name}_{kind.lower()}",
            account_id=account_id,
            alternate_contact_type=kind,
            name=contact.name,
            title=contact.title,
            email_address=contact.email,
            phone_number=contact.phone,
            depends_on=depends_on,
        )
