"""The organization-wide, all-region CloudTrail trail and its hardened log bucket."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudtrail import Cloudtrail
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.iam_service_linked_role import IamServiceLinkedRole
from constructs import Construct

from foundation import policies
from foundation.model import Config
from modules.hardened_bucket import HardenedBucket

CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"


class AuditTrail(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: Config, organization_id: str, depends_on: list
    ):
        super().__init__(scope, id)
        account_id = DataAwsCallerIdentity(self, "management_account").account_id
        trail_arn = f"arn:aws:cloudtrail:{config.region}:{account_id}:trail/{config.trail.name}"
        self.log_bucket = HardenedBucket(
            self,
            "log_bucket",
            bucket_name=config.trail.bucket,
            expire_after_days=config.trail.retention_days,
            keep=True,
            policy_statements=lambda arn: policies.cloudtrail_writes(
                arn, trail_arn, organization_id, account_id
            ),
        )
        # An organization trail needs CloudTrail's service-linked role in the management account.
        # Enabling trusted access through the Organizations API (as Terraform does) is not
        # guaranteed to create it, and CreateTrail then fails with
        # InsufficientDependencyServiceAccessPermissionException, so it is created here first.
        self.service_role = IamServiceLinkedRole(
            self, "service_role", aws_service_name=CLOUDTRAIL_SERVICE
        )
        self.trail = Cloudtrail(
            self,
            "trail",
            name=config.trail.name,
            s3_bucket_name=self.log_bucket.bucket.id,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            depends_on=[self.log_bucket.policy, self.service_role, *depends_on],
        )
