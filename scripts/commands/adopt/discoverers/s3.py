"""S3: the log bucket and its settings, the account's public access block."""

from __future__ import annotations

from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, Finding


def _bucket(d: Discovery, address: str, body: dict) -> Finding:
    name = body["bucket"]
    what = f"S3 bucket {name}"
    status = aws.bucket_status(d.client("s3"), name)
    if status == "foreign":
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"it exists but not in account {d.caller} (bucket names are global): choose "
                f"another trail.bucket in {d.config.source.name}"
            ),
        )
    return (
        Finding(address, what, IMPORT, name) if status == "ours" else Finding(address, what, CREATE)
    )


def _versioning_set(response: dict) -> dict | None:
    """A bucket whose versioning was never set answers without a Status."""
    return response if response.get("Status") else None


# S3 sub-resources: (what, the read of its configuration, error codes meaning "none set")
_BUCKET_SETTINGS = {
    "aws_s3_bucket_versioning": (
        "versioning",
        lambda s3, b: _versioning_set(s3.get_bucket_versioning(Bucket=b)),
        (),
    ),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "default encryption",
        lambda s3, b: s3.get_bucket_encryption(Bucket=b),
        ("ServerSideEncryptionConfigurationNotFoundError",),
    ),
    "aws_s3_bucket_public_access_block": (
        "public access block",
        lambda s3, b: s3.get_public_access_block(Bucket=b),
        ("NoSuchPublicAccessBlockConfiguration",),
    ),
    "aws_s3_bucket_ownership_controls": (
        "object ownership",
        lambda s3, b: s3.get_bucket_ownership_controls(Bucket=b),
        ("OwnershipControlsNotFoundError",),
    ),
    "aws_s3_bucket_lifecycle_configuration": (
        "lifecycle rules",
        lambda s3, b: s3.get_bucket_lifecycle_configuration(Bucket=b),
        ("NoSuchLifecycleConfiguration",),
    ),
    "aws_s3_bucket_policy": (
        "bucket policy",
        lambda s3, b: s3.get_bucket_policy(Bucket=b),
        ("NoSuchBucketPolicy",),
    ),
}


def _bucket_setting(d: Discovery, address: str, body: dict) -> Finding:
    setting, read, missing = _BUCKET_SETTINGS[address.split(".")[0]]
    bucket = d.value(body["bucket"])
    what = f"{setting} of bucket {d.label(body['bucket'], 'bucket')}"
    if bucket is None:
        return Finding(address, what, CREATE)
    found = aws.unless_missing(lambda: read(d.client("s3"), bucket), *missing)
    if found is None:
        return Finding(address, what, CREATE)
    return Finding(
        address,
        what,
        IMPORT,
        bucket,
        why="replaced by ours"
        + (
            ": statements you added are dropped, so a trail of yours writing here loses its access"
            if setting == "bucket policy"
            else ""
        ),
    )


def _account_public_access_block(d: Discovery, address: str, body: dict) -> Finding:
    what = "S3 public access block of the account"
    found = aws.unless_missing(
        lambda: d.client("s3control").get_public_access_block(AccountId=d.caller),
        "NoSuchPublicAccessBlockConfiguration",
    )
    return (
        Finding(address, what, IMPORT, d.caller, why="replaced by ours")
        if found
        else Finding(address, what, CREATE)
    )


discovers("aws_s3_bucket")(_bucket)
discovers("aws_s3_account_public_access_block")(_account_public_access_block)
discovers(*_BUCKET_SETTINGS)(_bucket_setting)
