"""IAM: centralized root access, list answers, policy resources and service last accessed data
as on AWS."""

from __future__ import annotations

from foundation.contract import ROOT_ACCESS_FEATURES
from scripts.emulator.extensions.organizations import (
    IAM_SERVICE_PRINCIPAL,
    trusting_organization,
)
from scripts.emulator.extensions.registry import extension, one_page, wrap


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


# SigV4 signing names that differ from the service's IAM namespace.
_NAMESPACE_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}


@extension
def service_last_accessed() -> None:
    """IAM's service last accessed data: every request signed with an IAM user's or an assumed
    role's key is recorded against that user or role (the service from the request's signature,
    its Region, the time), and GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails
    (in pages: MaxItems, Marker) answer from that record for users and roles, as a report of the
    moment it was generated
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html): an
    attempt counts, allowed or not. Jobs complete at once here; AWS reports IN_PROGRESS first,
    and also lists, without a date, the services the entity's policies allow and it never
    used. Groups and policies are not implemented (501). moto has neither action."""
    import re
    import threading
    import uuid

    from moto.core.responses import ActionResult, BaseResponse
    from moto.core.utils import utcnow
    from moto.iam.exceptions import NoSuchEntity
    from moto.iam.models import iam_backends
    from moto.iam.responses import IamResponse

    scope = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
    lock = threading.Lock()

    def record(response) -> None:
        backend = iam_backends[response.current_account][response.partition]
        key = backend.access_keys.get(response.access_key)
        if key is None:
            return
        if key.role_arn:
            entity = key.role_arn
        elif key.user_name and key.user_name in backend.users:
            entity = backend.users[key.user_name].arn
        else:
            return
        found = scope.search(response.headers.get("Authorization", ""))
        region, signing_name = found.groups() if found else (response.region, None)
        namespace = _NAMESPACE_OF_SIGNING_NAME.get(signing_name, signing_name)
        with lock:
            used = _services_last_accessed(backend).setdefault(entity, {})
            used[namespace or response.service_name] = (utcnow(), region)

    def recording(setup_class):
        def setup_class_recording(response, *args, **kwargs):
            result = setup_class(response, *args, **kwargs)
            record(response)
            return result

        return setup_class_recording

    def generate_service_last_accessed_details(response) -> ActionResult:
        backend = iam_backends[response.current_account][response.partition]
        arn = response._get_param("Arn")
        entities = {
            **{role.arn: role for role in backend.roles.values()},
            **{user.arn: user for user in backend.users.values()},
        }
        if arn not in entities:
            if re.search(r":(group|policy)/", arn or ""):
                raise NotImplementedError("service last accessed details of groups and policies")
            raise NoSuchEntity(f"The entity {arn} cannot be found.")
        job_id = str(uuid.uuid4())
        with lock:
            used = dict(_services_last_accessed(backend).get(arn, {}))
        _jobs(backend)[job_id] = {
            "arn": arn,
            "created": utcnow(),
            "granularity": response._get_param("Granularity") or "SERVICE_LEVEL",
            "used": used,
        }
        return ActionResult({"JobId": job_id})

    def get_service_last_accessed_details(response) -> ActionResult:
        backend = iam_backends[response.current_account][response.partition]
        job = _jobs(backend).get(response._get_param("JobId"))
        if job is None:
            raise NoSuchEntity("No job with this id was generated in this account.")
        services = [
            {
                "ServiceName": namespace,
                "ServiceNamespace": namespace,
                "LastAuthenticated": when,
                "LastAuthenticatedEntity": job["arn"],
                "LastAuthenticatedRegion": region,
                "TotalAuthenticatedEntities": 1,
            }
            for namespace, (when, region) in sorted(job["used"].items())
        ]
        page, marker = one_page(
            services, int(response._get_param("MaxItems") or 100), response._get_param("Marker")
        )
        return ActionResult(
            {
                "JobStatus": "COMPLETED",
                "JobType": job["granularity"],
                "JobCreationDate": job["created"],
                "JobCompletionDate": job["created"],
                "ServicesLastAccessed": page,
                "IsTruncated": marker is not None,
                **({"Marker": marker} if marker else {}),
            }
        )

    wrap(BaseResponse, "setup_class", recording)
    IamResponse.generate_service_last_accessed_details = generate_service_last_accessed_details
    IamResponse.get_service_last_accessed_details = get_service_last_accessed_details


def _services_last_accessed(backend) -> dict[str, dict[str, tuple]]:
    """{entity ARN: {service namespace: (last authenticated, its Region)}} of one account, kept
    on its IAM backend so that a new mock starts with none."""
    if not hasattr(backend, "services_last_accessed"):
        backend.services_last_accessed = {}
    return backend.services_last_accessed


def _jobs(backend) -> dict[str, dict]:
    if not hasattr(backend, "service_last_accessed_jobs"):
        backend.service_last_accessed_jobs = {}
    return backend.service_last_accessed_jobs
