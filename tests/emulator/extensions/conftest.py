"""Fixtures the extension tests of several services share."""

from __future__ import annotations

import pytest

from scripts import aws


@pytest.fixture
def organization_with_member(mocked_aws):
    """An organization and one member account; returns (member id, a session in the member)."""
    organizations = mocked_aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="dev@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    credentials = mocked_aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    session = aws.new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )
    return member, session


@pytest.fixture
def organization_trail(mocked_aws):
    """organization_trail(name="org-trail") makes a multi-region organization trail and returns
    its ARN."""

    def make(name: str = "org-trail") -> str:
        mocked_aws("s3").create_bucket(Bucket="org-trail-logs")
        return mocked_aws("cloudtrail").create_trail(
            Name=name,
            S3BucketName="org-trail-logs",
            IsMultiRegionTrail=True,
            IsOrganizationTrail=True,
        )["TrailARN"]

    return make
