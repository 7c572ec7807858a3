"""An S3 bucket locked down the same way wherever the foundation needs one."""

from __future__ import annotations

from collections.abc import Callable

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import (
    S3BucketPublicAccessBlock,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from foundation import policies

NONCURRENT_VERSION_DAYS = 30
INCOMPLETE_UPLOAD_DAYS = 7


class HardenedBucket(Construct):
    """Private, versioned, encrypted, owner-enforced bucket that refuses plain HTTP.

    `policy_statements(bucket_arn)` adds statements to the bucket policy beside the TLS deny;
    `expire_after_days` expires current objects; `keep` sets `prevent_destroy`; without
    `lifecycle` the bucket gets no lifecycle configuration (each create or update of one costs
    55 s in provider 5.100.0).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        expire_after_days: int | None = None,
        keep: bool = False,
        lifecycle: bool = True,
        policy_statements: Callable[[str], list[dict]] = lambda arn: [],
    ):
        super().__init__(scope, id)
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=keep),
        )
        bucket_id = self.bucket.id
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="AES256"
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        if lifecycle:
            S3BucketLifecycleConfiguration(
                self, "lifecycle", bucket=bucket_id, rule=[self._lifecycle_rule(expire_after_days)]
            )
        arn = self.bucket.arn
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=policies.to_json(
                policies.document(*policy_statements(arn), policies.deny_insecure_transport(arn))
            ),
            depends_on=[self.public_access_block],
        )

    @staticmethod
    def _lifecycle_rule(expire_after_days: int | None) -> S3BucketLifecycleConfigurationRule:
        expiration = (
            [S3BucketLifecycleConfigurationRuleExpiration(days=expire_after_days)]
            if expire_after_days
            else None
        )
        return S3BucketLifecycleConfigurationRule(
            id="retention",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter()],
            expiration=expiration,
            noncurrent_version_expiration=[
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=NONCURRENT_VERSION_DAYS
                )
            ],
            abort_incomplete_multipart_upload=[
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                    days_after_initiation=INCOMPLETE_UPLOAD_DAYS
                )
            ],
        )
