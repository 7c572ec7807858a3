"""Account Management's alternate contacts (scripts/emulator/extensions/account.py)."""

from __future__ import annotations

import pytest

from scripts.emulator.extensions.account import ACCOUNT_SERVICE_PRINCIPAL

CONTACT = {
    "AlternateContactType": "SECURITY",
    "Name": "Alice",
    "Title": "Owner",
    "EmailAddress": "security@example.com",
    "PhoneNumber": "+1 555 0100",
}


def test_member_contacts_need_the_management_account_and_trusted_access(
    mocked_aws, organization_with_member
):
    member, member_session = organization_with_member
    account = mocked_aws("account")
    with pytest.raises(account.exceptions.AccessDeniedException, match="trusted access"):
        account.put_alternate_contact(AccountId=member, **CONTACT)

    mocked_aws("organizations").enable_aws_service_access(
        ServicePrincipal=ACCOUNT_SERVICE_PRINCIPAL
    )
    account.put_alternate_contact(AccountId=member, **CONTACT)
    found = account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    assert found["AlternateContact"]["EmailAddress"] == "security@example.com"
    # The member reads its own contact without an account id, as AWS lets it.
    in_member = member_session.client("account", region_name="us-east-1")
    assert (
        in_member.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]["Name"]
        == "Alice"
    )

    management = mocked_aws("sts").get_caller_identity()["Account"]
    with pytest.raises(account.exceptions.AccessDeniedException, match="its own AccountId"):
        account.get_alternate_contact(AccountId=management, AlternateContactType="SECURITY")
    with pytest.raises(account.exceptions.AccessDeniedException, match="not a member"):
        account.put_alternate_contact(AccountId="999999999999", **CONTACT)
    with pytest.raises(in_member.exceptions.AccessDeniedException, match="not the management"):
        in_member.get_alternate_contact(AccountId=management, AlternateContactType="SECURITY")
    account.put_alternate_contact(**CONTACT)  # the management account's own, without an id
    account.delete_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    with pytest.raises(account.exceptions.ResourceNotFoundException):
        account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")


def test_opt_in_regions_are_enabled_and_disabled_and_default_ones_never(
    mocked_aws, organization_with_member
):
    member, member_session = organization_with_member
    account = mocked_aws("account")

    def status(client, region: str, **target) -> str:
        return client.get_region_opt_status(RegionName=region, **target)["RegionOptStatus"]

    assert status(account, "eu-west-1") == "ENABLED_BY_DEFAULT"
    assert status(account, "af-south-1") == "DISABLED"
    with pytest.raises(account.exceptions.ValidationException, match="enabled by default"):
        account.disable_region(RegionName="us-east-1")
    account.enable_region(RegionName="af-south-1")
    assert status(account, "af-south-1") == "ENABLED"
    listed = account.list_regions(RegionOptStatusContains=["ENABLED"])["Regions"]
    assert listed == [{"RegionName": "af-south-1", "RegionOptStatus": "ENABLED"}]

    in_member = member_session.client("account", region_name="us-east-1")
    assert status(in_member, "af-south-1") == "DISABLED", "each account opts in on its own"
    with pytest.raises(account.exceptions.AccessDeniedException, match="trusted access"):
        account.enable_region(AccountId=member, RegionName="me-south-1")
    mocked_aws("organizations").enable_aws_service_access(
        ServicePrincipal=ACCOUNT_SERVICE_PRINCIPAL
    )
    account.enable_region(AccountId=member, RegionName="me-south-1")
    assert status(in_member, "me-south-1") == "ENABLED"
    in_member.disable_region(RegionName="me-south-1")
    assert status(account, "me-south-1", AccountId=member) == "DISABLED"
    with pytest.raises(account.exceptions.ValidationException, match="not a valid Region"):
        account.enable_region(RegionName="cn-north-1")
