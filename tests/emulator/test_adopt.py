"""`make adopt`: what a user made by hand is imported by the first apply, never replaced or
duplicated; what cannot be taken over is refused with the reason.

On an emulator of its own (the session one holds the applied foundation): first `adopt` on the
empty emulator, then what a user makes in the console (organization, the dev account, the admin
user in an Administrators group, an account trail) is created with boto3, adopted, and both
workspaces are applied with real terraform. Then the acid test on that applied foundation: its
management state object is deleted, and adopt with one apply must take back every resource,
creating, replacing or duplicating nothing. What adopt decides per resource, and its refusals,
against in-process moto: tests/unit/test_adopt_decisions.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from foundation.contract import ADMINISTRATORS_GROUP, MANAGEMENT_STACK
from scripts import aws, cli, workspaces
from scripts.commands import adopt
from scripts.commands.adopt.findings import (
    CONFLICT,
    CREATE,
    IMPORT,
    MANAGED,
    Adoption,
)
from scripts.commands.bootstrap import bootstrap
from scripts.runner.imports import (
    IMPORTS_FILE,
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


def test_adopt_after_the_apply_finds_everything_managed(adopted, own_emulator, stacks, capsys):
    again = adopt.adopt(own_emulator, stacks)
    assert {finding.action for finding in again.findings} == {MANAGED}
    assert not (stacks / MANAGEMENT_STACK / IMPORTS_FILE).exists()
    assert len(again.notices) == 1  # the hand-made trail is still there, still reported
    assert (
        f"Nothing to import: the management state holds all {len(again.findings)} resources "
        "already." in capsys.readouterr().out
    )


# --- the acid test: the management state lost, the applied foundation adopted back -----------


# Links and settings whose id the provider makes up, from a timestamp on create and from the
# import ID on import: what they link or set stands for them (neither can exist twice).
MADE_UP_IDS = {
    "aws_ebs_encryption_by_default",
    "aws_iam_group_policy_attachment",
    "aws_iam_role_policy_attachment",
    "aws_iam_user_group_membership",
}


def identities(state: dict) -> dict[str, object]:
    """{address: id} of a state's managed resources (a link: what it links)."""
    return {
        f"{r['type']}.{r['name']}": (
            {k: v for k, v in attributes.items() if k != "id"}
            if r["type"] in MADE_UP_IDS
            else attributes["id"]
        )
        for r in state["resources"]
        if r["mode"] == "managed"
        for attributes in [r["instances"][0]["attributes"]]
    }


@pytest.fixture(scope="module")
def state_lost(adopted, own_emulator, stacks):
    """The applied foundation (`adopted`) after its management state object is deleted, as a
    user who lost it: adopt, then one apply of the imports. Returns (the lost state, the
    adoption, the planned actions, the state after the apply)."""
    config = own_emulator
    lost = json.loads(workspaces.read_state(config, MANAGEMENT_STACK))
    aws.client(config, "s3").delete_object(
        Bucket=config.state_bucket, Key=config.state_key(MANAGEMENT_STACK)
    )
    adoption = adopt.adopt(config, stacks)
    management = Terraform(config, MANAGEMENT_STACK, stacks=stacks)
    actions = planned_actions(management)
    management.apply(auto_approve=True)
    return lost, adoption, actions, json.loads(workspaces.read_state(config, MANAGEMENT_STACK))


def test_after_losing_the_state_adopt_imports_every_resource(state_lost, stacks):
    _, adoption, _, _ = state_lost
    stack = json.loads((stacks / MANAGEMENT_STACK / "cdk.tf.json").read_text())
    assert {f.address for f in adoption.with_action(IMPORT)} == {
        f"{resource_type}.{key}"
        for resource_type, resources in stack["resource"].items()
        for key in resources
    }


def test_after_losing_the_state_the_apply_only_imports(state_lost):
    _, _, actions, _ = state_lost
    assert {
        address: planned
        for address, (planned, imported) in actions.items()
        if not imported or planned not in (["no-op"], ["update"])
    } == {}


def test_after_losing_the_state_nothing_is_duplicated_or_replaced(state_lost):
    """Every resource is the one the lost state held: a created one would have a new id."""
    lost, _, _, after = state_lost
    before, now = identities(lost), identities(after)
    assert sorted(now) == sorted(before)
    assert {a: (before[a], now[a]) for a in before if now[a] != before[a]} == {}


def test_after_losing_the_state_the_next_plan_is_clean(state_lost, own_emulator, stacks):
    for stack in own_emulator.stack_names:
        assert (
            Terraform(own_emulator, stack, stacks=stacks).plan(detailed_exitcode=True)
            == PLAN_NO_CHANGES
        ), stack
