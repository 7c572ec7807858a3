"""IAM: centralized root access, list answers and policy resources as on AWS."""

from __future__ import annotations

from foundation.contract import ROOT_ACCESS_FEATURES
from scripts.emulator.extensions.organizations import (
    IAM_SERVICE_PRINCIPAL,
    trusting_organization,
)
from scripts.emulator.extensions.registry import extension, wrap


@extension
def iam_organizations_features() -> None:
    """IAM's centralized root access for member accounts: Enable/Disable
    OrganizationsRootCredentialsManagement and OrganizationsRootSessions, and
    ListOrganizationsFeatures. As in AWS, they need an organization with IAM trusted access."""
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse

    class ServiceAccessNotEnabled(IAMException):
        code = "ServiceAccessNotEnabledException"

    enabled: dict[str, set[str]] = {}  # management account id -> enabled features

    def organization(response):
        backend = trusting_organization(
            response.current_account, response.partition, IAM_SERVICE_PRINCIPAL
        )
        if backend is None:
            raise ServiceAccessNotEnabled(
                "The request failed because IAM trusted access is not enabled in AWS Organizations."
            )
        return backend.org

    def setter(feature: str, enable: bool):
        def action(response):
            org = organization(response)
            features = enabled.setdefault(response.current_account, set())
            (features.add if enable else features.discard)(feature)
            result = {"OrganizationId": org.id, "EnabledFeatures": sorted(features)}
            return ActionResult(result)

        return action

    def list_organizations_features(response):
        org = organization(response)
        return ActionResult(
            {
                "OrganizationId": org.id,
                "EnabledFeatures": sorted(enabled.get(response.current_account, ())),
            }
        )

    for feature in ROOT_ACCESS_FEATURES:
        setattr(IamResponse, f"enable_organizations_{_snake(feature)}", setter(feature, True))
        setattr(IamResponse, f"disable_organizations_{_snake(feature)}", setter(feature, False))
    IamResponse.list_organizations_features = list_organizations_features


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


@extension
def iam_lists_say_if_truncated() -> None:
    """IAM List* answers always carry IsTruncated, as AWS's do (false here: moto answers every
    item in one page). Where moto left it out (ListInstanceProfiles, ListAccessKeys,
    ListGroups, ...), clients that read it without a nil check crashed: aws-nuke 2.16's
    IAMInstanceProfile listing panicked."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def with_is_truncated(list_action):
        def action(response):
            result = list_action(response)
            if isinstance(result, ActionResult) and isinstance(result.result, dict):
                result.result.setdefault("IsTruncated", False)
            return result

        return action

    for name in [n for n in vars(IamResponse) if n.startswith("list_")]:
        wrap(IamResponse, name, with_is_truncated)


@extension
def iam_root_user_resource() -> None:
    """IAM policies may name a root user, `arn:aws:iam::<account>:root`, as a Resource: the
    resource type of sts:AssumeRoot (centralized root access, Nov 2024). moto's policy validator
    predates it and refused the document."""
    from moto.iam.policy_validation import VALID_RESOURCE_PATH_STARTING_VALUES

    paths = VALID_RESOURCE_PATH_STARTING_VALUES["iam"]["values"]
    if "root" not in paths:
        paths.append("root")
