"""The state bucket bootstrap against in-process moto: the pinned management account, the
bucket owner on every S3 call, and a bucket policy that is merged into rather than replaced."""

from __future__ import annotations

import dataclasses
import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from foundation import policies
from scripts import aws
from scripts.commands import bootstrap
from scripts.console import UserError

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

    def recording_client(config, service, boto_session=None):
        made = client(config, service, boto_session)
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
