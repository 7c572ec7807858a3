"""Account Management: alternate contacts as AWS allows them, and which Regions an account has
enabled."""

from __future__ import annotations

import functools

from scripts.emulator.extensions.organizations import trusting_organization
from scripts.emulator.extensions.registry import extension, wrap

ACCOUNT_SERVICE_PRINCIPAL = "account.amazonaws.com"


@extension
def alternate_contacts_need_trusted_access() -> None:
    """Account Management's alternate contacts with an AccountId, as AWS documents them: only
    the organization's management account may name an account, only a member account of its
    organization (never itself), and only with trusted access for account.amazonaws.com. moto
    answers any caller for any account id."""
    from moto.account.responses import AccountResponse
    from moto.core.exceptions import JsonRESTError

    def guarded(operation):
        def action(response):
            reason = _refusal(response)
            if reason:
                raise JsonRESTError("AccessDeniedException", reason)
            return operation(response)

        return action

    for name in ("put_alternate_contact", "get_alternate_contact", "delete_alternate_contact"):
        wrap(AccountResponse, name, guarded)


def _refusal(response) -> str | None:
    """Why a request naming an AccountId is refused, or None (also when it names none)."""
    target = response._get_param("AccountId")
    if not target:
        return None
    caller = response.current_account
    if target == caller:
        return (
            "The management account can't specify its own AccountId; call the operation without it."
        )
    backend = trusting_organization(caller, response.partition, ACCOUNT_SERVICE_PRINCIPAL)
    if backend is None:
        return (
            f"The caller {caller} is not the management account of an organization with "
            f"trusted access enabled for {ACCOUNT_SERVICE_PRINCIPAL}."
        )
    if target not in [account.id for account in backend.accounts]:
        return f"Account {target} is not a member of the caller's organization."
    return None


# Regions launched before March 20, 2019: enabled in every account of the `aws` partition, and
# never enabled or disabled; every later one is an opt-in Region, disabled until enabled
# (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
DEFAULT_REGIONS = frozenset(
    {
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)


@functools.cache
def partition_regions(partition: str) -> tuple[str, ...]:
    """The Regions of one partition: an account sees its own partition's only (China and
    GovCloud accounts are separate; https://docs.aws.amazon.com/global-infrastructure/latest/
    regions/aws-regions.html). Read once: a new boto3 session reads botocore's endpoints."""
    import boto3

    return tuple(sorted(boto3.Session().get_available_regions("ec2", partition_name=partition)))


def region_opt_status(account_id: str, partition: str, region: str) -> str:
    """Account Management's RegionOptStatus: ENABLED_BY_DEFAULT, ENABLED or DISABLED."""
    if partition != "aws" or region in DEFAULT_REGIONS:
        return "ENABLED_BY_DEFAULT"
    return "ENABLED" if region in _enabled_opt_in_regions(account_id, partition) else "DISABLED"


def _enabled_opt_in_regions(account_id: str, partition: str) -> set[str]:
    """The opt-in Regions an account enabled, kept on its Account Management backend (so a new
    mock starts without any)."""
    from moto.account.models import account_backends

    backend = account_backends[account_id][partition]
    if not hasattr(backend, "enabled_opt_in_regions"):
        backend.enabled_opt_in_regions = set()
    return backend.enabled_opt_in_regions


@extension
def region_opt_in() -> None:
    """Account Management's Regions: ListRegions, GetRegionOptStatus, EnableRegion and
    DisableRegion, for the caller's own account or (AccountId) a member of the organization it
    manages, with trusted access as for alternate contacts. A default Region can be neither
    enabled nor disabled (ValidationException), as on AWS; enabling takes effect at once here,
    where AWS passes through ENABLING for minutes. moto has none of them."""
    from moto.account import urls
    from moto.account.responses import AccountResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult

    from scripts.emulator.extensions.registry import one_page

    for path in ("listRegions", "getRegionOptStatus", "enableRegion", "disableRegion"):
        urls.url_paths.setdefault(f"{{0}}/{path}$", AccountResponse.dispatch)

    def target(response) -> str:
        reason = _refusal(response)
        if reason:
            raise JsonRESTError("AccessDeniedException", reason)
        return response._get_param("AccountId") or response.current_account

    def known(response) -> str:
        region = response._get_param("RegionName")
        if region not in partition_regions(response.partition):
            raise JsonRESTError("ValidationException", f"{region} is not a valid Region name.")
        return region

    def list_regions(response) -> ActionResult:
        account = target(response)
        wanted = response._get_param("RegionOptStatusContains") or []
        regions = [
            {"RegionName": region, "RegionOptStatus": status}
            for region in partition_regions(response.partition)
            if (status := region_opt_status(account, response.partition, region)) in wanted
            or not wanted
        ]
        page, token = one_page(
            regions, response._get_param("MaxResults"), response._get_param("NextToken")
        )
        return ActionResult({"Regions": page, **({"NextToken": token} if token else {})})

    def get_region_opt_status(response) -> ActionResult:
        account, region = target(response), known(response)
        status = region_opt_status(account, response.partition, region)
        return ActionResult({"RegionName": region, "RegionOptStatus": status})

    def setter(enable: bool):
        def action(response) -> EmptyResult:
            account, region = target(response), known(response)
            if region_opt_status(account, response.partition, region) == "ENABLED_BY_DEFAULT":
                raise JsonRESTError(
                    "ValidationException",
                    f"{region} is enabled by default and cannot be enabled or disabled.",
                )
            enabled = _enabled_opt_in_regions(account, response.partition)
            (enabled.add if enable else enabled.discard)(region)
            return EmptyResult()

        return action

    AccountResponse.list_regions = list_regions
    AccountResponse.get_region_opt_status = get_region_opt_status
    AccountResponse.enable_region = setter(True)
    AccountResponse.disable_region = setter(False)
