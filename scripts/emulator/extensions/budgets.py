"""AWS Budgets: what moto lacks of budgets, their notifications, tags and actions."""

from __future__ import annotations

import copy
import json

from moto.budgets.exceptions import NotFoundException
from moto.budgets.responses import BudgetsResponse
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.iam.models import iam_backends
from moto.moto_api._internal import mock_random
from moto.organizations.models import organizations_backends

from scripts.emulator.extensions.registry import extension, one_page, wrap


@extension
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
            raise NotFoundException(
                f"Unable to get budget: {budget_name} - the budget doesn't exist."
            )
        for notification in budgets[budget_name].notifications:
            if _notification_identity(notification.details) == wanted:
                return json.dumps({"Subscribers": notification.subscribers})
        raise NotFoundException("Unable to find the notification for budget " + budget_name)

    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification


def _notification_identity(notification: dict) -> tuple:
    return (
        notification["NotificationType"],
        notification["ComparisonOperator"],
        float(notification["Threshold"]),
        notification.get("ThresholdType", "PERCENTAGE"),
    )


@extension
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


def _budget_arn(account_id: str, budget_name: str) -> str:
    return f"arn:aws:budgets::{account_id}:budget/{budget_name}"


def _budget_tags(response) -> dict[str, dict[str, str]]:
    """Tags by budget or budget-action ARN, kept on moto's backend so that they reset with it."""
    return response.backend.__dict__.setdefault("resource_tags", {})


@extension
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
            arn = _budget_arn(
                response._get_param("AccountId"), response._get_param("Budget")["BudgetName"]
            )
            _budget_tags(response)[arn] = _tag_map(response._get_param("ResourceTags", []))
            return result

        return create_budget_with_tags

    wrap(BudgetsResponse, "create_budget", with_tags)
    BudgetsResponse.tag_resource = tag_resource
    BudgetsResponse.untag_resource = untag_resource
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


BUDGETS_SERVICE_PRINCIPAL = "budgets.amazonaws.com"
_ACTION_DEFINITIONS = {
    "APPLY_IAM_POLICY": "IamActionDefinition",
    "APPLY_SCP_POLICY": "ScpActionDefinition",
    "RUN_SSM_DOCUMENTS": "SsmActionDefinition",
}
_ACTION_FIELDS = (
    "NotificationType",
    "ActionThreshold",
    "Definition",
    "ExecutionRoleArn",
    "ApprovalModel",
    "Subscribers",
)

# ExecuteBudgetAction's ExecutionType -> (statuses it starts from, whether the policy is attached
# (True), detached (False) or left alone (None), status on success, status on failure).
_EXECUTIONS = {
    "APPROVE_BUDGET_ACTION": (
        {"STANDBY", "PENDING"},
        True,
        "EXECUTION_SUCCESS",
        "EXECUTION_FAILURE",
    ),
    "RETRY_BUDGET_ACTION": ({"EXECUTION_FAILURE"}, True, "EXECUTION_SUCCESS", "EXECUTION_FAILURE"),
    "REVERSE_BUDGET_ACTION": (
        {"EXECUTION_SUCCESS", "REVERSE_FAILURE"},
        False,
        "REVERSE_SUCCESS",
        "REVERSE_FAILURE",
    ),
    "RESET_BUDGET_ACTION": (
        {"REVERSE_SUCCESS", "EXECUTION_FAILURE", "RESET_FAILURE"},
        None,
        "STANDBY",
        "RESET_FAILURE",
    ),
}


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
        raise NotFoundException(f"Unable to get budget: {budget_name} - the budget doesn't exist.")
    return budget_name


def existing_action(response) -> dict:
    budget_name = existing_budget(response)
    action = actions(response).get(response._get_param("ActionId"))
    if action is None or action["BudgetName"] != budget_name:
        raise NotFoundException(
            f"Unable to get action: {response._get_param('ActionId')} - the action doesn't exist."
        )
    return action


def check_definition(action: dict) -> None:
    wanted = _ACTION_DEFINITIONS[action["ActionType"]]
    if set(action["Definition"]) != {wanted}:
        raise JsonRESTError(
            "InvalidParameterException",
            f"An {action['ActionType']} action needs a Definition with {wanted} only.",
        )


def reply(response, **fields) -> str:
    return json.dumps(
        {
            "AccountId": response._get_param("AccountId"),
            "BudgetName": response._get_param("BudgetName"),
            **fields,
        }
    )


def create_budget_action(response) -> str:
    action = {
        "ActionId": str(mock_random.uuid4()),
        "BudgetName": existing_budget(response),
        "ActionType": response._get_param("ActionType"),
        "Status": "STANDBY",
        **{field: response._get_param(field) for field in _ACTION_FIELDS},
    }
    check_definition(action)
    actions(response)[action["ActionId"]] = action
    _budget_tags(response)[action_arn(response, action)] = _tag_map(
        response._get_param("ResourceTags", [])
    )
    return reply(response, ActionId=action["ActionId"])


def describe_budget_action(response) -> str:
    return reply(response, Action=existing_action(response))


def describe_budget_actions_for_budget(response) -> str:
    budget_name = existing_budget(response)
    return listing(
        response, [a for a in actions(response).values() if a["BudgetName"] == budget_name]
    )


def describe_budget_actions_for_account(response) -> str:
    return listing(response, list(actions(response).values()))


def listing(response, found: list[dict]) -> str:
    page, token = one_page(
        found, response._get_param("MaxResults"), response._get_param("NextToken")
    )
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
        raise JsonRESTError(
            "InvalidParameterException",
            f"{execution_type} is not possible for an action in status {action['Status']}.",
        )
    if attach is not None and action["ActionType"] != "APPLY_SCP_POLICY":
        raise JsonRESTError(
            "InvalidParameterException",
            "The local emulator executes APPLY_SCP_POLICY actions only.",
        )
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
    organizations = organizations_backends[response._get_param("AccountId")][response.partition]
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
        for action in [a for a in actions(response).values() if a["BudgetName"] == budget_name]:
            forget(response, action)
        return result

    return delete_budget_and_actions


@extension
def budget_actions() -> None:
    """Budget actions, which moto lacks: Create/Describe/Update/DeleteBudgetAction,
    DescribeBudgetActionsForBudget/ForAccount and ExecuteBudgetAction.

    A new action waits in STANDBY, as on AWS until its threshold is crossed; the emulator has no
    spend, so approving a STANDBY action stands in for that. Executing an APPLY_SCP_POLICY action
    attaches its SCP to its targets through moto's Organizations as its execution role would (the
    role must exist and trust budgets.amazonaws.com, else EXECUTION_FAILURE); reversing detaches
    it. Executions finish at once, where AWS passes through *_IN_PROGRESS. Deleting a budget
    deletes its actions."""
    wrap(BudgetsResponse, "delete_budget", and_its_actions)
    for handler in (
        create_budget_action,
        describe_budget_action,
        describe_budget_actions_for_budget,
        describe_budget_actions_for_account,
        update_budget_action,
        delete_budget_action,
        execute_budget_action,
    ):
        setattr(BudgetsResponse, handler.__name__, handler)


def _trusts(trust_policy: str, service: str) -> bool:
    """Whether a role's trust policy lets `service` assume it."""
    statements = json.loads(trust_policy)["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = statement.get("Action", [])
        if (
            statement.get("Effect") == "Allow"
            and service in _listed(services)
            and "sts:AssumeRole" in _listed(actions)
        ):
            return True
    return False


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]
