"""AWS Budgets: budgets by name, budget actions by what they do."""

from __future__ import annotations

from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CREATE, IMPORT, Finding


def _budget(d: Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    found = aws.unless_missing(
        lambda: d.client("budgets").describe_budget(AccountId=d.caller, BudgetName=name),
        "NotFoundException",
    )
    return Finding(
        address,
        f"budget {name}",
        IMPORT if found else CREATE,
        f"{d.caller}:{name}" if found else None,
    )


def _budget_action(d: Discovery, address: str, body: dict) -> Finding:
    """An action of our budget that attaches our policy to our targets: a second such action
    would be a duplicate beside it."""
    budget = d.label(body["budget_name"], "name")
    definition = body["definition"]["scp_action_definition"]
    policy, targets = (
        d.value(definition["policy_id"]),
        [d.value(target) for target in definition["target_ids"]],
    )
    what = f"budget action of {budget} ({body['action_type']})"
    if not (d.exists(body["budget_name"]) and policy and all(targets)):
        return Finding(address, what, CREATE)
    pages = (
        d.client("budgets")
        .get_paginator("describe_budget_actions_for_budget")
        .paginate(AccountId=d.caller, BudgetName=budget)
    )
    found = next(
        (
            action
            for page in pages
            for action in page["Actions"]
            if action["ActionType"] == body["action_type"]
            and action["Definition"].get("ScpActionDefinition", {}).get("PolicyId") == policy
            and sorted(action["Definition"]["ScpActionDefinition"]["TargetIds"]) == sorted(targets)
        ),
        None,
    )
    if found is None:
        return Finding(address, what, CREATE)
    return Finding(
        address,
        what,
        IMPORT,
        f"{d.caller}:{found['ActionId']}:{budget}",
        why=f"status {found['Status']}; its threshold and subscribers are replaced by ours",
    )


discovers("aws_budgets_budget")(_budget)
discovers("aws_budgets_budget_action")(_budget_action)
