"""AWS Budgets as the emulator completes it (scripts/emulator/extensions/budgets.py)."""

from __future__ import annotations

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from foundation import policies
from scripts.emulator.extensions.budgets import BUDGETS_SERVICE_PRINCIPAL


def test_budget_notification_subscribers(mocked_aws):
    budgets = mocked_aws("budgets")
    notification = {
        "NotificationType": "FORECASTED",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": 80,
        "ThresholdType": "PERCENTAGE",
    }
    subscribers = [{"SubscriptionType": "EMAIL", "Address": "aws-dev@example.com"}]
    budgets.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "dev",
            "BudgetLimit": {"Amount": "5", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=[{"Notification": notification, "Subscribers": subscribers}],
    )
    found = budgets.describe_subscribers_for_notification(
        AccountId="123456789012", BudgetName="dev", Notification={**notification, "Threshold": 80.0}
    )
    assert found["Subscribers"] == subscribers
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_subscribers_for_notification(
            AccountId="123456789012",
            BudgetName="dev",
            Notification={**notification, "NotificationType": "ACTUAL"},
        )


def test_budget_tags(mocked_aws):
    budgets = mocked_aws("budgets")
    arn = "arn:aws:budgets::123456789012:budget/dev"
    budgets.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "dev",
            "BudgetLimit": {"Amount": "5", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        ResourceTags=[{"Key": "environment", "Value": "local"}],
    )
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "environment", "Value": "local"}
    ]
    budgets.tag_resource(
        ResourceARN=arn,
        ResourceTags=[{"Key": "workspace", "Value": "dev"}, {"Key": "owner", "Value": "me"}],
    )
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["owner", "environment"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "dev"}
    ]


def test_update_budget_replaces_all_but_name_notifications_and_tags(mocked_aws):
    budgets = mocked_aws("budgets")
    arn = "arn:aws:budgets::123456789012:budget/dev"
    notification = {
        "NotificationType": "ACTUAL",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": 80.0,
        "ThresholdType": "PERCENTAGE",
    }
    subscribers = [{"SubscriptionType": "EMAIL", "Address": "aws-dev@example.com"}]
    budget = {
        "BudgetName": "dev",
        "BudgetLimit": {"Amount": "5.0", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    budgets.create_budget(
        AccountId="123456789012",
        Budget=budget,
        ResourceTags=[{"Key": "owner", "Value": "me"}],
        NotificationsWithSubscribers=[{"Notification": notification, "Subscribers": subscribers}],
    )
    budgets.update_budget(
        AccountId="123456789012",
        NewBudget={
            **budget,
            "BudgetLimit": {"Amount": "7.0", "Unit": "USD"},
            "CostTypes": {"IncludeTax": False},
        },
    )

    updated = budgets.describe_budget(AccountId="123456789012", BudgetName="dev")["Budget"]
    assert updated["BudgetLimit"] == {"Amount": "7.0", "Unit": "USD"}
    assert updated["CostTypes"] == {"IncludeTax": False}
    assert updated["CalculatedSpend"]["ActualSpend"]["Amount"] == "0"
    assert budgets.describe_notifications_for_budget(AccountId="123456789012", BudgetName="dev")[
        "Notifications"
    ] == [notification]
    assert (
        budgets.describe_subscribers_for_notification(
            AccountId="123456789012", BudgetName="dev", Notification=notification
        )["Subscribers"]
        == subscribers
    )
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "owner", "Value": "me"}
    ]
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.update_budget(AccountId="123456789012", NewBudget={**budget, "BudgetName": "test"})


ACCOUNT_ID = DEFAULT_ACCOUNT_ID  # the account of moto's default credentials
BUDGET = {
    "BudgetName": "dev",
    "BudgetLimit": {"Amount": "5", "Unit": "USD"},
    "TimeUnit": "MONTHLY",
    "BudgetType": "COST",
}


def _trust(service: str) -> str:
    return json.dumps(
        policies.document(
            policies.statement(
                "ServiceAssumes",
                "Allow",
                actions=["sts:AssumeRole"],
                principal={"Service": service},
                resources=None,
            )
        )
    )


BUDGETS_TRUST = _trust(BUDGETS_SERVICE_PRINCIPAL)


@pytest.fixture
def freeze_setup(mocked_aws):
    """An organization with one member account, a freeze SCP, a budget and a role that Budgets
    may assume: {"member", "policy_id", "role_arn"}."""
    organizations, iam = mocked_aws("organizations"), mocked_aws("iam")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="dev", Email="aws-dev@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    policy_id = organizations.create_policy(
        Name="freeze",
        Description="freeze",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(
            policies.document(
                policies.statement("Freeze", "Deny", actions=["ec2:RunInstances"], resources=["*"])
            )
        ),
    )["Policy"]["PolicySummary"]["Id"]
    role_arn = iam.create_role(RoleName="budget-action", AssumeRolePolicyDocument=BUDGETS_TRUST)[
        "Role"
    ]["Arn"]
    mocked_aws("budgets").create_budget(AccountId=ACCOUNT_ID, Budget=BUDGET)
    return {"member": member, "policy_id": policy_id, "role_arn": role_arn}


def _create_freeze_action(budgets, setup, **overrides) -> str:
    return budgets.create_budget_action(
        **{
            "AccountId": ACCOUNT_ID,
            "BudgetName": "dev",
            "NotificationType": "ACTUAL",
            "ActionType": "APPLY_SCP_POLICY",
            "ActionThreshold": {"ActionThresholdValue": 100, "ActionThresholdType": "PERCENTAGE"},
            "Definition": {
                "ScpActionDefinition": {
                    "PolicyId": setup["policy_id"],
                    "TargetIds": [setup["member"]],
                }
            },
            "ExecutionRoleArn": setup["role_arn"],
            "ApprovalModel": "AUTOMATIC",
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "aws-root@example.com"}],
            **overrides,
        }
    )["ActionId"]


def _attached_scps(organizations, target: str) -> list[str]:
    return [
        p["Name"]
        for p in organizations.list_policies_for_target(
            TargetId=target, Filter="SERVICE_CONTROL_POLICY"
        )["Policies"]
    ]


def _status(budgets, action_id: str) -> str:
    return budgets.describe_budget_action(
        AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id
    )["Action"]["Status"]


def test_budget_action_crud_and_tags(mocked_aws, freeze_setup):
    budgets = mocked_aws("budgets")
    action_id = _create_freeze_action(
        budgets, freeze_setup, ResourceTags=[{"Key": "workspace", "Value": "management"}]
    )
    action = budgets.describe_budget_action(
        AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id
    )["Action"]
    assert (action["Status"], action["ApprovalModel"]) == ("STANDBY", "AUTOMATIC")
    assert action["Definition"]["ScpActionDefinition"]["TargetIds"] == [freeze_setup["member"]]
    arn = f"arn:aws:budgets::{ACCOUNT_ID}:budget/dev/action/{action_id}"
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [
        {"Key": "workspace", "Value": "management"}
    ]

    updated = budgets.update_budget_action(
        AccountId=ACCOUNT_ID,
        BudgetName="dev",
        ActionId=action_id,
        ActionThreshold={"ActionThresholdValue": 80, "ActionThresholdType": "PERCENTAGE"},
    )
    assert updated["OldAction"]["ActionThreshold"]["ActionThresholdValue"] == 100
    assert updated["NewAction"]["ActionThreshold"]["ActionThresholdValue"] == 80
    assert updated["NewAction"]["ExecutionRoleArn"] == freeze_setup["role_arn"]

    second = _create_freeze_action(budgets, freeze_setup, NotificationType="FORECASTED")
    listed = budgets.describe_budget_actions_for_budget(
        AccountId=ACCOUNT_ID, BudgetName="dev", MaxResults=1
    )
    rest = budgets.describe_budget_actions_for_account(
        AccountId=ACCOUNT_ID, MaxResults=1, NextToken=listed["NextToken"]
    )
    assert [a["ActionId"] for a in listed["Actions"] + rest["Actions"]] == [action_id, second]
    assert "NextToken" not in rest
    with pytest.raises(budgets.exceptions.InvalidNextTokenException):
        budgets.describe_budget_actions_for_account(AccountId=ACCOUNT_ID, NextToken="elsewhere")

    deleted = budgets.delete_budget_action(
        AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id
    )
    assert deleted["Action"]["ActionId"] == action_id
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == []
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id)


def test_budget_action_needs_its_budget_and_a_matching_definition(mocked_aws, freeze_setup):
    budgets = mocked_aws("budgets")
    with pytest.raises(budgets.exceptions.NotFoundException):
        _create_freeze_action(budgets, freeze_setup, BudgetName="missing")
    with pytest.raises(budgets.exceptions.InvalidParameterException):
        _create_freeze_action(budgets, freeze_setup, ActionType="APPLY_IAM_POLICY")
    action_id = _create_freeze_action(budgets, freeze_setup)
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName="dev")
    assert budgets.describe_budget_actions_for_account(AccountId=ACCOUNT_ID)["Actions"] == []
    budgets.create_budget(AccountId=ACCOUNT_ID, Budget=BUDGET)
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_budget_action(AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id)


def test_executing_a_budget_action_attaches_and_reversing_detaches_its_scp(
    mocked_aws, freeze_setup
):
    budgets, organizations = mocked_aws("budgets"), mocked_aws("organizations")
    action_id = _create_freeze_action(budgets, freeze_setup)

    def execute(execution_type: str) -> None:
        budgets.execute_budget_action(
            AccountId=ACCOUNT_ID, BudgetName="dev", ActionId=action_id, ExecutionType=execution_type
        )

    execute("APPROVE_BUDGET_ACTION")
    assert _status(budgets, action_id) == "EXECUTION_SUCCESS"
    assert "freeze" in _attached_scps(organizations, freeze_setup["member"])
    with pytest.raises(budgets.exceptions.InvalidParameterException):
        execute("APPROVE_BUDGET_ACTION")

    execute("REVERSE_BUDGET_ACTION")
    assert _status(budgets, action_id) == "REVERSE_SUCCESS"
    assert "freeze" not in _attached_scps(organizations, freeze_setup["member"])
    execute("RESET_BUDGET_ACTION")
    assert _status(budgets, action_id) == "STANDBY"


def test_budget_action_fails_when_budgets_cannot_assume_its_role(mocked_aws, freeze_setup):
    budgets, organizations = mocked_aws("budgets"), mocked_aws("organizations")
    iam = mocked_aws("iam")
    iam.update_assume_role_policy(
        RoleName="budget-action", PolicyDocument=_trust("ec2.amazonaws.com")
    )
    action_id = _create_freeze_action(budgets, freeze_setup)
    budgets.execute_budget_action(
        AccountId=ACCOUNT_ID,
        BudgetName="dev",
        ActionId=action_id,
        ExecutionType="APPROVE_BUDGET_ACTION",
    )
    assert _status(budgets, action_id) == "EXECUTION_FAILURE"
    assert "freeze" not in _attached_scps(organizations, freeze_setup["member"])

    iam.update_assume_role_policy(RoleName="budget-action", PolicyDocument=BUDGETS_TRUST)
    budgets.execute_budget_action(
        AccountId=ACCOUNT_ID,
        BudgetName="dev",
        ActionId=action_id,
        ExecutionType="RETRY_BUDGET_ACTION",
    )
    assert _status(budgets, action_id) == "EXECUTION_SUCCESS"
    assert "freeze" in _attached_scps(organizations, freeze_setup["member"])


def test_budget_names_are_unique_per_account(mocked_aws):
    """CreateBudget answers DuplicateRecordException for a name the account has: "Budget names
    must be unique within an account"
    (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CreateBudget.html).
    moto refuses it already; this keeps it so."""
    budgets = mocked_aws("budgets")
    budget = {
        "BudgetName": "dev",
        "BudgetLimit": {"Amount": "5", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    budgets.create_budget(AccountId=DEFAULT_ACCOUNT_ID, Budget=budget)
    with pytest.raises(budgets.exceptions.DuplicateRecordException, match="already exists"):
        budgets.create_budget(
            AccountId=DEFAULT_ACCOUNT_ID,
            Budget={**budget, "BudgetLimit": {"Amount": "9", "Unit": "USD"}},
        )
    budgets.create_budget(AccountId="210987654321", Budget=budget)
