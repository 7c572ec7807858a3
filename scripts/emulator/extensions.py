"""What the local emulator adds to moto so the real stacks apply unchanged.

Each extension is small, named after the AWS behaviour it supplies, tested in
tests/test_moto_extensions.py and listed in the README. `install()` runs in the server process
before moto serves its first request.
"""

from __future__ import annotations

import copy
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


def update_budget() -> None:
    """Budgets UpdateBudget, which moto lacks: NewBudget replaces every part of the budget but its
    name (the key) and its calculated spend, which starts again from zero; notifications,
    subscribers and tags stay. The provider calls it whenever a budget's attributes or tags
    change; without it a changed amount or environment tag could not be applied."""
    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.models import Budget
    from moto.budgets.responses import BudgetsResponse

    def update(response) -> str:
        new_budget = dict(response._get_param("NewBudget"))
        new_budget.pop("CalculatedSpend", None)
        budgets = response.backend.budgets[response._get_param("AccountId")]
        name = new_budget["BudgetName"]
        if name not in budgets:
            raise NotFoundException(f"Unable to update budget: {name} - the budget doesn't exist.")
        updated = Budget(new_budget, notifications=[])
        updated.notifications = budgets[name].notifications
        budgets[name] = updated
        return "{}"

    BudgetsResponse.update_budget = update


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

    class ServiceAccessNotEnabled(IAMException):
        code = "ServiceAccessNotEnabledException"

    enabled: dict[str, set[str]] = {}  # management account id -> enabled features

    def organization(response):
        backend = _trusting_organization(response.current_account, response.partition,
                                         IAM_SERVICE_PRINCIPAL)
        if backend is None:
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


def _trusting_organization(account_id: str, partition: str, service_principal: str):
    """The organizations backend of the organization `account_id` manages, if it has trusted
    access for `service_principal` enabled; None otherwise (no organization, a member account,
    or no trusted access)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account_id][partition]
    principals = [s["ServicePrincipal"] for s in backend.services]
    return backend if backend.org is not None and service_principal in principals else None


def _wrap(owner, name: str, wrapper_of) -> None:
    """`owner.name = wrapper_of(moto's own owner.name)`. Installing again (the tests install for
    every mock) replaces the wrapper instead of wrapping it twice."""
    current = getattr(owner, name)
    moto_own = getattr(current, "moto_own", current)
    wrapper = wrapper_of(moto_own)
    wrapper.moto_own = moto_own
    setattr(owner, name, wrapper)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _budget_arn(account_id: str, budget_name: str) -> str:
    return f"arn:aws:budgets::{account_id}:budget/{budget_name}"


def _budget_tags(response) -> dict[str, dict[str, str]]:
    """Tags by budget or budget-action ARN, kept on moto's backend so that they reset with it."""
    return response.backend.__dict__.setdefault("resource_tags", {})


def budget_tags() -> None:
    """Budget and budget-action tags (CreateBudget's ResourceTags, TagResource, UntagResource,
    ListTagsForResource), which moto lacks; the provider reads them back after every apply."""
    from moto.budgets.responses import BudgetsResponse

    def tag_resource(response) -> str:
        arn = response._get_param("ResourceARN")
        for tag in response._get_param("ResourceTags", []):
            _budget_tags(response).setdefault(arn, {})[tag["Key"]] = tag["Value"]
        return "{}"

    def untag_resource(response) -> str:
        arn = response._get_param("ResourceARN")
        for key in response._get_param("ResourceTagKeys", []):
            _budget_tags(response).get(arn, {}).pop(key, None)
        return "{}"

    def list_tags_for_resource(response) -> str:
        found = _budget_tags(response).get(response._get_param("ResourceARN"), {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in found.items()]})

    def with_tags(create_budget):
        def create_budget_with_tags(response) -> str:
            """CreateBudget's ResourceTags, which moto ignores, become the new budget's tags."""
            result = create_budget(response)
            arn = _budget_arn(response._get_param("AccountId"),
                              response._get_param("Budget")["BudgetName"])
            _budget_tags(response)[arn] = _tag_map(response._get_param("ResourceTags", []))
            return result
        return create_budget_with_tags

    _wrap(BudgetsResponse, "create_budget", with_tags)
    BudgetsResponse.tag_resource = tag_resource
    BudgetsResponse.untag_resource = untag_resource
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource



def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def _page(items: list, max_results: int | None, token: str | None) -> tuple[list, str | None]:
    """One page of a listing, and the token of the next one (its position) if there is one."""
    from moto.core.exceptions import InvalidNextTokenException

    if token is not None and not token.isdigit():
        raise InvalidNextTokenException()
    start = int(token or 0)
    end = start + max_results if max_results else len(items)
    return items[start:end], str(end) if end < len(items) else None


BUDGETS_SERVICE_PRINCIPAL = "budgets.amazonaws.com"
_ACTION_DEFINITIONS = {"APPLY_IAM_POLICY": "IamActionDefinition",
                       "APPLY_SCP_POLICY": "ScpActionDefinition",
                       "RUN_SSM_DOCUMENTS": "SsmActionDefinition"}
_ACTION_FIELDS = ("NotificationType", "ActionThreshold", "Definition", "ExecutionRoleArn",
                  "ApprovalModel", "Subscribers")
# ExecuteBudgetAction's ExecutionType -> (statuses it starts from, whether the policy is attached
# (True), detached (False) or left alone (None), status on success, status on failure).
_EXECUTIONS = {
    "APPROVE_BUDGET_ACTION": ({"STANDBY", "PENDING"}, True, "EXECUTION_SUCCESS",
                              "EXECUTION_FAILURE"),
    "RETRY_BUDGET_ACTION": ({"EXECUTION_FAILURE"}, True, "EXECUTION_SUCCESS", "EXECUTION_FAILURE"),
    "REVERSE_BUDGET_ACTION": ({"EXECUTION_SUCCESS", "REVERSE_FAILURE"}, False, "REVERSE_SUCCESS",
                              "REVERSE_FAILURE"),
    "RESET_BUDGET_ACTION": ({"REVERSE_SUCCESS", "EXECUTION_FAILURE", "RESET_FAILURE"}, None,
                            "STANDBY", "RESET_FAILURE"),
}


def budget_actions() -> None:
    """Budget actions, which moto lacks: Create/Describe/Update/DeleteBudgetAction,
    DescribeBudgetActionsForBudget/ForAccount and ExecuteBudgetAction.

    A new action waits in STANDBY, as on AWS until its threshold is crossed; the emulator has no
    spend, so approving a STANDBY action stands in for that. Executing an APPLY_SCP_POLICY action
    attaches its SCP to its targets through moto's Organizations as its execution role would (the
    role must exist and trust budgets.amazonaws.com, else EXECUTION_FAILURE); reversing detaches
    it. Executions finish at once, where AWS passes through *_IN_PROGRESS. Deleting a budget
    deletes its actions."""
    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse
    from moto.core.exceptions import JsonRESTError, ServiceException
    from moto.iam.models import iam_backends
    from moto.moto_api._internal import mock_random
    from moto.organizations.models import organizations_backends

    def actions(response) -> dict[str, dict]:
        """Action id -> action, for the request's AccountId."""
        store = response.backend.__dict__.setdefault("budget_actions", {})
        return store.setdefault(response._get_param("AccountId"), {})

    def action_arn(response, action: dict) -> str:
        budget_arn = _budget_arn(response._get_param("AccountId"), action["BudgetName"])
        return f"{budget_arn}/action/{action['ActionId']}"

    def existing_budget(response) -> tuple[str, str]:
        budget_name = response._get_param("BudgetName")
        if budget_name not in response.backend.budgets[response._get_param("AccountId")]:
            raise NotFoundException(
                f"Unable to get budget: {budget_name} - the budget doesn't exist.")
        return budget_name

    def existing_action(response) -> dict:
        budget_name = existing_budget(response)
        action = actions(response).get(response._get_param("ActionId"))
        if action is None or action["BudgetName"] != budget_name:
            raise NotFoundException(f"Unable to get action: {response._get_param('ActionId')} - "
                                    "the action doesn't exist.")
        return action

    def check_definition(action: dict) -> None:
        wanted = _ACTION_DEFINITIONS[action["ActionType"]]
        if set(action["Definition"]) != {wanted}:
            raise JsonRESTError("InvalidParameterException",
                                f"An {action['ActionType']} action needs a Definition with "
                                f"{wanted} only.")

    def reply(response, **fields) -> str:
        return json.dumps({"AccountId": response._get_param("AccountId"),
                           "BudgetName": response._get_param("BudgetName"), **fields})

    def create_budget_action(response) -> str:
        action = {"ActionId": str(mock_random.uuid4()), "BudgetName": existing_budget(response),
                  "ActionType": response._get_param("ActionType"), "Status": "STANDBY",
                  **{field: response._get_param(field) for field in _ACTION_FIELDS}}
        check_definition(action)
        actions(response)[action["ActionId"]] = action
        _budget_tags(response)[action_arn(response, action)] = \
            _tag_map(response._get_param("ResourceTags", []))
        return reply(response, ActionId=action["ActionId"])

    def describe_budget_action(response) -> str:
        return reply(response, Action=existing_action(response))

    def describe_budget_actions_for_budget(response) -> str:
        budget_name = existing_budget(response)
        return listing(response, [a for a in actions(response).values()
                                  if a["BudgetName"] == budget_name])

    def describe_budget_actions_for_account(response) -> str:
        return listing(response, list(actions(response).values()))

    def listing(response, found: list[dict]) -> str:
        page, token = _page(found, response._get_param("MaxResults"),
                            response._get_param("NextToken"))
        return json.dumps({"Actions": page, **({"NextToken": token} if token else {})})

    def update_budget_action(response) -> str:
        action = existing_action(response)
        old = copy.deepcopy(action)
        changed = {f: response._get_param(f) for f in _ACTION_FIELDS if response._get_param(f)}
        check_definition({**action, **changed})
        action.update(changed)
        return reply(response, OldAction=old, NewAction=action)

    def delete_budget_action(response) -> str:
        action = existing_action(response)
        forget(response, action)
        return reply(response, Action=action)

    def forget(response, action: dict) -> None:
        actions(response).pop(action["ActionId"])
        _budget_tags(response).pop(action_arn(response, action), None)

    def execute_budget_action(response) -> str:
        action = existing_action(response)
        execution_type = response._get_param("ExecutionType")
        starts_from, attach, success, failure = _EXECUTIONS[execution_type]
        if action["Status"] not in starts_from:
            raise JsonRESTError("InvalidParameterException",
                                f"{execution_type} is not possible for an action in status "
                                f"{action['Status']}.")
        if attach is not None and action["ActionType"] != "APPLY_SCP_POLICY":
            raise JsonRESTError("InvalidParameterException",
                                "The local emulator executes APPLY_SCP_POLICY actions only.")
        done = attach is None or apply_scp(response, action, attach)
        action["Status"] = success if done else failure
        return reply(response, ActionId=action["ActionId"], ExecutionType=execution_type)

    def apply_scp(response, action: dict, attach: bool) -> bool:
        """Attach (or detach) the action's SCP to its targets as its execution role; False when
        the role cannot be assumed or Organizations refuses."""
        role_arn = action["ExecutionRoleArn"]
        iam = iam_backends[role_arn.split(":")[4]][response.partition]
        try:
            role = iam.get_role_by_arn(role_arn)
        except ServiceException:
            return False
        if not _trusts(role.assume_role_policy_document, BUDGETS_SERVICE_PRINCIPAL):
            return False
        organizations = organizations_backends[response._get_param("AccountId")][
            response.partition]
        scp = action["Definition"]["ScpActionDefinition"]
        change = organizations.attach_policy if attach else organizations.detach_policy
        try:
            for target in scp["TargetIds"]:
                change(PolicyId=scp["PolicyId"], TargetId=target)
        except ServiceException:
            return False
        return True

    def and_its_actions(delete_budget):
        def delete_budget_and_actions(response) -> str:
            result = delete_budget(response)
            budget_name = response._get_param("BudgetName")
            for action in [a for a in actions(response).values()
                           if a["BudgetName"] == budget_name]:
                forget(response, action)
            return result
        return delete_budget_and_actions

    _wrap(BudgetsResponse, "delete_budget", and_its_actions)
    for handler in (create_budget_action, describe_budget_action,
                    describe_budget_actions_for_budget, describe_budget_actions_for_account,
                    update_budget_action, delete_budget_action, execute_budget_action):
        setattr(BudgetsResponse, handler.__name__, handler)


def _trusts(trust_policy: str, service: str) -> bool:
    """Whether a role's trust policy lets `service` assume it."""
    statements = json.loads(trust_policy)["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = statement.get("Action", [])
        if statement.get("Effect") == "Allow" and service in _listed(services) and \
                "sts:AssumeRole" in _listed(actions):
            return True
    return False


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def cost_anomaly_detection() -> None:
    """Cost Explorer anomaly monitors and subscriptions (Create/Get/Update/Delete), which moto
    lacks, tagged through moto's own Cost Explorer tagging. Like AWS, a subscription needs
    existing monitors and a threshold, and IMMEDIATE alerts go to SNS topics only. Nothing is
    ever detected."""
    from datetime import date

    from moto.ce.responses import CostExplorerResponse
    from moto.core.exceptions import JsonRESTError
    from moto.moto_api._internal import mock_random

    def stored(response, kind: str) -> dict[str, dict]:
        """ARN -> monitor or subscription, on moto's backend so that they reset with it."""
        return response.ce_backend.__dict__.setdefault(kind, {})

    def existing(response, kind: str, arns: list[str] | None) -> list[dict]:
        """The monitors or subscriptions named (all of them when none is)."""
        found = stored(response, kind)
        unknown = [arn for arn in arns or () if arn not in found]
        if unknown:
            name = "Monitor" if kind == "anomalymonitor" else "Subscription"
            raise JsonRESTError(f"Unknown{name}Exception",
                                f"No anomaly {name.lower()} found for ARN {unknown[0]}")
        return [found[arn] for arn in arns] if arns else list(found.values())

    def create(response, kind: str, item: dict) -> str:
        arn = (f"arn:{response.partition}:ce::{response.current_account}:{kind}/"
               f"{mock_random.uuid4()}")
        stored(response, kind)[arn] = item
        response.ce_backend.tag_resource(arn, json.loads(response.body).get("ResourceTags") or [])
        return arn

    def delete(response, kind: str, arn: str) -> str:
        existing(response, kind, [arn])
        stored(response, kind).pop(arn)
        response.ce_backend.tagger.delete_all_tags_for_resource(arn)
        return "{}"

    def listing(response, key: str, items: list[dict]) -> str:
        params = json.loads(response.body)
        page, token = _page(items, params.get("MaxResults"), params.get("NextPageToken"))
        return json.dumps({key: page, **({"NextPageToken": token} if token else {})})

    def check_subscription(response, subscription: dict) -> None:
        existing(response, "anomalymonitor", subscription["MonitorArnList"])
        if subscription.get("Threshold") is None and \
                subscription.get("ThresholdExpression") is None:
            raise JsonRESTError("ValidationException",
                                "Threshold and ThresholdExpression cannot both be null")
        if subscription["Frequency"] == "IMMEDIATE" and \
                any(s["Type"] != "SNS" for s in subscription["Subscribers"]):
            raise JsonRESTError("ValidationException",
                                "IMMEDIATE alerts are sent to SNS topics only; use DAILY or "
                                "WEEKLY for e-mail subscribers")

    def create_anomaly_monitor(response) -> str:
        today = date.today().isoformat()
        monitor = {key: value for key, value in json.loads(response.body)["AnomalyMonitor"].items()
                   if key in ("MonitorName", "MonitorType", "MonitorDimension",
                              "MonitorSpecification")}
        monitor.update(CreationDate=today, LastUpdatedDate=today, DimensionalValueCount=0)
        monitor["MonitorArn"] = create(response, "anomalymonitor", monitor)
        return json.dumps({"MonitorArn": monitor["MonitorArn"]})

    def get_anomaly_monitors(response) -> str:
        arns = json.loads(response.body).get("MonitorArnList")
        return listing(response, "AnomalyMonitors", existing(response, "anomalymonitor", arns))

    def update_anomaly_monitor(response) -> str:
        params = json.loads(response.body)
        [monitor] = existing(response, "anomalymonitor", [params["MonitorArn"]])
        if params.get("MonitorName"):
            monitor.update(MonitorName=params["MonitorName"],
                           LastUpdatedDate=date.today().isoformat())
        return json.dumps({"MonitorArn": monitor["MonitorArn"]})

    def delete_anomaly_monitor(response) -> str:
        return delete(response, "anomalymonitor", json.loads(response.body)["MonitorArn"])

    def create_anomaly_subscription(response) -> str:
        subscription = {key: value for key, value in
                        json.loads(response.body)["AnomalySubscription"].items()
                        if key != "SubscriptionArn"}
        subscription.setdefault("AccountId", response.current_account)
        check_subscription(response, subscription)
        subscription["SubscriptionArn"] = create(response, "anomalysubscription", subscription)
        return json.dumps({"SubscriptionArn": subscription["SubscriptionArn"]})

    def get_anomaly_subscriptions(response) -> str:
        params = json.loads(response.body)
        subscriptions = existing(response, "anomalysubscription", params.get("SubscriptionArnList"))
        monitor = params.get("MonitorArn")
        return listing(response, "AnomalySubscriptions", [
            s for s in subscriptions if monitor is None or monitor in s["MonitorArnList"]])

    def update_anomaly_subscription(response) -> str:
        params = json.loads(response.body)
        [subscription] = existing(response, "anomalysubscription", [params["SubscriptionArn"]])
        changed = {key: value for key, value in params.items()
                   if key != "SubscriptionArn" and value is not None}
        check_subscription(response, {**subscription, **changed})
        subscription.update(changed)
        return json.dumps({"SubscriptionArn": subscription["SubscriptionArn"]})

    def delete_anomaly_subscription(response) -> str:
        return delete(response, "anomalysubscription",
                      json.loads(response.body)["SubscriptionArn"])

    for handler in (create_anomaly_monitor, get_anomaly_monitors, update_anomaly_monitor,
                    delete_anomaly_monitor, create_anomaly_subscription,
                    get_anomaly_subscriptions, update_anomaly_subscription,
                    delete_anomaly_subscription):
        setattr(CostExplorerResponse, handler.__name__, handler)


def access_analyzer() -> None:
    """A minimal IAM Access Analyzer (create, get, list, delete, tags), which moto has no backend
    for. It records analyzers per account and region; it does not analyze anything."""
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

        def list_analyzers(self) -> str:
            kind = self.querystring.get("type", [None])[0]
            return json.dumps({"analyzers": [a for a in self.analyzers.values()
                                             if kind in (None, a["type"])]})

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


NOT_IMPLEMENTED_STATUS = 501
NOT_IMPLEMENTED_CODE = "NotImplemented"


def unimplemented_actions_fail_fast() -> None:
    """An action the emulator lacks fails at once: HTTP 501 with code `NotImplemented` (what S3
    answers for functionality it does not implement), in the error format of the service's
    protocol (query and ec2 XML, rest-xml, json `__type`, rest-json `x-amzn-ErrorType`), naming
    the service and the action. The server log gets the same line.

    moto raises NotImplementedError (or, for a REST path it has no route for, answers a 404 page)
    and werkzeug turns that into an HTML 500 page. Every SDK retries a 500 (the Terraform provider
    up to 25 attempts with backoff), so a missing action looked like a 15-minute hang. None
    retries a 501 or `NotImplemented`: botocore retries 429 and 500/502/503/504 (legacy mode also
    509), throttling and timeout codes and errors its model marks retryable; aws-sdk-go-v2 (in
    the provider) 500/502/503/504, throttling and timeout codes; aws-sdk-go v1 (in aws-nuke) 500,
    429/502/503/504, throttling and timeout codes, and its retryer says a 501 is not retried."""
    import warnings

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from werkzeug.exceptions import NotFound

    # moto warns that the code is not in the service's model; NotImplemented is in none of them.
    warnings.filterwarnings("ignore", message=rf".* with code {NOT_IMPLEMENTED_CODE} does not match")

    def answering_not_implemented(create_app):
        def create(service):
            app = create_app(service)
            app.register_error_handler(NotImplementedError, _not_implemented_response)
            app.register_error_handler(NotFound, _not_implemented_response)
            return app
        return create

    init = DomainDispatcherApplication.__init__

    def init_answering_not_implemented(self, create_app) -> None:
        init(self, answering_not_implemented(create_app))

    DomainDispatcherApplication.__init__ = init_answering_not_implemented


def _not_implemented_response(error: Exception):
    """The answer to a request moto cannot serve: NotImplementedError (an action moto lacks, or a
    part of one), or no route for an operation of the service's API. A path that is no operation
    of the service stays a 404."""
    import sys

    import moto
    from flask import current_app, request
    from moto.core.exceptions import ServiceException
    from moto.core.request import normalize_request
    from moto.core.responses import ActionResult, BaseResponse

    class NotImplementedByEmulator(ServiceException):
        code = NOT_IMPLEMENTED_CODE

    response = BaseResponse(service_name=current_app.service)
    response.setup_class(normalize_request(request))
    action = response._get_action()
    if not action and not isinstance(error, NotImplementedError):
        return error
    operation = f"{response.boto3_service_name}:{action or request.method + ' ' + request.path}"
    message = f"{operation} is not implemented by the local AWS emulator (moto {moto.__version__})"
    if isinstance(error, NotImplementedError) and str(error):
        message += f"; moto says: {error}"
    print(f"{NOT_IMPLEMENTED_STATUS} {NOT_IMPLEMENTED_CODE}: {message}", file=sys.stderr, flush=True)
    _, headers, body = response.serialized(ActionResult(NotImplementedByEmulator(message)))
    return body, NOT_IMPLEMENTED_STATUS, headers


def describe_snapshots_by_owner() -> None:
    """EC2 DescribeSnapshots with OwnerIds answers only those owners' snapshots: account ids,
    `self` (the caller's account) and `amazon`, as AWS does. moto ignored OwnerIds and answered
    every snapshot it holds, the ~1300 behind its public AMIs among them, so `OwnerIds=self`
    (aws-nuke's EC2Snapshot listing) took Amazon's snapshots for the account's own."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def describe_snapshots(response) -> ActionResult:
        backend = response.ec2_backend
        snapshots = backend.describe_snapshots(snapshot_ids=response._get_param("SnapshotIds", []),
                                               filters=response._filters_from_querystring())
        owners = {response.current_account if owner == "self" else owner
                  for owner in response._get_param("OwnerIds", [])}
        if owners:
            snapshots = [s for s in snapshots
                         if s.owner_id in owners or _owner_alias(backend, s) in owners]
        return ActionResult({"Snapshots": snapshots})

    ElasticBlockStore.describe_snapshots = describe_snapshots


def _owner_alias(backend, snapshot) -> str | None:
    """A snapshot's owner alias is that of the AMI it backs (`amazon` for moto's public AMIs)."""
    ami = backend.amis.get(snapshot.from_ami) if snapshot.from_ami else None
    return ami.owner_alias if ami else None


def main_route_table_kept() -> None:
    """EC2 DeleteRouteTable refuses a VPC's main route table (DependencyViolation), as AWS does:
    it goes only with its VPC. moto deleted it, so an account sweep that keeps the default VPC
    looked clean on the emulator and fails on AWS."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.responses.route_tables import RouteTables

    def unless_main(delete_route_table):
        def delete_unless_main(response):
            route_table_id = response._get_param("RouteTableId")
            if response.ec2_backend.get_route_table(route_table_id).main_association_id:
                raise DependencyViolationError(
                    f"The routeTable '{route_table_id}' has dependencies and cannot be deleted.")
            return delete_route_table(response)
        return delete_unless_main

    _wrap(RouteTables, "delete_route_table", unless_main)


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
        _wrap(IamResponse, name, with_is_truncated)


def default_vpc_as_on_aws() -> None:
    """A region's default VPC comes with what AWS gives it: an attached internet gateway, the
    0.0.0.0/0 route to it in the main route table, and a DHCP options set (AmazonProvidedDNS,
    ec2.internal in us-east-1, <region>.compute.internal elsewhere). moto's had neither, so a
    sweep that must keep the default VPC's parts could not be tried here."""
    from moto.ec2.models.vpcs import VPCBackend

    def as_on_aws(create_default_vpc):
        def create_default_vpc_as_on_aws(backend):
            vpc = create_default_vpc(backend)
            gateway = backend.create_internet_gateway()
            backend.attach_internet_gateway(gateway.id, vpc.id)
            main = backend.describe_route_tables(
                filters={"vpc-id": vpc.id, "association.main": "true"})
            backend.create_route(main[0].id, "0.0.0.0/0", gateway_id=gateway.id)
            region = backend.region_name
            domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            options = backend.create_dhcp_options(domain_name_servers=["AmazonProvidedDNS"],
                                                  domain_name=[domain])
            backend.associate_dhcp_options(options, vpc)
            return vpc
        return create_default_vpc_as_on_aws

    _wrap(VPCBackend, "create_default_vpc", as_on_aws)


def primary_network_interface_goes_with_instance() -> None:
    """EC2 RunInstances without NetworkInterfaces makes the primary network interface with
    DeleteOnTermination true, as AWS does, so it goes when the instance terminates. moto kept
    it attached to the terminated instance, where it can be neither detached nor deleted:
    aws-nuke ended "failed" on it."""
    from moto.ec2.models.instances import Instance

    def deleted_on_termination(prep_nics):
        def prep_nics_deleted_on_termination(instance, nic_spec, *args, **kwargs):
            prep_nics(instance, nic_spec, *args, **kwargs)
            if not nic_spec and 0 in instance.nics:
                instance.nics[0].delete_on_termination = True
        return prep_nics_deleted_on_termination

    _wrap(Instance, "prep_nics", deleted_on_termination)


PAGINATION_TOKENS = ("NextToken", "nextToken", "NextMarker")


def last_page_has_no_token() -> None:
    """A last page carries no pagination token, as on AWS. Some moto answers built from a result
    carried an empty one (SSM ListDocuments), which clients read as "more to come": aws-nuke's
    SSMDocument listing asked for the first page again, forever."""
    from moto.core.responses import ActionResult

    def without_empty_token(execute_result):
        def execute_result_without_empty_token(result, context):
            if isinstance(result.result, dict):
                result._result = {key: value for key, value in result.result.items()
                                  if not (key in PAGINATION_TOKENS and value == "")}
            return execute_result(result, context)
        return execute_result_without_empty_token

    _wrap(ActionResult, "execute_result", without_empty_token)


ACCOUNT_SERVICE_PRINCIPAL = "account.amazonaws.com"


def alternate_contacts_need_trusted_access() -> None:
    """Account Management's alternate contacts with an AccountId, as AWS documents them: only
    the organization's management account may name an account, only a member account of its
    organization (never itself), and only with trusted access for account.amazonaws.com. moto
    answers any caller for any account id."""
    from moto.account.responses import AccountResponse
    from moto.core.exceptions import JsonRESTError

    def refusal(response) -> str | None:
        target = response._get_param("AccountId")
        if not target:
            return None
        caller = response.current_account
        if target == caller:
            return ("The management account can't specify its own AccountId; call the operation "
                    "without it.")
        backend = _trusting_organization(caller, response.partition, ACCOUNT_SERVICE_PRINCIPAL)
        if backend is None:
            return (f"The caller {caller} is not the management account of an organization with "
                    f"trusted access enabled for {ACCOUNT_SERVICE_PRINCIPAL}.")
        if target not in [account.id for account in backend.accounts]:
            return f"Account {target} is not a member of the caller's organization."
        return None

    def guarded(operation):
        def action(response):
            reason = refusal(response)
            if reason:
                raise JsonRESTError("AccessDeniedException", reason)
            return operation(response)
        return action

    for name in ("put_alternate_contact", "get_alternate_contact", "delete_alternate_contact"):
        _wrap(AccountResponse, name, guarded)


# What CloudTrail reports for a trail nobody set event selectors on: every management event.
DEFAULT_EVENT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                            "DataResources": [], "ExcludeManagementEventSources": []}]


def organization_trail_in_member_accounts() -> None:
    """CloudTrail as member accounts see an organization trail, and default event selectors.

    In a member account, DescribeTrails (with shadow trails, the default) lists the management
    account's organization trails, and GetTrail, GetTrailStatus and GetEventSelectors answer for
    them by ARN; GetEventSelectors of a trail without selectors returns the default "all
    management events" selector. moto shows a trail only in its own account and returns no
    selector."""
    from moto.cloudtrail.exceptions import TrailNotFoundException
    from moto.cloudtrail.models import CloudTrailBackend, Trail, cloudtrail_backends
    from moto.organizations.models import organizations_backends

    def organization_trails(backend) -> list:
        membership = organizations_backends.master_accounts.get(backend.account_id)
        if membership is None:
            return []
        management_id, _ = membership
        return [trail for regional in cloudtrail_backends[management_id].values()
                for trail in regional.trails.values()
                if trail.is_org_trail and (trail.is_multi_region
                                           or trail.region_name == backend.region_name)]

    def with_organization_trails(describe_trails):
        def describe_with_organization_trails(backend, include_shadow_trails: bool):
            own = list(describe_trails(backend, include_shadow_trails))
            return own + organization_trails(backend) if include_shadow_trails else own
        return describe_with_organization_trails

    def own_or_organization_trail(get_trail):
        def get_own_or_organization_trail(backend, name_or_arn: str):
            try:
                return get_trail(backend, name_or_arn)
            except TrailNotFoundException:
                for trail in organization_trails(backend):
                    if trail.arn == name_or_arn:
                        return trail
                raise
        return get_own_or_organization_trail

    def or_default(get_event_selectors):
        def selectors_or_default(trail):
            event_selectors, advanced = get_event_selectors(trail)
            if not event_selectors and not advanced:
                return [dict(selector) for selector in DEFAULT_EVENT_SELECTORS], []
            return event_selectors, advanced
        return selectors_or_default

    _wrap(CloudTrailBackend, "describe_trails", with_organization_trails)
    _wrap(CloudTrailBackend, "get_trail", own_or_organization_trail)
    _wrap(Trail, "get_event_selectors", or_default)


def cloudtrail_describe_trails_by_name() -> None:
    """CloudTrail DescribeTrails answers only for the trails in `trailNameList` (names or ARNs),
    as AWS does; moto answered with every trail, so the provider found two where it asked for one
    whenever the account had a trail besides the organization trail."""
    from moto.cloudtrail.responses import CloudTrailResponse

    def by_name(describe_all):
        def describe_trails(response) -> str:
            wanted = response._get_param("trailNameList") or []
            answer = describe_all(response)
            if not wanted:
                return answer
            trails = json.loads(answer)["trailList"]
            return json.dumps({"trailList": [trail for trail in trails if trail["Name"] in wanted
                                             or trail["TrailARN"] in wanted]})
        return describe_trails

    _wrap(CloudTrailResponse, "describe_trails", by_name)


def iam_root_user_resource() -> None:
    """IAM policies may name a root user, `arn:aws:iam::<account>:root`, as a Resource: the
    resource type of sts:AssumeRoot (centralized root access, Nov 2024). moto's policy validator
    predates it and refused the document."""
    from moto.iam.policy_validation import VALID_RESOURCE_PATH_STARTING_VALUES

    paths = VALID_RESOURCE_PATH_STARTING_VALUES["iam"]["values"]
    if "root" not in paths:
        paths.append("root")


EXTENSIONS = [evaluate_bucket_policy_conditions, budget_notification_subscribers, budget_tags,
              update_budget, budget_actions, cost_anomaly_detection, iam_trusted_access,
              iam_organizations_features, access_analyzer, alternate_contacts_need_trusted_access,
              organization_trail_in_member_accounts, cloudtrail_describe_trails_by_name,
              iam_root_user_resource, describe_snapshots_by_owner, main_route_table_kept,
              iam_lists_say_if_truncated, default_vpc_as_on_aws,
              primary_network_interface_goes_with_instance, last_page_has_no_token,
              unimplemented_actions_fail_fast]


def install() -> None:
    for extension in EXTENSIONS:
        extension()
