"""Account Management: the alternate contacts of the management and member accounts."""

from __future__ import annotations

from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CREATE, IMPORT, Finding


def _alternate_contact(d: Discovery, address: str, body: dict) -> Finding:
    """Imported as `<member id>/<type>`, or `/<type>` for the caller's account (the id the
    provider gives the contact it creates). Setting a contact
    replaces it, so one adopt cannot read (a member's, before the organization trusts the
    Account Management service) is safe to create."""
    kind = body["alternate_contact_type"]
    member = body.get("account_id")
    owner = f"account {d.label(member, 'email')}" if member else "the management account"
    what = f"{kind.lower()} contact of {owner}"
    account_id = d.value(member) if member else None
    if member and not account_id:
        return Finding(address, what, CREATE)
    try:
        d.client("account").get_alternate_contact(
            AlternateContactType=kind, **({"AccountId": account_id} if member else {})
        )
    except aws.ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ResourceNotFoundException":
            return Finding(address, what, CREATE)
        if code == "AccessDeniedException":
            return Finding(address, what, CREATE, why="unreadable yet; the apply sets it")
        raise
    return Finding(
        address,
        what,
        IMPORT,
        f"{account_id or ''}/{kind}",
        why="replaced by ours",
    )


discovers("aws_account_alternate_contact")(_alternate_contact)
