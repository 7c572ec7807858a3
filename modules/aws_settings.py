"""Provider and S3 backend settings shared by every stack; the only place the emulator shows.

An emulator environment adds endpoint URLs, path-style S3 and skipped credential checks;
nothing else in the stacks differs between the emulator and real AWS.
"""

from __future__ import annotations

from cdktf import DataTerraformRemoteStateS3, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
    AwsProviderEndpoints,
)
from constructs import Construct

from foundation.config import Config
from foundation.contract import MANAGED_BY

# Every service the stacks call; each gets the emulator endpoint in an emulator environment.
SERVICES = ("accessanalyzer", "budgets", "ce", "cloudtrail", "iam", "organizations", "s3", "sts")
BACKEND_SERVICES = ("iam", "s3", "sts")


def aws_provider(stack: TerraformStack, config: Config, workspace: str, *,
                 assume_role_arn: str | None = None,
                 allowed_account_ids: list[str] | None = None) -> AwsProvider:
    emulator = {}
    if config.emulator:
        url = config.emulator.endpoint_url
        emulator = dict(endpoints=[AwsProviderEndpoints(**{s: url for s in SERVICES})],
                        s3_use_path_style=True, skip_credentials_validation=True,
                        skip_metadata_api_check="true")
    assume_role = [AwsProviderAssumeRole(role_arn=assume_role_arn,
                                         session_name=f"{MANAGED_BY}-{workspace}")] \
        if assume_role_arn else None
    return AwsProvider(stack, "aws", region=config.region,
                       default_tags=[AwsProviderDefaultTags(tags=config.workspace_tags(workspace))],
                       assume_role=assume_role, allowed_account_ids=allowed_account_ids,
                       **emulator)


def _backend_settings(config: Config, workspace: str) -> dict:
    settings = dict(bucket=config.state_bucket, key=config.state_key(workspace),
                    region=config.region, encrypt=True)
    if config.emulator:
        url = config.emulator.endpoint_url
        settings.update(endpoints={s: url for s in BACKEND_SERVICES}, use_path_style=True,
                        skip_credentials_validation=True, skip_metadata_api_check=True,
                        skip_requesting_account_id=True)
    return settings


def s3_backend(stack: TerraformStack, config: Config, workspace: str) -> None:
    """Remote state with S3 native locking (`use_lockfile`), which cdktf 0.21 does not model."""
    S3Backend(stack, **_backend_settings(config, workspace))
    stack.add_override("terraform.backend.s3.use_lockfile", True)


def remote_state(scope: Construct, config: Config, workspace: str) -> DataTerraformRemoteStateS3:
    """Read another workspace's outputs from its remote state."""
    return DataTerraformRemoteStateS3(scope, f"{workspace}_state",
                                      **_backend_settings(config, workspace))
