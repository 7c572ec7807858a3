"""AWS Budgets: budgets by name."""

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


discovers("aws_budgets_budget")(_budget)
