"""S3 bucket policies evaluated with their conditions (scripts/emulator/extensions/s3.py)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from foundation import policies
from scripts.emulator.extensions.s3 import (
    condition_holds,
    evaluate_bucket_policy_conditions,
)

BUCKET_ARN = "arn:aws:s3:::state"


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
        ({"StringEquals": {"aws:SourceArn": ["a", "b"]}}, {"aws:SourceArn": "b"}, True),
        (
            {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
            {"aws:PrincipalArn": "arn:aws:iam::1:root"},
            True,
        ),
        (
            {"NumericLessThan": {"s3:max-keys": "10"}},
            {"s3:max-keys": "5"},
            False,
        ),  # unknown operator
    ],
)
def test_condition_holds(condition, context, holds):
    assert condition_holds(condition, context) is holds


@pytest.fixture
def tls_only_bucket():
    evaluate_bucket_policy_conditions()
    bucket = FakeBucket("state", account_id="123456789012", region_name="us-east-1")
    bucket.policy = json.dumps(
        policies.document(policies.deny_insecure_transport(BUCKET_ARN))
    ).encode()
    return bucket


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("https", PermissionResult.NEUTRAL),
        ("http", PermissionResult.DENIED),
    ],
)
def test_tls_deny_applies_only_to_plain_http(tls_only_bucket, scheme, expected):
    with Flask(__name__).test_request_context(base_url=f"{scheme}://127.0.0.1:4566"):
        assert tls_only_bucket.get_permission("s3:PutObject", f"{BUCKET_ARN}/key") == expected


def test_unconditional_deny_still_denies(tls_only_bucket):
    tls_only_bucket.policy = json.dumps(
        policies.document(
            policies.statement(
                "DenyAll", "Deny", actions=["s3:*"], resources=[f"{BUCKET_ARN}/*"], principal="*"
            )
        )
    )
    assert (
        tls_only_bucket.get_permission("s3:GetObject", f"{BUCKET_ARN}/k") == PermissionResult.DENIED
    )


def test_a_suspended_buckets_versions_and_delete_markers_can_all_be_deleted(mocked_aws):
    """What a destroy does to a versioned bucket a reset has emptied (its objects behind
    delete markers): versioning suspended, then every version deleted, then the bucket."""
    s3 = mocked_aws("s3")
    s3.create_bucket(Bucket="sandbox")
    s3.put_bucket_versioning(Bucket="sandbox", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="sandbox", Key="notes.txt", Body=b"kept in a version")
    s3.delete_object(Bucket="sandbox", Key="notes.txt")
    s3.put_bucket_versioning(Bucket="sandbox", VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket="sandbox")
    versions = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]
    ]
    assert len(versions) == 2
    deleted = s3.delete_objects(Bucket="sandbox", Delete={"Objects": versions})
    assert not deleted.get("Errors")
    listed = s3.list_object_versions(Bucket="sandbox")
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")
    s3.delete_bucket(Bucket="sandbox")
