"""Before any stack's `terraform init` — management's as much as a member's — the runner asks
whether the credentials work and the state bucket exists, and says which command fixes what is
missing instead of showing terraform's raw error."""

from __future__ import annotations

import dataclasses

import pytest

from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK
from scripts.commands.stacks import require_management_first
from scripts.console import UserError
from scripts.runner.terraform import Terraform
from tests.helpers import free_port


@pytest.fixture(scope="module")
def stacks(emulator, synthesize):
    return synthesize(emulator) / "stacks"


@pytest.mark.parametrize("stack", [MANAGEMENT_STACK, DEV_ACCOUNT])
def test_a_missing_state_bucket_names_make_bootstrap(emulator, stacks, stack):
    no_bucket = dataclasses.replace(emulator, state_bucket="no-state-bucket-yet")
    with pytest.raises(UserError) as refused:
        Terraform(no_bucket, stack, stacks=stacks).plan()
    message = str(refused.value)
    assert "'no-state-bucket-yet' does not exist yet" in message
    assert "`make bootstrap ENV=local`" in message


@pytest.mark.parametrize("stack", [MANAGEMENT_STACK, DEV_ACCOUNT])
def test_an_emulator_that_is_not_running_names_make_local_up(emulator, stacks, stack):
    port = free_port()
    stopped = dataclasses.replace(
        emulator,
        emulator=dataclasses.replace(emulator.emulator, endpoint_url=f"https://127.0.0.1:{port}"),
    )
    assert stopped.emulator.port == port
    with pytest.raises(UserError) as refused:
        Terraform(stopped, stack, stacks=stacks).plan()
    message = str(refused.value)
    assert "an AWS call failed" in message
    assert f"`make local-up ENV=local` (LOCAL_AWS_PORT={port})" in message


def test_planning_a_member_before_the_bootstrap_names_make_bootstrap_not_apply(emulator):
    """The first-run dead end: `make plan STACK=dev` on a fresh emulator used to send the person
    to `make apply STACK=management`, which then failed for want of the state bucket."""
    no_bucket = dataclasses.replace(emulator, state_bucket="not-bootstrapped-yet")
    with pytest.raises(UserError, match="`make bootstrap ENV=local`"):
        require_management_first(no_bucket, DEV_ACCOUNT)
