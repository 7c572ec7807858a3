"""Create the Terraform state bucket before the first `terraform init` (`make bootstrap`).

Idempotent: every hardening setting is checked and only what is missing is applied. A bucket
that belongs to someone else, or that exists without versioning (state history would be lost),
is refused rather than adopted. The credentials must be the management account the environment
file pins; every S3 call but CreateBucket (which has no such parameter) carries
ExpectedBucketOwner, so S3 itself refuses a bucket of another account. The TLS statement is
merged into a bucket policy that is already there; no other statement is touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from foundation import policies
from foundation.model import Config
from scripts import aws
from scripts.commands import Command
from scripts.commands.account_plan import plan_notice
from scripts.console import UserError, say
from scripts.guard.management import require_pinned_management_account

NONCURRENT_STATE_VERSION_DAYS = 90
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
_ENCRYPTION = {
    "Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
    ]
}
_LIFECYCLE = {
    "Rules": [
        {
            "ID": "expire-old-state-versions",
            "Status": "Enabled",
            "Filter": {},
            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_STATE_VERSION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
}


@dataclass(frozen=True)
class Setting:
    name: str
    in_place: Callable[[object, str], bool]
    apply: Callable[[object, str], None]


def _tls_statement(bucket: str) -> dict:
    return policies.deny_insecure_transport(f"arn:aws:s3:::{bucket}")


def _policy_statements(s3, bucket: str) -> tuple[dict, list[dict]]:
    """The bucket's policy document (an empty one if it has none) and its statements."""
    found = aws.unless_missing(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    document = json.loads(found["Policy"]) if found else policies.document()
    statements = document.get("Statement", [])
    return document, statements if isinstance(statements, list) else [statements]


def _comparable(statement: dict) -> dict:
    """A statement with its one-or-many values as sorted lists, as IAM reads them."""

    def many(value):
        return sorted(value) if isinstance(value, list) else [value]

    return {
        key: many(value) if key in ("Action", "NotAction", "Resource") else value
        for key, value in statement.items()
    }


def _has_tls_deny(s3, bucket: str) -> bool:
    wanted = _comparable(_tls_statement(bucket))
    return any(_comparable(found) == wanted for found in _policy_statements(s3, bucket)[1])


def _merge_tls_deny(s3, bucket: str) -> None:
    """Put the TLS statement into the bucket policy, replacing only a statement of the same Sid."""
    wanted = _tls_statement(bucket)
    document, statements = _policy_statements(s3, bucket)
    kept = [statement for statement in statements if statement.get("Sid") != wanted["Sid"]]
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({**document, "Statement": [*kept, wanted]})
    )


def _lifecycle_in_place(s3, bucket: str) -> bool:
    found = aws.unless_missing(
        lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket), "NoSuchLifecycleConfiguration"
    )
    return bool(found) and any(
        "NoncurrentVersionExpiration" in rule and rule["Status"] == "Enabled"
        for rule in found["Rules"]
    )


def _encryption_in_place(s3, bucket: str) -> bool:
    found = aws.unless_missing(
        lambda: s3.get_bucket_encryption(Bucket=bucket),
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    return bool(found and found["ServerSideEncryptionConfiguration"]["Rules"])


SETTINGS = (
    Setting(
        "versioning",
        lambda s3, b: s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled",
        lambda s3, b: s3.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": "Enabled"}
        ),
    ),
    Setting(
        "default encryption",
        _encryption_in_place,
        lambda s3, b: s3.put_bucket_encryption(
            Bucket=b, ServerSideEncryptionConfiguration=_ENCRYPTION
        ),
    ),
    Setting(
        "public access block",
        lambda s3, b: (
            aws.unless_missing(
                lambda: s3.get_public_access_block(Bucket=b), "NoSuchPublicAccessBlockConfiguration"
            )
            or {}
        ).get("PublicAccessBlockConfiguration")
        == _PUBLIC_ACCESS_BLOCK,
        lambda s3, b: s3.put_public_access_block(
            Bucket=b, PublicAccessBlockConfiguration=_PUBLIC_ACCESS_BLOCK
        ),
    ),
    Setting(
        "object ownership BucketOwnerEnforced",
        lambda s3, b: (
            aws.unless_missing(
                lambda: s3.get_bucket_ownership_controls(Bucket=b), "OwnershipControlsNotFoundError"
            )
            or {}
        )
        .get("OwnershipControls", {})
        .get("Rules", [{}])[0]
        .get("ObjectOwnership")
        == "BucketOwnerEnforced",
        lambda s3, b: s3.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        ),
    ),
    Setting(
        "bucket policy denying non-TLS requests (merged into any policy already there)",
        _has_tls_deny,
        _merge_tls_deny,
    ),
    Setting(
        "lifecycle expiring old state versions",
        _lifecycle_in_place,
        lambda s3, b: s3.put_bucket_lifecycle_configuration(
            Bucket=b, LifecycleConfiguration=_LIFECYCLE
        ),
    ),
)


def bootstrap(config: Config) -> list[str]:
    """Create or complete the state bucket; returns the settings it applied (empty: nothing)."""
    account_id = aws.account_id(config)
    require_pinned_management_account(config, account_id)
    say(plan_notice(config))
    s3 = aws.s3_client_of_owner(config, account_id)
    bucket = config.state_bucket
    status = aws.bucket_status(s3, bucket)
    if status == "foreign":
        raise UserError(
            f"State bucket '{bucket}' exists but is not in this account (access "
            f"denied). Bucket names are global: choose another `state.bucket` in "
            f"{config.source.name}."
        )
    if status == "ours" and s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise UserError(
            f"Bucket '{bucket}' exists without versioning, so it cannot hold state "
            "safely (an overwrite would lose history). Enable versioning on it "
            f"yourself if it is meant for state, or choose another `state.bucket`."
        )
    if status == "missing":
        location = (
            {}
            if config.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": config.region}}
        )
        s3.create_bucket(Bucket=bucket, **location)
        say(f"Created state bucket '{bucket}' in {config.region}.")
    applied = []
    for setting in SETTINGS:
        if not setting.in_place(s3, bucket):
            setting.apply(s3, bucket)
            applied.append(setting.name)
    if applied:
        say(f"State bucket '{bucket}': applied " + ", ".join(applied) + ".")
    else:
        say(
            f"State bucket '{bucket}' already in place: every setting as required, nothing changed."
        )
    return applied


COMMANDS = (
    Command(
        "bootstrap",
        "create or complete the hardened Terraform state bucket",
        lambda config, args: bootstrap(config),
    ),
)
