"""What the local emulator adds to moto so the real stacks apply unchanged.

Each extension is small, named after the AWS behaviour it supplies, tested in
tests/test_moto_extensions.py and listed in the README. `install()` runs in the server process
before moto serves its first request.
"""

from __future__ import annotations

import fnmatch
import json

from foundation.contract import ROOT_ACCESS_FEATURES


def _request_is_secure() -> bool:
    """Whether the request being served came over TLS (in-process mocks count as TLS)."""
    from flask import has_request_context, request

    return request.is_secure if has_request_context() else True


_OPERATORS = {
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
}


def condition_holds(condition: dict, context: dict[str, str]) -> bool:
    """IAM condition evaluation for the operators bucket policies here use. A key missing from
    the request context fails the test (…IfExists: passes); an unknown operator fails too."""
    for operator, tests in condition.items():
        name, if_exists = (operator[:-8], True) if operator.endswith("IfExists") else (operator, False)
        compare = _OPERATORS.get(name)
        for key, expected in tests.items():
            expected_values = expected if isinstance(expected, list) else [expected]
            if key not in context:
                if if_exists:
                    continue
                return False
            if compare is None or not any(compare(context[key], str(e)) for e in expected_values):
                return False
    return True


def evaluate_bucket_policy_conditions() -> None:
    """S3 bucket policies: a statement applies only when its Condition holds.

    moto treats any statement whose condition it cannot match as an explicit deny, so the
    foundation's `Deny s3:* unless aws:SecureTransport` blocked every object request. Here
    conditions are evaluated against the request (aws:SecureTransport from the connection)."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(bucket, action: str, resource: str):
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(bucket.policy)["Statement"]
        context = {"aws:SecureTransport": "true" if _request_is_secure() else "false"}
        result = PermissionResult.NEUTRAL
        for statement in statements if isinstance(statements, list) else [statements]:
            if not condition_holds(statement.get("Condition", {}), context):
                continue
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            permission = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if permission == PermissionResult.DENIED:
                return permission
            if permission == PermissionResult.PERMITTED:
                result = permission
        return result

    FakeBucket.get_permission = get_permission


def budget_notification_subscribers() -> None:
    """Budgets DescribeSubscribersForNotification, which moto lacks; without it the provider
    retries forever after creating a budget notification."""
    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse

    def describe_subscribers_for_notification(response) -> str:
        budget_name = response._get_param("BudgetName")
        wanted = _notification_identity(response._get_param("Notification"))
        budgets = response.backend.budgets[response._get_param("AccountId")]
        if budget_name not in budgets:
            raise NotFoundException(f"Unable to get budget: {budget_name} - the budget doesn't exist.")
        for notification in budgets[budget_name].notifications:
            if _notification_identity(notification.details) == wanted:
                return json.dumps({"Subscribers": notification.subscribers})
        raise NotFoundException("Unable to find the notification for budget " + budget_name)

    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification


def _notification_identity(notification: dict) -> tuple:
    return (notification["NotificationType"], notification["ComparisonOperator"],
            float(notification["Threshold"]), notification.get("ThresholdType", "PERCENTAGE"))


IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"


def iam_trusted_access() -> None:
    """Organizations accepts iam.amazonaws.com for trusted access, as AWS does since centralized
    root access (Nov 2024); moto's list of trusted services predates it."""
    from moto.organizations.models import FakeServiceAccess

    if IAM_SERVICE_PRINCIPAL not in FakeServiceAccess.TRUSTED_SERVICES:
        FakeServiceAccess.TRUSTED_SERVICES.append(IAM_SERVICE_PRINCIPAL)


def iam_organizations_features() -> None:
    """IAM's centralized root access for member accounts: Enable/Disable
    OrganizationsRootCredentialsManagement and OrganizationsRootSessions, and
    ListOrganizationsFeatures. As in AWS, they need an organization with IAM trusted access."""
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse
    from moto.organizations.models import organizations_backends

    class ServiceAccessNotEnabled(IAMException):
        code = "ServiceAccessNotEnabledException"

    enabled: dict[str, set[str]] = {}  # management account id -> enabled features

    def organization(response):
        backend = organizations_backends[response.current_account][response.partition]
        principals = [s["ServicePrincipal"] for s in backend.services]
        if backend.org is None or IAM_SERVICE_PRINCIPAL not in principals:
            raise ServiceAccessNotEnabled(
                "The request failed because IAM trusted access is not enabled in AWS Organizations.")
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
        return ActionResult({"OrganizationId": org.id,
                             "EnabledFeatures": sorted(enabled.get(response.current_account, ()))})

    for feature in ROOT_ACCESS_FEATURES:
        setattr(IamResponse, f"enable_organizations_{_snake(feature)}", setter(feature, True))
        setattr(IamResponse, f"disable_organizations_{_snake(feature)}", setter(feature, False))
    IamResponse.list_organizations_features = list_organizations_features


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def budget_tags() -> None:
    """Budget tags (CreateBudget's ResourceTags, TagResource, UntagResource,
    ListTagsForResource), which moto lacks; the provider reads them back after every apply."""
    from moto.budgets.responses import BudgetsResponse

    tags: dict[str, dict[str, str]] = {}  # budget ARN -> tags

    def tag_resource(response) -> str:
        arn = response._get_param("ResourceARN")
        for tag in response._get_param("ResourceTags", []):
            tags.setdefault(arn, {})[tag["Key"]] = tag["Value"]
        return "{}"

    def untag_resource(response) -> str:
        arn = response._get_param("ResourceARN")
        for key in response._get_param("ResourceTagKeys", []):
            tags.get(arn, {}).pop(key, None)
        return "{}"

    def list_tags_for_resource(response) -> str:
        found = tags.get(response._get_param("ResourceARN"), {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in found.items()]})

    create_budget = BudgetsResponse.create_budget

    def create_budget_with_tags(response) -> str:
        """CreateBudget's ResourceTags, which moto ignores, become the new budget's tags."""
        result = create_budget(response)
        arn = (f"arn:aws:budgets::{response._get_param('AccountId')}:budget/"
               f"{response._get_param('Budget')['BudgetName']}")
        tags[arn] = {t["Key"]: t["Value"] for t in response._get_param("ResourceTags", [])}
        return result

    BudgetsResponse.create_budget = create_budget_with_tags
    BudgetsResponse.tag_resource = tag_resource
    BudgetsResponse.untag_resource = untag_resource
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource


def access_analyzer() -> None:
    """A minimal IAM Access Analyzer (create, get, delete, tags), which moto has no backend for.
    It records analyzers; it does not analyze anything."""
    import re
    import sys
    import types
    from datetime import datetime, timezone
    from urllib.parse import unquote

    from moto import backend_index
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import BaseResponse

    class AccessAnalyzerResponse(BaseResponse):
        def __init__(self):
            super().__init__(service_name="accessanalyzer")

        @property
        def analyzers(self) -> dict[str, dict]:
            return backends[self.current_account][self.region].analyzers

        def _path_value(self) -> str:
            return unquote(self.path.rstrip("/").split("/", 2)[-1])

        def _analyzer(self, name: str) -> dict:
            if name not in self.analyzers:
                raise JsonRESTError("ResourceNotFoundException", f"Analyzer {name} not found")
            return self.analyzers[name]

        def create_analyzer(self) -> str:
            name = self._get_param("analyzerName")
            if name in self.analyzers:
                raise JsonRESTError("ConflictException", f"Analyzer {name} already exists")
            arn = f"arn:aws:access-analyzer:{self.region}:{self.current_account}:analyzer/{name}"
            self.analyzers[name] = {
                "arn": arn, "name": name, "type": self._get_param("type"), "status": "ACTIVE",
                "createdAt": datetime.now(timezone.utc).isoformat(),
                "tags": self._get_param("tags") or {}}
            return json.dumps({"arn": arn})

        def get_analyzer(self) -> str:
            return json.dumps({"analyzer": self._analyzer(self._path_value())})

        def delete_analyzer(self) -> str:
            self.analyzers.pop(self._analyzer(self._path_value())["name"])
            return "{}"

        def _by_arn(self) -> dict:
            arn = self._path_value()
            return self._analyzer(arn.rsplit("/", 1)[-1])

        def list_tags_for_resource(self) -> str:
            return json.dumps({"tags": self._by_arn()["tags"]})

        def tag_resource(self) -> str:
            self._by_arn()["tags"].update(self._get_param("tags") or {})
            return "{}"

        def untag_resource(self) -> str:
            tags = self._by_arn()["tags"]
            for key in self.querystring.get("tagKeys", []):
                tags.pop(key, None)
            return "{}"

    class AccessAnalyzerBackend(BaseBackend):
        # What moto otherwise imports from the service's urls.py.
        _url_module = types.SimpleNamespace(
            url_bases=[r"https?://access-analyzer\.(.+)\.amazonaws\.com"],
            url_paths={"{0}/analyzer$": AccessAnalyzerResponse.dispatch,
                       "{0}/analyzer/(?P<name>[^/]+)$": AccessAnalyzerResponse.dispatch,
                       "{0}/tags/(?P<arn>.+)$": AccessAnalyzerResponse.dispatch})

        def __init__(self, region_name: str, account_id: str):
            super().__init__(region_name, account_id)
            self.analyzers: dict[str, dict] = {}

    backends = BackendDict(AccessAnalyzerBackend, "accessanalyzer")
    module = types.ModuleType("moto.accessanalyzer")
    module.accessanalyzer_backends = backends
    sys.modules["moto.accessanalyzer"] = module
    if not any(name == "accessanalyzer" for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append(
            ("accessanalyzer", re.compile(AccessAnalyzerBackend._url_module.url_bases[0])))


def cloudtrail_describe_trails_by_name() -> None:
    """CloudTrail DescribeTrails answers only for the trails in `trailNameList` (names or ARNs),
    as AWS does; moto answered with every trail, so the provider found two where it asked for one
    whenever the account had a trail besides the organization trail."""
    from moto.cloudtrail.responses import CloudTrailResponse

    describe_all = CloudTrailResponse.describe_trails

    def describe_trails(response) -> str:
        wanted = response._get_param("trailNameList") or []
        answer = describe_all(response)
        if not wanted:
            return answer
        trails = json.loads(answer)["trailList"]
        return json.dumps({"trailList": [trail for trail in trails if trail["Name"] in wanted
                                         or trail["TrailARN"] in wanted]})

    CloudTrailResponse.describe_trails = describe_trails


def iam_root_user_resource() -> None:
    """IAM policies may name a root user, `arn:aws:iam::<account>:root`, as a Resource: the
    resource type of sts:AssumeRoot (centralized root access, Nov 2024). moto's policy validator
    predates it and refused the document."""
    from moto.iam.policy_validation import VALID_RESOURCE_PATH_STARTING_VALUES

    paths = VALID_RESOURCE_PATH_STARTING_VALUES["iam"]["values"]
    if "root" not in paths:
        paths.append("root")


EXTENSIONS = [evaluate_bucket_policy_conditions, budget_notification_subscribers, budget_tags,
              iam_trusted_access, iam_organizations_features, access_analyzer,
              cloudtrail_describe_trails_by_name, iam_root_user_resource]


def install() -> None:
    for extension in EXTENSIONS:
        extension()
