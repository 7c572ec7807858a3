"""`terraform validate` of every synthesized example stack with the real AWS provider, installed
from the offline mirror through the project's own runner (as `make validate` does)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from foundation.config import load
from foundation.contract import MANAGEMENT_STACK
from scripts.console import UserError
from scripts.runner.terraform import Terraform
from tests.helpers import terraform_or_skip

STACKS = load("example").stack_names


@pytest.fixture(scope="module")
def stacks_copy(synthesize, example_config, tmp_path_factory) -> Path:
    """The example stacks copied away from the session's synth output: init writes .terraform/."""
    terraform_or_skip()
    copy = tmp_path_factory.mktemp("validate") / "stacks"
    shutil.copytree(synthesize(example_config) / "stacks", copy)
    return copy


@pytest.mark.parametrize("stack", STACKS)
def test_stack_is_valid_terraform_without_warnings(stacks_copy, example_config, stack, monkeypatch):
    terraform = Terraform(example_config, stack, stacks=stacks_copy)
    ran = []
    run = terraform.run
    monkeypatch.setattr(
        terraform, "run", lambda *args, **kw: ran.append(run(*args, **kw)) or ran[-1]
    )
    try:
        terraform.validate()
    except UserError as error:
        pytest.fail(str(error), pytrace=False)
    validate = ran[-1]
    assert validate.args[1] == "validate" and "The configuration is valid" in validate.stdout
    # e.g. a deprecated argument: valid today, an error after a provider upgrade
    assert "Warning" not in validate.stdout + validate.stderr, validate.stdout + validate.stderr


def test_validate_reports_a_broken_stack(stacks_copy, example_config, tmp_path):
    """The check above can fail: an argument the AWS provider does not know is refused."""
    broken = tmp_path / "stacks"
    shutil.copytree(
        stacks_copy / MANAGEMENT_STACK,
        broken / MANAGEMENT_STACK,
        ignore=shutil.ignore_patterns(".terraform*"),
    )
    path = broken / MANAGEMENT_STACK / "cdk.tf.json"
    stack = json.loads(path.read_text())
    [trail] = stack["resource"]["aws_cloudtrail"].values()
    trail["is_organisation_trail"] = True  # misspelt
    path.write_text(json.dumps(stack))
    with pytest.raises(UserError, match="(?s)`terraform validate` failed.*is_organisation_trail"):
        Terraform(example_config, MANAGEMENT_STACK, stacks=broken).validate()
