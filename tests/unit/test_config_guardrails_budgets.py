"""The [guardrails] and [budgets] tables and each account's budget and kill switch: read with
safe defaults, every mistake reported with its key."""

from __future__ import annotations

import pytest

from foundation.config import load
from foundation.model import (
    DEFAULT_ACCOUNT_BUDGET_USD,
    Budgets,
    Guardrails,
)
from tests.helpers import write_env
from tests.unit.config_cases import (
    problems_of,
    without_sections,
)

# --- guardrails and budgets ----------------------------------------------------------------

ALLOWED_REGIONS = 'allowed_regions = ["eu-west-1", "us-east-1"]'
DENY_ROOT = "deny_member_root = true"
ORGANIZATION_BUDGET = "organization_monthly_usd = 20"
THRESHOLDS = "thresholds_percent = [50, 80, 100]"
DEV_BUDGET = "# monthly_budget_usd = 10"
DEV_FREEZE = "# freeze_at_percent = 100"
ANOMALY = "anomaly_alert_usd = 10"
GUARDRAIL_KEYS = (
    "ai_services_opt_out, allowed_regions, centralize_root_access, deny_leave_organization, "
    "deny_member_root, ec2_protections, protect_member_role, resource_perimeter, tag_policy"
)
AN_AMOUNT = "a positive amount of US dollars, such as 20 or 12.5"
A_REGION = "an AWS region such as eu-west-1 or us-east-1"
FREEZE_PERCENT = (
    "a percentage of the account's monthly budget from 0 to 1000 (0 turns the kill switch off)"
)
ANOMALY_USD = (
    "an amount of US dollars of 0 or more, such as 10 (0 turns Cost Anomaly Detection off)"
)
THRESHOLD_LIST = (
    "a list of 1 to 5 percentages of the budget, such as [50, 80, 100] (AWS allows "
    "10 notifications per budget: an actual and a forecasted one per threshold)"
)


def test_example_turns_every_guardrail_on(example_config):
    assert example_config.guardrails == Guardrails(allowed_regions=("eu-west-1", "us-east-1"))
    guardrails = example_config.guardrails
    assert guardrails.ai_services_opt_out and not guardrails.tag_policy
    assert example_config.budgets == Budgets(
        organization_monthly_usd=20, thresholds_percent=(50, 80, 100)
    )


def test_commitments_are_guarded_unless_an_account_lifts_it(example_config, tmp_path):
    assert not example_config.account("dev").allow_commitments
    lifted = load(write_env(tmp_path, ("# allow_commitments = false", "allow_commitments = true")))
    assert lifted.account("dev").allow_commitments


def test_files_without_the_new_sections_load_with_safe_defaults(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(without_sections("guardrails", "budgets"))
    config = load(path)
    assert config.guardrails == Guardrails()
    assert config.guardrails.deny_member_root and config.guardrails.allowed_regions == ()
    assert config.guardrails.ai_services_opt_out and not config.guardrails.tag_policy
    assert config.control_regions == (config.region,), "every region allowed: home region only"
    assert config.budgets == Budgets()
    assert config.account("dev").monthly_budget_usd == DEFAULT_ACCOUNT_BUDGET_USD


def test_member_budget_is_read_and_defaults_to_at_most_the_organization_budget(tmp_path):
    config = load(write_env(tmp_path, (DEV_BUDGET, "monthly_budget_usd = 7.5")))
    assert config.account("dev").monthly_budget_usd == 7.5
    small = load(write_env(tmp_path, (ORGANIZATION_BUDGET, "organization_monthly_usd = 4")))
    assert small.account("dev").monthly_budget_usd == 4


@pytest.mark.parametrize("percent", [0, 80, 250.5, 1000])
def test_kill_switch_threshold_is_read_and_0_turns_it_off(tmp_path, percent):
    config = load(write_env(tmp_path, (DEV_FREEZE, f"freeze_at_percent = {percent}")))
    assert config.account("dev").freeze_at_percent == percent


@pytest.mark.parametrize("usd", [0, 2.5, 100])
def test_anomaly_alert_threshold_is_read_and_0_turns_it_off(tmp_path, usd):
    assert (
        load(write_env(tmp_path, (ANOMALY, f"anomaly_alert_usd = {usd}"))).budgets.anomaly_alert_usd
        == usd
    )


def test_the_kill_switch_and_anomaly_alerts_are_on_by_default(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(without_sections("budgets"))
    config = load(path)
    assert config.account("dev").freeze_at_percent == 100
    assert config.budgets.anomaly_alert_usd == 10


def test_thresholds_above_100_percent_are_allowed(tmp_path):
    config = load(write_env(tmp_path, (THRESHOLDS, "thresholds_percent = [80, 100, 150]")))
    assert config.budgets.thresholds_percent == (80, 100, 150)


INVALID = {
    "switch-not-bool": (
        [(DENY_ROOT, 'deny_member_root = "yes"')],
        ["key 'guardrails.deny_member_root': expected true or false, got 'yes'"],
    ),
    "switch-typo": (
        [(DENY_ROOT, "deny_root = true")],
        [f"key 'guardrails.deny_root': unknown key (allowed here: {GUARDRAIL_KEYS})"],
    ),
    "regions-not-list": (
        [(ALLOWED_REGIONS, 'allowed_regions = "eu-west-1"')],
        [
            "key 'guardrails.allowed_regions': expected a list of AWS regions such as "
            '["eu-west-1", "us-east-1"] (an empty list allows every region), got \'eu-west-1\''
        ],
    ),
    "region-unknown": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["eu-west-1", "mars-1"]')],
        [f"key 'guardrails.allowed_regions[1]': expected {A_REGION}, got 'mars-1'"],
    ),
    "region-twice": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["eu-west-1", "eu-west-1"]')],
        ["key 'guardrails.allowed_regions[1]': expected each region once, got 'eu-west-1'"],
    ),
    "home-region-missing": (
        [(ALLOWED_REGIONS, 'allowed_regions = ["us-east-1"]')],
        [
            "key 'guardrails.allowed_regions': expected a list that includes the home region "
            "'eu-west-1' (the trail, the state bucket and the member workspaces live there), "
            "got ['us-east-1']"
        ],
    ),
    **{
        f"amount-{name}": (
            [(ORGANIZATION_BUDGET, f"organization_monthly_usd = {value}")],
            [f"key 'budgets.organization_monthly_usd': expected {AN_AMOUNT}, got {shown}"],
        )
        for name, value, shown in [
            ("zero", "0", "0"),
            ("negative", "-5", "-5"),
            ("text", '"20"', "'20'"),
            ("bool", "true", "True"),
            ("infinite", "inf", "inf"),
        ]
    },
    **{
        f"thresholds-{name}": (
            [(THRESHOLDS, f"thresholds_percent = {value}")],
            [f"key 'budgets.thresholds_percent': expected {THRESHOLD_LIST}, got {shown}"],
        )
        for name, value, shown in [
            ("empty", "[]", "[]"),
            ("too-many", "[10, 20, 30, 40, 50, 60]", "[10, 20, 30, 40, 50, 60]"),
            ("not-list", "80", "80"),
        ]
    },
    **{
        f"threshold-{name}": (
            [(THRESHOLDS, f"thresholds_percent = [50, {value}]")],
            [f"key 'budgets.thresholds_percent[1]': expected {expected}, got {shown}"],
        )
        for name, value, shown, expected in [
            ("zero", "0", "0", "a percentage above 0 and at most 1000"),
            ("too-high", "1001", "1001", "a percentage above 0 and at most 1000"),
            ("text", '"80"', "'80'", "a percentage above 0 and at most 1000"),
            ("twice", "50", "50", "each threshold once"),
        ]
    },
    "budgets-typo": (
        [(THRESHOLDS, "thresholds = [50]")],
        [
            "key 'budgets.thresholds': unknown key (allowed here: "
            "anomaly_alert_usd, organization_monthly_usd, thresholds_percent)"
        ],
    ),
    **{
        f"freeze-{name}": (
            [(DEV_FREEZE, f"freeze_at_percent = {value}")],
            [f"key 'accounts.dev.freeze_at_percent': expected {FREEZE_PERCENT}, got {shown}"],
        )
        for name, value, shown in [
            ("negative", "-1", "-1"),
            ("too-high", "1001", "1001"),
            ("text", '"100"', "'100'"),
            ("bool", "false", "False"),
            ("nan", "nan", "nan"),
        ]
    },
    **{
        f"anomaly-{name}": (
            [(ANOMALY, f"anomaly_alert_usd = {value}")],
            [f"key 'budgets.anomaly_alert_usd': expected {ANOMALY_USD}, got {shown}"],
        )
        for name, value, shown in [
            ("negative", "-1", "-1"),
            ("text", '"10"', "'10'"),
            ("bool", "true", "True"),
            ("infinite", "inf", "inf"),
        ]
    },
    "removed-trail-guardrail": (
        [("protect_member_role = true", "protect_audit_trail = true")],
        [
            "key 'guardrails.protect_audit_trail': no longer a guardrail; delete it. Its SCP "
            "statements protected nothing: the organization trail and its log bucket live in "
            "the management account, which SCPs never restrict, and member accounts cannot "
            "change an organization trail anyway (docs/guardrails.md)"
        ],
    ),
    **{
        f"{key}-not-a-switch": (
            [(line, line.split("=")[0].lstrip("# ") + '= "yes"')],
            [f"key '{where}{key}': expected true or false, got 'yes'"],
        )
        for key, line, where in [
            ("allow_commitments", "# allow_commitments = false", "accounts.dev."),
            ("resource_perimeter", "resource_perimeter = true", "guardrails."),
            ("ec2_protections", "ec2_protections = true", "guardrails."),
        ]
    },
    "member-over-organization": (
        [(DEV_BUDGET, "monthly_budget_usd = 30")],
        [
            "key 'accounts.dev.monthly_budget_usd': expected an amount no larger than "
            "budgets.organization_monthly_usd (20), got 30"
        ],
    ),
    "member-amount": (
        [(DEV_BUDGET, 'monthly_budget_usd = "5"')],
        [f"key 'accounts.dev.monthly_budget_usd': expected {AN_AMOUNT}, got '5'"],
    ),
}


@pytest.mark.parametrize("edits, expected", INVALID.values(), ids=INVALID.keys())
def test_invalid_guardrail_and_budget_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected


def test_every_guardrail_and_budget_problem_is_reported_at_once(tmp_path):
    path = write_env(
        tmp_path,
        (DENY_ROOT, "deny_member_root = 1"),
        (ALLOWED_REGIONS, 'allowed_regions = ["mars-1"]'),
        (ORGANIZATION_BUDGET, "organization_monthly_usd = -1"),
        (THRESHOLDS, "thresholds_percent = [0]"),
        (DEV_BUDGET, "monthly_budget_usd = 0"),
    )
    assert problems_of(path) == [
        f"key 'budgets.organization_monthly_usd': expected {AN_AMOUNT}, got -1",
        "key 'budgets.thresholds_percent[0]': expected a percentage above 0 and at most 1000, "
        "got 0",
        f"key 'accounts.dev.monthly_budget_usd': expected {AN_AMOUNT}, got 0",
        "key 'guardrails.deny_member_root': expected true or false, got 1",
        f"key 'guardrails.allowed_regions[0]': expected {A_REGION}, got 'mars-1'",
        "key 'guardrails.allowed_regions': expected a list that includes the home region "
        "'eu-west-1' (the trail, the state bucket and the member workspaces live there), "
        "got ['mars-1']",
    ]
