"""Scale: an environment with 20 member accounts (generated from environments/local.toml)
synthesizes, validates with the real provider and plans every member on a fresh emulator.
Minutes long, so not in the default tier: `make test-scale` (marker `scale`)."""

from __future__ import annotations

import pytest

from benchmarks.many_accounts import environment_with_members, member_names, scale_run
from foundation import config as config_module
from foundation import model
from foundation.contract import MANAGEMENT_STACK
from scripts.emulator import server
from tests.helpers import free_port, terraform_or_skip

MEMBERS = 20

pytestmark = pytest.mark.scale


def test_twenty_member_accounts_synthesize_validate_and_plan(tmp_path, monkeypatch):
    terraform_or_skip()
    monkeypatch.setenv(model.EMULATOR_PORT_VARIABLE, str(free_port()))
    config = config_module.load(environment_with_members(tmp_path, MEMBERS))
    assert config.stack_names == (MANAGEMENT_STACK, *member_names(MEMBERS))
    server.start(config)
    try:
        seconds = scale_run(config, tmp_path)
    finally:
        server.stop(config)
    print(
        "\n"
        + "\n".join(f"{MEMBERS} members, {step}: {value:.1f}s" for step, value in seconds.items())
    )
    plans = sorted((tmp_path / "logs").glob("plan-*.log"))
    assert len(plans) == MEMBERS and all("Plan: " in log.read_text() for log in plans)
