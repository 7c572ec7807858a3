"""`make dev-reset` run again on the session's applied foundation, starting from its baseline:
the demo's reset, run again, deletes only what the demo made; a deletion that stops halfway says
what is left, and the next reset continues."""

from __future__ import annotations

import datetime
import re

import pytest

from scripts import aws
from scripts.commands import demo, dev_reset
from scripts.console import UserError
from scripts.guard import approval
from tests.emulator.dev_account import ACCOUNT, OUTSIDE, member_inventory, member_sessions
from tests.emulator.test_aws_nuke import aws_nuke_or_skip

# Two resets and the demo's on the applied foundation: beside test_dev_reset.py's, a chain of its
# own on another worker (tests/scheduling.py).
SCHEDULING_UNIT = "foundation: the dev reset again"


@pytest.fixture(scope="module")
def seeded(foundation, reset_logs):
    """The dev account back at its baseline (whatever another module on this worker left there):
    (config, stacks, sessions, inventory of the baseline)."""
    aws_nuke_or_skip()
    config, stacks = foundation
    dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    sessions = member_sessions(config, (*config.control_regions, OUTSIDE))
    return config, stacks, sessions, member_inventory(config, sessions)


def test_a_demo_rerun_keeps_what_the_demo_did_not_make(seeded, monkeypatch, capsys):
    """`make demo` again after exploring dev: its reset deletes its own click-ops (its learner-
    tagged instance among them) unasked and, with no terminal to ask about the rest, keeps a queue
    made by hand, and says so."""
    config, stacks, sessions, before = seeded
    sqs = aws.client(config, "sqs", sessions[config.region])
    mine = sqs.create_queue(QueueName="my-experiment")["QueueUrl"]
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    try:
        result = demo.reset_click_ops(config, stacks, None)
        printed = capsys.readouterr().out
        now = member_inventory(config, sessions)
        assert mine in now[f"{config.region} queues"]
        assert result.spared == 1
        assert result.deleted >= 2 * (len(config.control_regions) + 1) + 1 + 3
        assert "No terminal to ask whether to delete them too, so they are kept" in printed
        assert "my-experiment" in printed and "not made by make demo" in printed
        assert "clicked-user" not in now["users"]
        assert not now[f"{config.region} instances"]
    finally:
        sqs.delete_queue(QueueUrl=mine)
    assert member_inventory(config, sessions) == before


def test_a_deletion_that_stops_halfway_says_what_is_left_and_a_second_reset_continues(
    seeded,
):
    """An object under a governance-mode lock is what aws-nuke 2.16 cannot delete (it does not
    bypass the retention): the reset stops, saying what it deleted and what not; once the lock
    is lifted, the next reset deletes the rest."""
    config, stacks, sessions, before = seeded
    home = sessions[config.region]
    s3 = aws.client(config, "s3", home)
    bucket = f"learner-locked-{aws.account_id(config, home)}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    locked = s3.put_object(
        Bucket=bucket,
        Key="locked.txt",
        Body=b"kept for a day",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
    )["VersionId"]
    queue = aws.client(config, "sqs", home).create_queue(QueueName="learner-late")["QueueUrl"]
    with pytest.raises(UserError) as stopped:
        dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    said = str(stopped.value)
    assert re.search(r"aws-nuke's deletion stopped \(exit \d+\): \d+ resource\(s\) deleted", said)
    assert f"s3://{bucket}/locked.txt" in said
    assert f"Run `make dev-reset ENV={config.env_name} ACCOUNT={ACCOUNT}` again" in said
    assert "it continues with what is left" in said
    assert queue not in member_inventory(config, sessions)[f"{config.region} queues"]

    s3.delete_object(
        Bucket=bucket, Key="locked.txt", VersionId=locked, BypassGovernanceRetention=True
    )
    dev_reset.reset(config, ACCOUNT, stacks, auto_approve=True)
    assert member_inventory(config, sessions) == before
