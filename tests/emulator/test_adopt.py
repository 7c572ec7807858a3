"""`make adopt`: what a user made by hand is imported by the first apply, never replaced or
duplicated; what cannot be taken over is refused with the reason.

The end-to-end part runs on an emulator of its own (the session one holds the applied
foundation): first `adopt` on the empty emulator, then what a user makes in the console
(organization, the dev account, the admin user in an Administrators group, an account trail) is
created with boto3, adopted, and both workspaces are applied with real terraform. The refusals run
against in-process moto and the synthesized example stack.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.organizations.models import OrganizationsBackend

from foundation.contract import ADMINISTRATORS_GROUP, MANAGEMENT_STACK
from scripts import aws, cli, workspaces
from scripts.commands import adopt
from scripts.commands.adopt.discovery import discover
from scripts.commands.adopt.findings import (
    CONFLICT,
    CREATE,
    IMPORT,
    MANAGED,
    Adoption,
    Finding,
)
from scripts.commands.bootstrap import bootstrap
from scripts.console import UserError
from scripts.runner import imports
from scripts.runner.imports import (
    IMPORTS_FILE,
    forget_imports,
    place_imports,
    record,
    record_path,
)
from scripts.runner.terraform import PLAN_NO_CHANGES, SAVED_PLAN, Terraform

ACCOUNT_TRAIL = "management-events"
ACCOUNT_TRAIL_BUCKET = "aws-cloudtrail-logs-hand-made"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# What the hand-made set-up below is imported as, by resource type.
HAND_MADE_IMPORTS = {
    "aws_organizations_organization",
    "aws_organizations_account",
    "aws_iam_group",
    "aws_iam_group_policy_attachment",
    "aws_iam_user",
    "aws_iam_user_group_membership",
}


def files(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# --- end to end on an emulator of our own -------------------------------------------------


@pytest.fixture(scope="module")
def stacks(own_emulator, synthesize, tmp_path_factory) -> Path:
    """A copy of the synthesized stacks: adopt and terraform write into it."""
    copy = tmp_path_factory.mktemp("adopt") / "stacks"
    shutil.copytree(synthesize(own_emulator) / "stacks", copy)
    return copy


@pytest.fixture(scope="module")
def fresh(own_emulator, stacks) -> tuple[Adoption, dict, dict]:
    """adopt on the empty emulator: (adoption, stack files before, after)."""
    before = files(stacks)
    adoption = adopt.adopt(own_emulator, stacks)
    return adoption, before, files(stacks)


def make_by_hand(config) -> dict[str, str]:
    """What a user makes in the console before finding this tool; returns its ids and ARNs."""
    organizations, iam = aws.client(config, "organizations"), aws.client(config, "iam")
    s3, cloudtrail = aws.client(config, "s3"), aws.client(config, "cloudtrail")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    dev = organizations.create_account(AccountName="dev", Email=config.account("dev").email)
    group = iam.create_group(GroupName=ADMINISTRATORS_GROUP)["Group"]
    iam.attach_group_policy(GroupName=ADMINISTRATORS_GROUP, PolicyArn=ADMINISTRATOR_ACCESS)
    user = iam.create_user(UserName=config.admin_users[0])["User"]
    iam.add_user_to_group(GroupName=ADMINISTRATORS_GROUP, UserName=user["UserName"])
    s3.create_bucket(Bucket=ACCOUNT_TRAIL_BUCKET)
    trail = cloudtrail.create_trail(
        Name=ACCOUNT_TRAIL, S3BucketName=ACCOUNT_TRAIL_BUCKET, IsMultiRegionTrail=True
    )
    return {
        "organization": organization["Id"],
        "dev": dev["CreateAccountStatus"]["AccountId"],
        "group": group["GroupId"],
        "user": user["UserId"],
        "trail": trail["TrailARN"],
    }


def planned_actions(terraform: Terraform) -> dict[str, tuple[list, bool]]:
    """{address: (actions, imported)} of the plan the runner saves, which its next apply
    applies as it is."""
    terraform.plan()
    shown = json.loads(terraform.run("show", "-json", SAVED_PLAN, capture=True).stdout)
    return {
        change["address"]: (change["change"]["actions"], "importing" in change["change"])
        for change in shown["resource_changes"]
    }


@pytest.fixture(scope="module")
def adopted(own_emulator, stacks, fresh):
    """The hand-made set-up, adopted and applied. Yields (ids before, adoption, planned
    actions, imports file seen before the apply)."""
    config = own_emulator
    before = make_by_hand(config)
    bootstrap(config)
    adoption = adopt.adopt(config, stacks)
    management = Terraform(config, MANAGEMENT_STACK, stacks=stacks)
    imports_file = json.loads((stacks / MANAGEMENT_STACK / IMPORTS_FILE).read_text())
    actions = planned_actions(management)
    management.apply(auto_approve=True)
    for account in config.accounts:
        Terraform(config, account.name, stacks=stacks).apply(auto_approve=True)
    return before, adoption, actions, imports_file


def test_a_fresh_emulator_has_nothing_to_import(fresh, own_emulator):
    adoption, before, after = fresh
    assert not adoption.with_action(IMPORT) and not adoption.with_action(CONFLICT)
    assert {finding.action for finding in adoption.findings} == {CREATE}
    [notice] = adoption.notices
    assert notice.startswith(f"The state bucket {own_emulator.state_bucket} does not exist yet")
    assert after == before  # no imports file: the first apply is exactly today's
    assert not record_path(own_emulator).exists()


def test_make_adopt_on_a_fresh_emulator_says_nothing_to_import(
    fresh, own_emulator, stacks, monkeypatch, capsys
):
    monkeypatch.setattr(adopt, "synth", lambda config: False)  # `stacks` is its synth
    monkeypatch.setattr(adopt, "stacks_dir", lambda: stacks)
    assert cli.main(["adopt", "--env", "local"]) == 0
    out = capsys.readouterr().out
    assert "0 to import" in out and "Nothing to import" in out


def test_hand_made_resources_are_planned_as_imports(adopted):
    before, adoption, _, imports_file = adopted
    imported = {
        finding.address.split(".")[0]: finding.import_id for finding in adoption.with_action(IMPORT)
    }
    assert set(imported) == HAND_MADE_IMPORTS
    assert imported["aws_organizations_organization"] == before["organization"]
    assert imported["aws_organizations_account"] == before["dev"]
    assert (
        imported["aws_iam_group_policy_attachment"]
        == f"{ADMINISTRATORS_GROUP}/{ADMINISTRATOR_ACCESS}"
    )
    assert not adoption.with_action(CONFLICT)
    assert [entry["id"] for entry in imports_file["import"]] == [
        finding.import_id for finding in adoption.with_action(IMPORT)
    ]


def test_the_account_trail_is_reported_with_its_cost_and_removal(adopted, own_emulator):
    _, adoption, _, _ = adopted
    [notice] = adoption.notices
    assert f"Trail '{ACCOUNT_TRAIL}'" in notice and "USD 2.00 per 100,000" in notice
    assert (
        f"aws cloudtrail delete-trail --name {adopted[0]['trail']} "
        f"--region {own_emulator.region}" in notice
    )
    assert "get-trail-status" in notice  # only once the organization trail is logging


def test_the_plan_imports_and_neither_replaces_nor_destroys(adopted):
    _, adoption, actions, _ = adopted
    for finding in adoption.with_action(IMPORT):
        planned, imported = actions[finding.address]
        assert imported and planned in (["no-op"], ["update"]), finding.address
    assert not [address for address, (planned, _) in actions.items() if "delete" in planned]


def test_nothing_existing_is_replaced_or_duplicated(adopted, own_emulator):
    before, _, _, _ = adopted
    config = own_emulator
    organizations, iam = aws.client(config, "organizations"), aws.client(config, "iam")
    assert organizations.describe_organization()["Organization"]["Id"] == before["organization"]
    emails = [account["Email"] for account in organizations.list_accounts()["Accounts"]]
    assert emails.count(config.account("dev").email) == 1 and len(emails) == 2
    assert workspaces.member_account_id(config, "dev") == before["dev"]
    assert iam.get_group(GroupName=ADMINISTRATORS_GROUP)["Group"]["GroupId"] == before["group"]
    assert iam.get_user(UserName=config.admin_users[0])["User"]["UserId"] == before["user"]
    trails = {
        trail["TrailARN"]: trail
        for trail in aws.client(config, "cloudtrail").describe_trails()["trailList"]
    }
    assert before["trail"] in trails  # reported, never deleted
    assert sum(trail.get("IsOrganizationTrail", False) for trail in trails.values()) == 1


def test_a_second_plan_is_clean(adopted, own_emulator, stacks):
    for stack in own_emulator.stack_names:
        assert (
            Terraform(own_emulator, stack, stacks=stacks).plan(detailed_exitcode=True)
            == PLAN_NO_CHANGES
        ), stack


def test_the_imports_do_not_outlive_the_apply(adopted, own_emulator, stacks):
    assert not (stacks / MANAGEMENT_STACK / IMPORTS_FILE).exists()
    assert not record_path(own_emulator).exists()


def test_adopt_after_the_apply_finds_everything_managed(adopted, own_emulator, stacks):
    again = adopt.adopt(own_emulator, stacks)
    assert {finding.action for finding in again.findings} == {MANAGED}
    assert not (stacks / MANAGEMENT_STACK / IMPORTS_FILE).exists()
    assert len(again.notices) == 1  # the hand-made trail is still there, still reported


# --- refusals, against in-process moto and the example stack --------------------------------


@pytest.fixture
def config(mocked_example, example_config, monkeypatch, tmp_path):
    """The example environment pinned to moto's account; its records in this test's directory."""
    monkeypatch.setattr(imports, "STATE_DIR", tmp_path / "records")
    return dataclasses.replace(example_config, management_account_id=DEFAULT_ACCOUNT_ID)


@pytest.fixture
def management_stack(example_stacks) -> dict:
    return example_stacks[MANAGEMENT_STACK]


@pytest.fixture
def organization(config, mocked_example):
    organizations = mocked_example("organizations")
    organizations.create_organization(FeatureSet="ALL")
    return organizations


def the(adoption: Adoption, resource_type: str) -> Finding:
    [finding] = [f for f in adoption.findings if f.address.startswith(f"{resource_type}.")]
    return finding


def test_credentials_of_another_account_are_refused_first(
    mocked_example, example_config, management_stack
):
    with pytest.raises(UserError, match=f"these credentials land in account {DEFAULT_ACCOUNT_ID}"):
        discover(example_config, management_stack)


def test_an_organization_managed_by_another_account_is_a_conflict(
    config, organization, management_stack, monkeypatch
):
    member = organization.create_account(AccountName="x", Email="x@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    monkeypatch.setenv("MOTO_ACCOUNT_ID", member)  # the credentials are the member's
    finding = the(
        discover(dataclasses.replace(config, management_account_id=member), management_stack),
        "aws_organizations_organization",
    )
    assert finding.action == CONFLICT
    assert f"account {member} is a member of organization" in finding.why
    assert f"whose management account is {DEFAULT_ACCOUNT_ID}" in finding.why


def test_a_closed_account_is_a_conflict(config, organization, management_stack):
    dev = organization.create_account(AccountName="dev", Email=config.account("dev").email)[
        "CreateAccountStatus"
    ]["AccountId"]
    organization.close_account(AccountId=dev)
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and f"account {dev}" in finding.why
    assert "is CLOSED" in finding.why


def test_an_answer_with_the_retired_status_only_is_read_too(
    config, organization, management_stack, monkeypatch
):
    """Before 9 September 2026 AWS answered `Status` beside `State`; a reader of either works."""
    from moto.organizations.models import FakeAccount

    organization.create_account(AccountName="dev", Email=config.account("dev").email)
    answer = FakeAccount.describe.moto_own  # Status and State
    monkeypatch.setattr(
        FakeAccount,
        "describe",
        lambda self: {
            **{key: value for key, value in answer(self).items() if key != "State"},
            "Status": "SUSPENDED",
        },
    )
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "is SUSPENDED" in finding.why


def test_an_email_written_otherwise_is_a_conflict(config, organization, management_stack):
    organization.create_account(AccountName="dev", Email=config.account("dev").email.upper())
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "write it exactly so as accounts.dev.email" in finding.why


def test_an_account_of_our_name_with_another_email_is_a_conflict(
    config, organization, management_stack
):
    organization.create_account(AccountName="dev", Email="someone-else@example.com")
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT
    assert 'set accounts.dev.email = "someone-else@example.com"' in finding.why


def test_an_email_used_outside_the_organization(
    config, organization, management_stack, monkeypatch
):
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CREATE and "no read-only API can tell" in finding.why

    # An earlier creation that AWS refused is the evidence discovery can see.
    failed = {
        "Id": "car-1",
        "AccountName": f"{config.name_prefix}-dev",
        "State": "FAILED",
        "FailureReason": "EMAIL_ALREADY_EXISTS",
    }
    monkeypatch.setattr(
        OrganizationsBackend,
        "list_create_account_status",
        lambda self, **kwargs: {"CreateAccountStatuses": [failed]},
    )
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "EMAIL_ALREADY_EXISTS" in finding.why


def test_trusted_services_the_foundation_would_disable_are_a_conflict(
    config, organization, management_stack
):
    organization.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")
    finding = the(discover(config, management_stack), "aws_organizations_organization")
    assert finding.action == CONFLICT and "sso.amazonaws.com" in finding.why


def test_what_exists_of_ours_is_imported_by_the_provider_s_id(
    config, organization, management_stack, mocked_example
):
    iam = mocked_example("iam")
    role = iam.create_service_linked_role(AWSServiceName="cloudtrail.amazonaws.com")["Role"]
    iam.update_account_password_policy(MinimumPasswordLength=8)
    adoption = discover(config, management_stack)
    assert the(adoption, "aws_iam_service_linked_role").import_id == role["Arn"]
    assert (
        the(adoption, "aws_iam_account_password_policy").import_id == "iam-account-password-policy"
    )


def test_a_force_mfa_policy_that_would_be_replaced_is_a_conflict(
    config, management_stack, mocked_example
):
    mocked_example("iam").create_policy(
        PolicyName=f"{config.name_prefix}-force-mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    finding = the(discover(config, management_stack), "aws_iam_policy")
    assert finding.action == CONFLICT and "replacing the policy" in finding.why


def stack_copy(example_stacks, tmp_path) -> Path:
    directory = tmp_path / MANAGEMENT_STACK
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(example_stacks[MANAGEMENT_STACK]))
    return directory


def test_a_conflict_refuses_and_records_nothing(config, organization, example_stacks, tmp_path):
    organization.create_account(AccountName="dev", Email=config.account("dev").email.upper())
    organization.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")
    directory = stack_copy(example_stacks, tmp_path)
    with pytest.raises(UserError) as refused:
        adopt.adopt(config, directory.parent)
    assert "2 conflict(s)" in str(refused.value) and "nothing was recorded" in str(refused.value)
    assert not (directory / IMPORTS_FILE).exists()
    assert not record_path(config).exists()


# --- the record, the synth cache and the runner ----------------------------------------------


def test_imports_survive_a_re_synth_and_refuse_a_changed_stack(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    address = next(
        f"aws_iam_user.{key}"
        for key in example_stacks[MANAGEMENT_STACK]["resource"]["aws_iam_user"]
    )
    assert record(config, directory, [{"to": address, "id": "alice"}]) == 1
    written = json.loads((directory / IMPORTS_FILE).read_text())["import"]
    assert written == [{"to": address, "id": "alice"}]

    # A synth with changed inputs swaps in a whole new cdktf.out: same stack, no imports file.
    (directory / IMPORTS_FILE).unlink()
    assert place_imports(config, directory) == 1
    assert json.loads((directory / IMPORTS_FILE).read_text())["import"] == written

    # The stack itself changed: the decisions may not hold any more.
    changed = json.loads((directory / "cdk.tf.json").read_text())
    changed["resource"]["aws_iam_user"][address.split(".")[1]]["name"] = "bob"
    (directory / "cdk.tf.json").write_text(json.dumps(changed))
    with pytest.raises(UserError, match="changed since `make adopt`"):
        place_imports(config, directory)
    assert not (directory / IMPORTS_FILE).exists()


def test_a_successful_apply_forgets_the_imports(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    record(config, directory, [{"to": "aws_iam_group.x", "id": "g"}])
    forget_imports(config, directory)
    assert not (directory / IMPORTS_FILE).exists()
    assert not record_path(config).exists()
    assert place_imports(config, directory) == 0


def test_no_record_means_no_imports_file(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    (directory / IMPORTS_FILE).write_text("{}")  # left by another environment's adopt
    assert place_imports(config, directory) == 0
    assert not (directory / IMPORTS_FILE).exists()
