"""`make dev-reset` on the session's applied foundation, with the real aws-nuke: click-ops in the
dev account in both allowed regions, in a region outside the allowed list (made while the
guardrail was detached, as in an adopted account) and in an opt-in region the account enabled,
and resources tagged the way a learner's own code tags them (an EC2 instance with its volume and
network interface among them), are all deleted; the member role, the alias, the default VPCs and
the rebuilt baseline stay; management is untouched; the proof names the regions it covered; a
service aws-nuke has no resource type for is named; a second reset deletes nothing; the demo's
reset, run again, deletes only what the demo made. Every refusal leaves the seeded resources in
place.

The emulator enforces the guardrails SCP: the region outside the allowed list is seeded with it
detached, as in an account adopted with history, and the reset's sessions of the member role,
which the region guardrail exempts, delete what is there with it attached.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest
from botocore.exceptions import ClientError

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
    RESET_SESSION_NAME,
)
from scripts import aws, workspaces
from scripts.commands import dev_reset
from scripts.commands.demo import LEARNER_TAGS, guardrail_detached, seed_tagged_instance
from scripts.console import Aborted
from scripts.guard import approval
from scripts.guard.checks import (
    REASON_MANAGEMENT_CREDENTIALS,
    REASON_MANAGEMENT_STACK,
    REASON_NUKE_CONFIG,
    REASON_NUKE_MISSING,
    Refused,
)
from tests.emulator.dev_account import (
    ACCOUNT,
    OPT_IN,
    OUTSIDE,
    member_inventory,
    member_role,
    member_sessions,
)
from tests.emulator.test_aws_nuke import LAMBDA_TRUST, aws_nuke_or_skip, seed_iam, seed_region

# Four resets of every enabled region on the applied foundation: a long chain of its own, on a
# worker of its own (tests/scheduling.py); test_dev_reset_again.py holds two more.
SCHEDULING_UNIT = "foundation: the dev reset"
# The member role's longest session, raised from the default hour: aws-nuke's runs get it.
MAX_SESSION_SECONDS = 7200


def seed_learner_tagged(config, session, account_id: str) -> None:
    """What a learner's own Terraform makes, tagged `workspace = dev` and the like: an instance
    with a second volume and a second network interface attached, a role, a bucket, a queue."""
    region = session.region_name
    seed_tagged_instance(config, session)
    tags = [{"Key": k, "Value": v} for tag in LEARNER_TAGS for k, v in tag.items()]
    aws.client(config, "iam", session).create_role(
        RoleName=f"learner-tagged-{region}",
        AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
        Tags=tags,
    )
    s3 = aws.client(config, "s3", session)
    bucket = f"learner-tagged-{account_id}-{region}"
    location = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    aws.client(config, "sqs", session).create_queue(
        QueueName="learner-tagged", tags={t["Key"]: t["Value"] for t in tags}
    )


@pytest.fixture(scope="module")
def seeded(foundation, reset_logs):
    """Click-ops and learner-tagged resources in dev, in the allowed regions, outside them and
    in an opt-in region; (config, stacks, sessions, inventory before)."""
    aws_nuke_or_skip()
    config, stacks = foundation
    home = member_sessions(config)[config.region]
    account_id = aws.account_id(config, home)
    aws.client(config, "account", home).enable_region(RegionName=OPT_IN)
    with guardrail_detached(config, account_id):  # it keeps the member role as it is
        aws.client(config, "iam", home).update_role(
            RoleName=config.account(ACCOUNT).role_name, MaxSessionDuration=MAX_SESSION_SECONDS
        )
    sessions = member_sessions(config)
    before = member_inventory(config, sessions)
    seed_iam(config, sessions[config.region])
    for region in config.control_regions:
        seed_region(config, sessions[region], account_id)
        seed_learner_tagged(config, sessions[region], account_id)
    with guardrail_detached(config, account_id):
        seed_region(config, sessions[OUTSIDE], account_id)
        seed_learner_tagged(config, sessions[OUTSIDE], account_id)
        aws.client(config, "sqs", sessions[OPT_IN]).create_queue(QueueName="learner-opt-in")
    # A service the installed aws-nuke (2.16) has no resource type for.
    aws.client(config, "bedrock", sessions[config.region]).list_custom_models()
    yield config, stacks, sessions, before
    aws.client(config, "account", home).disable_region(RegionName=OPT_IN)


def seeded_still_there(config, sessions) -> bool:
    now = member_inventory(config, sessions)
    return "learner" in now["users"] and all(
        "learner-table" in now[f"{region} tables"] for region in (*config.control_regions, OUTSIDE)
    )


def refused(config, stacks, account=ACCOUNT, **kwargs) -> list[str]:
    management = workspaces.read_state(config, MANAGEMENT_STACK)
    with pytest.raises(Refused) as refusal:
        dev_reset.reset(config, account, stacks, auto_approve=True, **kwargs)
    assert workspaces.read_state(config, MANAGEMENT_STACK) == management
    return refusal.value.reasons


def starting(reasons: list[str], reason: str) -> list[str]:
    return [r for r in reasons if r.startswith(reason)]


def test_outside_the_allowed_regions_only_the_resets_sessions_act(seeded):
    """The region guardrail, as the emulator enforces it: another session of the member role,
    and a role of the account under the reset's session name, are denied there; the reset's
    session of the member role reads there (and deletes, the reset below)."""
    config, _, sessions, _ = seeded
    plain = aws.assume_role(config, member_role(config), "learner-at-the-console", region=OUTSIDE)
    with pytest.raises(ClientError, match="explicit deny in a service control policy"):
        aws.client(config, "sqs", plain).list_queues()
    iam = aws.client(config, "iam", sessions[config.region])
    own = iam.get_role(RoleName="learner-role")["Role"]["Arn"]
    iam.update_assume_role_policy(
        RoleName="learner-role",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": member_role(config)},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    named_so = aws.assume_role(
        config, own, RESET_SESSION_NAME, boto_session=sessions[config.region], region=OUTSIDE
    )
    with pytest.raises(ClientError, match="explicit deny in a service control policy"):
        aws.client(config, "sqs", named_so).list_queues()
    assert aws.client(config, "sqs", sessions[OUTSIDE]).list_queues()["QueueUrls"]


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
    assert "apt-get install aws-nuke" in reason and "brew install aws-nuke" in reason
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


def test_reset_deletes_everything_made_in_every_enabled_region_and_keeps_the_baseline(
    first_reset, seeded
):
    config, _, sessions, _ = seeded
    result, printed, before, _, _ = first_reset
    assert result.deleted >= 3 * 12, printed
    assert member_inventory(config, sessions) == before
    assert {*config.control_regions, OUTSIDE, OPT_IN} <= set(result.regions)


def test_what_a_learners_code_tags_like_the_foundation_is_not_kept(first_reset):
    _, printed, _, _, _ = first_reset
    kept = printed[printed.index("Kept") : printed.index("Confirmation skipped")]
    assert "learner-tagged" not in kept
    # Instances terminated before (by a module that ran earlier on this worker's foundation)
    # are listed until EC2 forgets them; the learner's running one must not be kept.
    instances = [line for line in kept.splitlines() if line.split()[:1] == ["EC2Instance"]]
    assert all(line.endswith("aws-nuke: already terminated") for line in instances), instances
    assert "made by the 'dev' workspace (tag cdktf-aws-foundation:workspace)" in kept


def test_reset_prints_what_it_deletes_keeps_covers_and_every_phase(first_reset, seeded):
    config, _, _, _ = seeded
    _, printed, _, _, _ = first_reset
    assert "Would delete" in printed and "Kept" in printed
    assert "the member access role (accounts.dev.role_name)" in printed
    assert "the default VPC (accounts.dev.reset_default_vpc = false)" in printed
    for region in (*config.control_regions, OUTSIDE, OPT_IN):
        assert f"  {region}" in printed, region
    [proof] = [line for line in printed.splitlines() if "pass   0 resources to delete" in line]
    assert OUTSIDE in proof and OPT_IN in proof and "cn-north-1" not in proof
    summary = printed[printed.index("Summary:") :].splitlines()
    assert len(summary) == 1 + dev_reset.PHASES
    assert "0 resources left to delete in 18 regions" in summary[-1]


def test_a_service_aws_nuke_cannot_delete_is_named(first_reset):
    _, printed, _, _, _ = first_reset
    assert re.search(r"You used bedrock: .* check them by hand", printed), printed
    assert "NOT COVERED: bedrock" in printed
    assert not re.search(r"You used (sqs|ec2|s3|iam|sts)\b", printed)


def test_each_aws_nuke_run_has_fresh_credentials_for_the_roles_longest_session(
    first_reset, reset_logs
):
    log = (reset_logs / f"local-{ACCOUNT}-aws-nuke.log").read_text()
    sessions = re.findall(r"credentials: a new session of (\d+) s", log)
    assert sessions == [str(MAX_SESSION_SECONDS)] * 3


def test_reset_leaves_management_untouched(first_reset, seeded):
    config, _, _, _ = seeded
    _, _, _, management, organization = first_reset
    assert workspaces.read_state(config, MANAGEMENT_STACK) == management
    assert aws.client(config, "organizations").list_accounts()["Accounts"] == organization


def test_a_second_reset_deletes_nothing_and_names_no_service_again(first_reset, seeded):
    config, stacks, sessions, before = seeded
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    assert result.deleted == 0
    assert "Nothing to delete" in printed.getvalue()
    assert "The preview's dry run is the proof" in printed.getvalue()
    assert "You used bedrock" not in printed.getvalue(), "used before the last reset"
    assert member_inventory(config, sessions) == before
