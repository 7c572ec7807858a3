"""The cost kill switch's AWS resources through the real provider on the session's emulator:
an organization with a member account, a freeze SCP, a budget with an APPLY_SCP_POLICY action
and its execution role, an anomaly monitor and subscription. Apply, a clean second plan, execute
and reverse the action (the SCP really attached and detached), destroy.

The configuration is written here, not synthesized: it proves the emulator extensions, not the
stacks.
"""

from __future__ import annotations

import json

import pytest

from foundation import organization_policies, policies
from scripts import aws
from scripts.runner.terraform import PLAN_NO_CHANGES, Terraform

pytestmark = pytest.mark.emulator

# An account of its own on the shared emulator (moto's AssumeRole switches to the account of any
# role ARN), so that this organization never meets the foundation's.
ISOLATED_ACCOUNT = "210987654321"
ROLE_ARN = f"arn:aws:iam::{ISOLATED_ACCOUNT}:role/kill-switch-test"
SESSION_NAME = "kill-switch-test"
STACK = "kill-switch"
SERVICES = ("budgets", "ce", "iam", "organizations", "sts")
FIRST = {
    "threshold_percent": 100,
    "frequency": "DAILY",
    "monitor_name": "services",
    "tags": {"workspace": "management"},
}
# Every attribute here is updated in place.
CHANGED = {
    "threshold_percent": 80,
    "frequency": "WEEKLY",
    "monitor_name": "per-service",
    "tags": {"workspace": "management", "switch": "armed"},
}


def kill_switch_configuration(
    config, *, threshold_percent: float, frequency: str, monitor_name: str, tags: dict[str, str]
) -> dict:
    endpoint_url = config.emulator.endpoint_url
    trust = policies.trust_service(
        "budgets.amazonaws.com",
        source_account=ISOLATED_ACCOUNT,
        source_arn_pattern=f"arn:aws:budgets::{ISOLATED_ACCOUNT}:budget/*",
    )
    attach_freeze = policies.attach_and_detach(
        "${aws_organizations_policy.freeze.arn}", "${aws_organizations_account.dev.arn}"
    )
    freeze = organization_policies.freeze_scp()
    organization = ["aws_organizations_organization.organization"]
    return {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}
        },
        "provider": {
            "aws": [
                {
                    "region": config.region,
                    "endpoints": [dict.fromkeys(SERVICES, endpoint_url)],
                    "skip_credentials_validation": True,
                    "skip_metadata_api_check": "true",
                    "assume_role": [{"role_arn": ROLE_ARN, "session_name": SESSION_NAME}],
                }
            ]
        },
        "resource": {
            "aws_organizations_organization": {
                "organization": {
                    "feature_set": "ALL",
                    "enabled_policy_types": ["SERVICE_CONTROL_POLICY"],
                }
            },
            "aws_organizations_account": {
                "dev": {
                    "name": "dev",
                    "email": config.account("dev").email,
                    "depends_on": organization,
                }
            },
            "aws_organizations_policy": {
                "freeze": {
                    "name": "freeze",
                    "type": "SERVICE_CONTROL_POLICY",
                    "content": json.dumps(freeze),
                    "depends_on": organization,
                }
            },
            "aws_iam_role": {
                "budget_action": {"name": "budget-action", "assume_role_policy": json.dumps(trust)}
            },
            "aws_iam_role_policy": {
                "budget_action": {
                    "name": "attach-freeze",
                    "role": "${aws_iam_role.budget_action.id}",
                    "policy": json.dumps(attach_freeze),
                }
            },
            "aws_budgets_budget": {
                "dev": {
                    "name": "dev-monthly",
                    "budget_type": "COST",
                    "limit_amount": "5",
                    "limit_unit": "USD",
                    "time_unit": "MONTHLY",
                }
            },
            "aws_budgets_budget_action": {
                "freeze_dev": {
                    "budget_name": "${aws_budgets_budget.dev.name}",
                    "action_type": "APPLY_SCP_POLICY",
                    "approval_model": "AUTOMATIC",
                    "notification_type": "ACTUAL",
                    "execution_role_arn": "${aws_iam_role.budget_action.arn}",
                    "action_threshold": [
                        {
                            "action_threshold_type": "PERCENTAGE",
                            "action_threshold_value": threshold_percent,
                        }
                    ],
                    "definition": [
                        {
                            "scp_action_definition": [
                                {
                                    "policy_id": "${aws_organizations_policy.freeze.id}",
                                    "target_ids": ["${aws_organizations_account.dev.id}"],
                                }
                            ]
                        }
                    ],
                    "subscriber": [
                        {"address": config.management_email, "subscription_type": "EMAIL"}
                    ],
                    "tags": tags,
                }
            },
            "aws_ce_anomaly_monitor": {
                "services": {
                    "name": monitor_name,
                    "monitor_type": "DIMENSIONAL",
                    "monitor_dimension": "SERVICE",
                    "tags": tags,
                }
            },
            "aws_ce_anomaly_subscription": {
                "spend": {
                    "name": "spend",
                    "frequency": frequency,
                    "monitor_arn_list": ["${aws_ce_anomaly_monitor.services.arn}"],
                    "subscriber": [{"type": "EMAIL", "address": config.management_email}],
                    "threshold_expression": [
                        {
                            "dimension": [
                                {
                                    "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                                    "match_options": ["GREATER_THAN_OR_EQUAL"],
                                    "values": ["10"],
                                }
                            ]
                        }
                    ],
                    "tags": tags,
                }
            },
        },
        "output": {
            "dev_account_id": {"value": "${aws_organizations_account.dev.id}"},
            "budget_name": {"value": "${aws_budgets_budget.dev.name}"},
            "action_id": {"value": "${aws_budgets_budget_action.freeze_dev.action_id}"},
            "action_arn": {"value": "${aws_budgets_budget_action.freeze_dev.arn}"},
            "subscription_arn": {"value": "${aws_ce_anomaly_subscription.spend.arn}"},
        },
    }


@pytest.mark.usefixtures("bootstrapped")
def test_kill_switch_resources_on_the_emulator(emulator, tmp_path):
    configuration = tmp_path / STACK / "cdk.tf.json"
    configuration.parent.mkdir()
    configuration.write_text("{}")
    terraform = Terraform(emulator, STACK, stacks=tmp_path, log=tmp_path / "terraform.log")
    for settings in (FIRST, CHANGED):
        configuration.write_text(json.dumps(kill_switch_configuration(emulator, **settings)))
        terraform.apply(auto_approve=True)
        assert terraform.plan(detailed_exitcode=True) == PLAN_NO_CHANGES, settings

    outputs = terraform.outputs()
    session = aws.assume_role(emulator, ROLE_ARN, SESSION_NAME)
    budgets, organizations, ce = (
        aws.client(emulator, service, session) for service in ("budgets", "organizations", "ce")
    )
    action = dict(
        AccountId=ISOLATED_ACCOUNT, BudgetName=outputs["budget_name"], ActionId=outputs["action_id"]
    )
    threshold = budgets.describe_budget_action(**action)["Action"]["ActionThreshold"]
    assert threshold["ActionThresholdValue"] == CHANGED["threshold_percent"]
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"][0]["Frequency"] == "WEEKLY"
    action_tags = budgets.list_tags_for_resource(ResourceARN=outputs["action_arn"])
    subscription_tags = ce.list_tags_for_resource(ResourceArn=outputs["subscription_arn"])
    for tags in (action_tags["ResourceTags"], subscription_tags["ResourceTags"]):
        assert {t["Key"]: t["Value"] for t in tags} == CHANGED["tags"]

    def status() -> str:
        return budgets.describe_budget_action(**action)["Action"]["Status"]

    def frozen() -> bool:
        return "freeze" in [
            p["Name"]
            for p in organizations.list_policies_for_target(
                TargetId=outputs["dev_account_id"], Filter="SERVICE_CONTROL_POLICY"
            )["Policies"]
        ]

    assert (status(), frozen()) == ("STANDBY", False)
    budgets.execute_budget_action(**action, ExecutionType="APPROVE_BUDGET_ACTION")
    assert (status(), frozen()) == ("EXECUTION_SUCCESS", True)
    assert terraform.plan(detailed_exitcode=True) == PLAN_NO_CHANGES, (
        "an executed action must not make the plan dirty"
    )
    budgets.execute_budget_action(**action, ExecutionType="REVERSE_BUDGET_ACTION")
    assert (status(), frozen()) == ("REVERSE_SUCCESS", False)

    terraform.destroy(auto_approve=True)
    assert terraform.state_resources() == []
    assert budgets.describe_budget_actions_for_account(AccountId=ISOLATED_ACCOUNT)["Actions"] == []
    assert ce.get_anomaly_monitors()["AnomalyMonitors"] == []
    assert ce.get_anomaly_subscriptions()["AnomalySubscriptions"] == []
