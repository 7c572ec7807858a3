"""Provider and S3 backend settings shared by every stack; the only place the emulator shows.

An emulator environment adds path-style S3, skipped credential checks and the emulator's tunnel
as the providers' proxy, and the backend's endpoint URLs; nothing else in the stacks differs
between the emulator and real AWS. The providers' endpoint is the runner's AWS_ENDPOINT_URL
(scripts/aws.py), not an `endpoints` block: the block, even empty, cost each provider process
~2 s of CPU in validation (measured: a dev plan 11.4 s CPU with it, 3.6 s without). Without that
variable a local stack still reaches nothing but the emulator: every other host goes to the
tunnel, which refuses it.
"""

from __future__ import annotations

from cdktf import DataTerraformRemoteStateS3, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
)
from constructs import Construct

from foundation.contract import MANAGED_BY
from foundation.model import Config

BACKEND_SERVICES = ("iam", "s3", "sts")


def aws_provider(
    stack: TerraformStack,
    config: Config,
    workspace: str,
    *,
    assume_role_arn: str | None = None,
    allowed_account_ids: list[str] | None = None,
) -> AwsProvider:
    """The stack's default provider, in the home region."""
    return AwsProvider(
        stack,
        "aws",
        region=config.region,
        **_provider_settings(config, workspace, assume_role_arn, allowed_account_ids),
    )


def regional_providers(
    stack: TerraformStack,
    config: Config,
    workspace: str,
    home: AwsProvider,
    *,
    assume_role_arn: str | None = None,
    allowed_account_ids: list[str] | None = None,
) -> dict[str, AwsProvider]:
    """A provider for each of `config.control_regions`, by region: `home` for the home region,
    an alias named after the region for each other one, with the same credentials, account check,
    tags and (on the emulator) settings as `home`."""
    providers = {config.region: home}
    for region in config.control_regions[1:]:
        providers[region] = AwsProvider(
            stack,
            f"aws_{region.replace('-', '_')}",
            alias=region,
            region=region,
            **_provider_settings(config, workspace, assume_role_arn, allowed_account_ids),
        )
    return providers


def _provider_settings(
    config: Config,
    workspace: str,
    assume_role_arn: str | None,
    allowed_account_ids: list[str] | None,
) -> dict:
    emulator = {}
    if config.emulator:
        # The provider never proxies a loopback address: the tunnel serves the names S3
        # Control prefixes to the endpoint, and refuses every real AWS host.
        emulator = dict(
            s3_use_path_style=True,
            skip_credentials_validation=True,
            skip_metadata_api_check="true",
            https_proxy=config.emulator.tunnel_url,
        )
    assume_role = (
        [AwsProviderAssumeRole(role_arn=assume_role_arn, session_name=f"{MANAGED_BY}-{workspace}")]
        if assume_role_arn
        else None
    )
    return dict(
        default_tags=[AwsProviderDefaultTags(tags=config.workspace_tags(workspace))],
        assume_role=assume_role,
        allowed_account_ids=allowed_account_ids,
        **emulator,
    )


def _backend_settings(config: Config, workspace: str) -> dict:
    settings = dict(
        bucket=config.state_bucket,
        key=config.state_key(workspace),
        region=config.region,
        encrypt=True,
    )
    if config.emulator:
        url = config.emulator.endpoint_url
        settings.update(
            endpoints=dict.fromkeys(BACKEND_SERVICES, url),
            use_path_style=True,
            skip_credentials_validation=True,
            skip_metadata_api_check=True,
            skip_requesting_account_id=True,
        )
    return settings


def s3_backend(stack: TerraformStack, config: Config, workspace: str) -> None:
    """Remote state with S3 native locking (`use_lockfile`), which cdktf 0.21 does not model."""
    S3Backend(stack, **_backend_settings(config, workspace))
    stack.add_override("terraform.backend.s3.use_lockfile", True)


def remote_state(scope: Construct, config: Config, workspace: str) -> DataTerraformRemoteStateS3:
    """Read another workspace's outputs from its remote state."""
    return DataTerraformRemoteStateS3(
        scope, f"{workspace}_state", **_backend_settings(config, workspace)
    )
