"""`make dev-reset` on the session's applied foundation, with the real aws-nuke: click-ops in the
dev account, in two allowed regions, are all deleted; the member role, the alias, the default
VPCs and the rebuilt baseline stay; management is untouched; a second reset deletes nothing; the
demo's reset, run again, deletes only what the demo made.
Every refusal leaves the seeded resources in place. The generated aws-nuke config of the example
environment is a reviewed snapshot (`make snapshot-update` rewrites it).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
from pathlib import Path

import pytest

from foundation.config import load
from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from scripts import aws, workspaces
from scripts.commands import demo, dev_reset, nuke_config
from scripts.console import Aborted
from scripts.guard import approval
from scripts.guard.checks import (
    REASON_MANAGEMENT_CREDENTIALS,
    REASON_MANAGEMENT_STACK,
    REASON_NUKE_CONFIG,
    REASON_NUKE_MISSING,
    Refused,
)
from tests.emulator.test_aws_nuke import LAMBDA_TRUST, aws_nuke_or_skip, seed_region

ACCOUNT = "dev"
SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "aws-nuke-example.yaml"
EXAMPLE_IDS = {"management": "111111111111", "dev": "222222222222"}


def member_sessions(config) -> dict:
    role_arn = workspaces.state_outputs(config, MANAGEMENT_STACK)[OUTPUT_MEMBER_ROLE_ARNS][ACCOUNT]
    return {
        region: aws.assume_role(config, role_arn, "dev-reset-test", region=region)
        for region in config.control_regions
    }


def member_inventory(config, sessions) -> dict[str, set[str]]:
    """What the seeded kinds of resource hold now in the dev account, per region and kind."""
    found: dict[str, set[str]] = {}
    home = sessions[config.region]
    iam = aws.client(config, "iam", home)
    found["roles"] = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    found["users"] = {u["UserName"] for u in iam.list_users()["Users"]}
    found["aliases"] = set(iam.list_account_aliases()["AccountAliases"])
    found["buckets"] = {b["Name"] for b in aws.client(config, "s3", home).list_buckets()["Buckets"]}
    for region, session in sessions.items():
        client = lambda service, session=session: aws.client(config, service, session)  # noqa: E731
        ec2 = client("ec2")
        found[f"{region} queues"] = set(client("sqs").list_queues().get("QueueUrls", []))
        found[f"{region} vpcs"] = {
            (v["VpcId"], v["IsDefault"]) for v in ec2.describe_vpcs()["Vpcs"]
        }
        found[f"{region} instances"] = {
            i["InstanceId"]
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        }
        found[f"{region} tables"] = set(client("dynamodb").list_tables()["TableNames"])
        found[f"{region} topics"] = {t["TopicArn"] for t in client("sns").list_topics()["Topics"]}
        found[f"{region} functions"] = {
            f["FunctionName"] for f in client("lambda").list_functions()["Functions"]
        }
    return found


def seed_iam(config, session) -> None:
    """A role with an inline policy and a user with an access key, made by hand."""
    iam = aws.client(config, "iam", session)
    iam.create_role(RoleName="learner-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(
        RoleName="learner-role",
        PolicyName="read-buckets",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    iam.create_user(UserName="learner")
    iam.create_access_key(UserName="learner")


@pytest.fixture(scope="module")
def seeded(foundation):
    """Click-ops in dev in both allowed regions; (config, stacks, sessions, what was seeded)."""
    aws_nuke_or_skip()
    config, stacks = foundation
    sessions = member_sessions(config)
    before = member_inventory(config, sessions)
    seed_iam(config, sessions[config.region])
    account_id = aws.account_id(config, sessions[config.region])
    for session in sessions.values():
        seed_region(config, session, account_id)
    return config, stacks, sessions, before


def seeded_still_there(config, sessions) -> bool:
    now = member_inventory(config, sessions)
    return "learner" in now["users"] and all(
        "learner-table" in now[f"{region} tables"] for region in sessions
    )


def refused(config, stacks, account=ACCOUNT, **kwargs) -> list[str]:
    management = workspaces.read_state(config, MANAGEMENT_STACK)
    with pytest.raises(Refused) as refusal:
        dev_reset.reset(config, account, stacks, auto_approve=True, **kwargs)
    assert workspaces.read_state(config, MANAGEMENT_STACK) == management
    return refusal.value.reasons


def starting(reasons: list[str], reason: str) -> list[str]:
    return [r for r in reasons if r.startswith(reason)]


def test_refuses_the_management_account(seeded):
    config, stacks, sessions, _ = seeded
    assert starting(refused(config, stacks, MANAGEMENT_STACK), REASON_MANAGEMENT_STACK)
    assert seeded_still_there(config, sessions)


def test_refuses_a_role_that_lands_in_the_management_account(seeded, with_management_outputs):
    config, stacks, sessions, _ = seeded

    def role_in_management(outputs):
        management_id = outputs[OUTPUT_MANAGEMENT_ACCOUNT_ID]["value"]
        outputs[OUTPUT_MEMBER_ROLE_ARNS]["value"][ACCOUNT] = (
            f"arn:aws:iam::{management_id}:role/OrganizationAccountAccessRole"
        )

    reasons = refused(
        with_management_outputs("reset-role-in-management", role_in_management), stacks
    )
    assert starting(reasons, REASON_MANAGEMENT_CREDENTIALS)
    assert seeded_still_there(config, sessions)


def test_refuses_a_config_whose_blocklist_names_the_target(seeded, with_management_outputs):
    config, stacks, sessions, _ = seeded

    def target_twice(outputs):
        ids = outputs[OUTPUT_MEMBER_ACCOUNT_IDS]["value"]
        ids["ghost"] = ids[ACCOUNT]

    reasons = refused(with_management_outputs("reset-target-blocked", target_twice), stacks)
    [reason] = starting(reasons, REASON_NUKE_CONFIG)
    assert "its blocklist names the target" in reason
    assert seeded_still_there(config, sessions)


def test_refuses_without_aws_nuke_and_says_how_to_install_it(seeded, monkeypatch, tmp_path):
    config, stacks, sessions, _ = seeded
    monkeypatch.setenv("PATH", str(tmp_path))
    [reason] = starting(refused(config, stacks), REASON_NUKE_MISSING)
    assert "apt-get install aws-nuke" in reason
    assert seeded_still_there(config, sessions)


def test_a_wrong_alias_deletes_nothing(seeded, monkeypatch):
    config, stacks, sessions, _ = seeded
    monkeypatch.setattr("builtins.input", lambda prompt: "not-the-alias")
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    with pytest.raises(Aborted, match="nothing was deleted"):
        dev_reset.reset(config, ACCOUNT, stacks, auto_approve=False)
    assert seeded_still_there(config, sessions)


@pytest.fixture(scope="module")
def first_reset(seeded):
    config, stacks, sessions, before = seeded
    management = workspaces.read_state(config, MANAGEMENT_STACK)
    organization = aws.client(config, "organizations").list_accounts()["Accounts"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    return result, printed.getvalue(), before, management, organization


def test_reset_deletes_every_seeded_resource_and_keeps_the_baseline(first_reset, seeded):
    config, _, sessions, _ = seeded
    result, printed, before, _, _ = first_reset
    assert result.deleted >= 2 * 12, printed
    assert member_inventory(config, sessions) == before


def test_reset_prints_what_it_deletes_and_keeps_and_every_phase(first_reset, seeded):
    config, _, _, _ = seeded
    _, printed, _, _, _ = first_reset
    assert "Would delete" in printed and "Kept" in printed
    assert "the member access role (accounts.dev.role_name)" in printed
    assert "the default VPC (accounts.dev.reset_default_vpc = false)" in printed
    for region in config.control_regions:
        assert f"  {region}" in printed
    summary = printed[printed.index("Summary:") :].splitlines()
    assert len(summary) == 1 + dev_reset.PHASES
    assert "0 resources left to delete" in summary[-1]


def test_reset_leaves_management_untouched(first_reset, seeded):
    config, _, _, _ = seeded
    _, _, _, management, organization = first_reset
    assert workspaces.read_state(config, MANAGEMENT_STACK) == management
    assert aws.client(config, "organizations").list_accounts()["Accounts"] == organization


def test_a_second_reset_deletes_nothing_and_says_so(first_reset, seeded):
    config, stacks, sessions, before = seeded
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    assert result.deleted == 0
    assert "Nothing to delete" in printed.getvalue()
    assert member_inventory(config, sessions) == before


def test_a_demo_rerun_keeps_what_the_demo_did_not_make(first_reset, seeded, monkeypatch, capsys):
    """`make demo` again after exploring dev: its reset deletes its own click-ops unasked and,
    with no terminal to ask about the rest, keeps a queue made by hand, and says so."""
    config, stacks, sessions, before = seeded
    sqs = aws.client(config, "sqs", sessions[config.region])
    mine = sqs.create_queue(QueueName="my-experiment")["QueueUrl"]
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    try:
        result = demo.reset_click_ops(config, stacks, None)
        printed = capsys.readouterr().out
        now = member_inventory(config, sessions)
        assert mine in now[f"{config.region} queues"]
        assert (result.spared, result.deleted) == (1, 2 * len(config.control_regions) + 1)
        assert "No terminal to ask whether to delete them too, so they are kept" in printed
        assert "my-experiment" in printed and "not made by make demo" in printed
        assert "clicked-user" not in now["users"]
    finally:
        sqs.delete_queue(QueueUrl=mine)
    assert member_inventory(config, sessions) == before


# --- the generated config ------------------------------------------------------------------


def example_nuke_config() -> str:
    config = load("example")
    managed = nuke_config.Managed(
        ACCOUNT, ("acme-dev-experiments", "acme-support"), ("acme-dev-sandbox-222222222222",)
    )
    vpcs = [
        nuke_config.DefaultVpc(
            "vpc-0example", ("igw-0example",), ("rtb-0example",), "dopt-0example"
        )
    ]
    kept = nuke_config.keeps(config, ACCOUNT, managed, vpcs)
    return nuke_config.render_config(
        config,
        ACCOUNT,
        EXAMPLE_IDS["dev"],
        [EXAMPLE_IDS["management"]],
        nuke_config.regions(config, []),
        kept,
    )


def test_generated_config_matches_its_snapshot(request):
    actual = example_nuke_config()
    if request.config.getoption("--snapshot-update"):
        SNAPSHOT.write_text(actual)
        return
    expected = SNAPSHOT.read_text()
    assert actual == expected, "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), str(SNAPSHOT), "generated now"
        )
    )


def test_generated_config_is_yaml_naming_only_the_target():
    import yaml

    parsed = yaml.safe_load(example_nuke_config())
    assert list(parsed["accounts"]) == [EXAMPLE_IDS["dev"]]
    assert parsed["account-blocklist"] == [EXAMPLE_IDS["management"]]
    assert parsed["regions"] == ["global", "eu-west-1", "us-east-1"]
    assert "endpoints" not in parsed, "real AWS: no custom endpoints"
    assert json.dumps(parsed["accounts"]).count("OrganizationAccountAccessRole") >= 3
