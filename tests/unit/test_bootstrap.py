"""The state bucket bootstrap against in-process moto: the pinned management account, the
bucket owner on every S3 call, a bucket policy that is merged into rather than replaced, and
what the management account's plan means (said by bootstrap and adopt)."""

from __future__ import annotations

import dataclasses
import json
import sys

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID

from foundation import policies
from scripts import aws
from scripts.commands import bootstrap
from scripts.commands.account_plan import plan_notice
from scripts.console import UserError
from scripts.emulator.extensions import free_tier
from scripts.emulator.extensions.free_tier import ACCOUNT_PLAN_VARIABLE

OTHER_STATEMENT = policies.statement(
    "AllowAuditorRead",
    actions=["s3:GetObject"],
    resources=["arn:aws:s3:::{bucket}/*"],
    principal={"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/auditor"},
)


@pytest.fixture
def config(mocked_example, example_config):
    """The example environment pinned to moto's account."""
    return dataclasses.replace(example_config, management_account_id=DEFAULT_ACCOUNT_ID)


@pytest.fixture
def s3_requests(monkeypatch) -> list[tuple[str, str | None]]:
    """(operation, x-amz-expected-bucket-owner header) of every S3 request bootstrap sends."""
    sent: list[tuple[str, str | None]] = []
    client = aws.client

    def recording_client(config, service, boto_session=None, **options):
        made = client(config, service, boto_session, **options)
        if service == "s3":
            made.meta.events.register(
                "before-call.s3.*",
                lambda model, params, **_: sent.append(
                    (model.name, params["headers"].get("x-amz-expected-bucket-owner"))
                ),
            )
        return made

    monkeypatch.setattr(aws, "client", recording_client)
    return sent


def test_refuses_credentials_of_another_account_before_any_s3_call(
    mocked_example, example_config, s3_requests
):
    assert example_config.management_account_id != DEFAULT_ACCOUNT_ID
    pinned = example_config.management_account_id
    with pytest.raises(
        UserError,
        match=f"account {DEFAULT_ACCOUNT_ID}, but example.toml pins "
        f"the management account {pinned}",
    ):
        bootstrap.bootstrap(example_config)
    assert s3_requests == []
    assert mocked_example("s3").list_buckets()["Buckets"] == []


def test_every_s3_call_but_create_bucket_names_the_expected_owner(config, s3_requests):
    bootstrap.bootstrap(config)
    assert ("CreateBucket", None) in s3_requests
    others = [(operation, owner) for operation, owner in s3_requests if operation != "CreateBucket"]
    assert {operation for operation, _ in others} >= {
        "HeadBucket",
        "PutBucketVersioning",
        "PutBucketPolicy",
        "GetBucketPolicy",
        "PutBucketLifecycleConfiguration",
    }
    assert {owner for _, owner in others} == {DEFAULT_ACCOUNT_ID}


def test_an_existing_bucket_policy_keeps_its_statements(config, mocked_example):
    s3 = mocked_example("s3", config.region)
    bucket = config.state_bucket
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    other = json.loads(json.dumps(OTHER_STATEMENT).replace("{bucket}", bucket))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policies.document(other)))

    assert any(
        name.startswith("bucket policy denying non-TLS") for name in bootstrap.bootstrap(config)
    )
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statements == [other, policies.deny_insecure_transport(f"arn:aws:s3:::{bucket}")]
    assert bootstrap.bootstrap(config) == []  # merged once, then found in place


def test_an_outdated_tls_statement_is_replaced_not_duplicated(config, mocked_example):
    s3 = mocked_example("s3", config.region)
    bucket = config.state_bucket
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    outdated = {**policies.deny_insecure_transport(f"arn:aws:s3:::{bucket}"), "Action": "s3:Get*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policies.document(outdated)))

    bootstrap.bootstrap(config)
    [statement] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement == policies.deny_insecure_transport(f"arn:aws:s3:::{bucket}")


# --- the management account's plan (Free Tier API GetAccountPlanState) -------------------------


@pytest.mark.parametrize(
    "plan, said",
    [
        ("PAID", ["on the paid plan", "budgets count gross cost"]),
        (
            "FREE",
            [
                "on AWS's free plan until ",
                "USD 100.00 of credits left",
                "the account closes, and with it the organization",
                "docs/real-aws.md#the-account-plan",
                "aws freetier upgrade-account-plan --account-plan-type PAID",
            ],
        ),
    ],
)
def test_bootstrap_says_what_the_account_plan_means(config, monkeypatch, capsys, plan, said):
    monkeypatch.setenv(ACCOUNT_PLAN_VARIABLE, plan)
    bootstrap.bootstrap(config)
    out = capsys.readouterr().out
    assert [text for text in said if text not in out] == []


def test_an_expired_free_plan_says_to_upgrade(config, mocked_example, monkeypatch):
    monkeypatch.setenv(ACCOUNT_PLAN_VARIABLE, "FREE")
    mocked_example("freetier", "us-east-1").get_account_plan_state()
    sys.modules[free_tier.MOTO_MODULE].freetier_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].plan[
        "accountPlanStatus"
    ] = "EXPIRED"
    notice = plan_notice(config)
    assert "free plan has ended (EXPIRED)" in notice and "upgrade-account-plan" in notice


def test_an_unreadable_plan_is_said_and_does_not_stop(config, monkeypatch):
    def denied(config, boto_session=None):
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
            "GetAccountPlanState",
        )

    monkeypatch.setattr(aws, "account_plan", denied)
    assert plan_notice(config).startswith(
        "The management account's plan could not be read (GetAccountPlanState answered "
        "AccessDeniedException: not allowed)"
    )
