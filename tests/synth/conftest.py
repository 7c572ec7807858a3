"""What the synth tests share: the example's stacks, as JSON and as text, and cdktf's Testing."""

from __future__ import annotations

import dataclasses
import json

import pytest

from foundation.contract import MANAGEMENT_STACK
from foundation.model import MemberAccount
from tests.helpers import the_one, variant


@pytest.fixture(scope="module")
def management(example_stacks) -> dict:
    return example_stacks[MANAGEMENT_STACK]


@pytest.fixture(scope="module")
def dev(example_stacks) -> dict:
    return example_stacks["dev"]


@pytest.fixture(scope="module")
def stack_text(synthesize, example_config) -> dict[str, str]:
    """The synthesized JSON text per stack, as cdktf's Testing matchers take it."""
    stacks = synthesize(example_config) / "stacks"
    return {d.name: (d / "cdk.tf.json").read_text() for d in stacks.iterdir()}


@pytest.fixture(scope="module")
def cdktf_testing():
    """cdktf's Testing matchers (imported here, not at the top: conftest.py says why)."""
    from cdktf import Testing

    return Testing


@pytest.fixture(scope="module")
def log_bucket(management, example_config) -> tuple[str, dict]:
    return the_one(management, "aws_s3_bucket", bucket=example_config.trail.bucket)


@pytest.fixture(scope="module")
def all_off_management(synthesize, example_config) -> dict:
    """The example's management stack with every guardrail switch off."""
    from modules.guardrails import Guardrails as GuardrailsConstruct

    config = variant(
        example_config,
        deny_leave_organization=False,
        protect_member_role=False,
        deny_member_root=False,
        centralize_root_access=False,
        allowed_regions=(),
        ai_services_opt_out=False,
        tag_policy=False,
        resource_perimeter=False,
        ec2_protections=False,
    )
    assert GuardrailsConstruct.scp(config) is None
    path = synthesize(config) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def several(example_config):
    """The example with three member accounts: dev; test, its kill switch at 80 %; lab, its kill
    switch off and commitments allowed. Anomaly detection off."""
    dev = example_config.account("dev")
    accounts = (
        dev,
        MemberAccount("test", "aws-test@example.com", dev.role_name, freeze_at_percent=80),
        MemberAccount(
            "lab", "aws-lab@example.com", dev.role_name, freeze_at_percent=0, allow_commitments=True
        ),
    )
    return dataclasses.replace(
        example_config,
        accounts=accounts,
        budgets=dataclasses.replace(example_config.budgets, anomaly_alert_usd=0),
    )


@pytest.fixture(scope="module")
def several_management(synthesize, several) -> dict:
    return json.loads(
        (synthesize(several) / "stacks" / MANAGEMENT_STACK / "cdk.tf.json").read_text()
    )
