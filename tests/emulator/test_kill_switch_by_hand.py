"""The cost kill switch on the applied foundation (the session's emulator), through the command
line as `make` runs it: the budget action fires and really attaches the freeze SCP to dev through
Organizations (approving it while STANDBY stands in for a crossed threshold: the emulator has no
spend); `dev-thaw` reverses it through AWS Budgets; `dev-freeze` attaches it by hand and
`dev-thaw` detaches it; a hand freeze and the budget action meet in either order without harm
(Organizations refuses the second attachment); `status` prints every state; the management
account never gets it, and the guard refuses it, an unknown account, and outputs naming the
management account or one Organizations does not know. Each test leaves dev thawed and its
switch armed (STANDBY), as the other emulator tests expect.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from foundation.contract import (
    DEV_ACCOUNT,
    MANAGEMENT_STACK,
    OUTPUT_ACCOUNT_BUDGETS,
    OUTPUT_FREEZE_ACTION_IDS,
    OUTPUT_FREEZE_POLICY_ID,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
)
from scripts import aws, cli, workspaces
from scripts.commands import kill_switch
from scripts.guard import approval
from scripts.guard.checks import (
    REASON_MANAGEMENT_STACK,
    REASON_NOT_IN_ORGANIZATION,
    REASON_NOT_MEMBER,
    REASON_TARGET_IS_MANAGEMENT,
    Refused,
)


@dataclass
class Switch:
    """dev's kill switch as the APIs see it."""

    config: object
    management_id: str
    dev_id: str
    policy_id: str
    action: dict

    def frozen(self, account_id: str) -> bool:
        return kill_switch.is_frozen(self.config, account_id, self.policy_id)

    def status(self) -> str:
        return aws.client(self.config, "budgets").describe_budget_action(**self.action)["Action"][
            "Status"
        ]

    def execute(self, execution_type: str) -> None:
        aws.client(self.config, "budgets").execute_budget_action(
            **self.action, ExecutionType=execution_type
        )

    def states(self) -> tuple[bool, bool, str]:
        """(dev frozen, management frozen, the action's status)."""
        return self.frozen(self.dev_id), self.frozen(self.management_id), self.status()


@pytest.fixture
def switch(foundation):
    config, _ = foundation
    outputs = workspaces.state_outputs(config, MANAGEMENT_STACK)
    management_id = outputs[OUTPUT_MANAGEMENT_ACCOUNT_ID]
    found = Switch(
        config,
        management_id,
        outputs[OUTPUT_MEMBER_ACCOUNT_IDS][DEV_ACCOUNT],
        outputs[OUTPUT_FREEZE_POLICY_ID],
        dict(
            AccountId=management_id,
            BudgetName=outputs[OUTPUT_ACCOUNT_BUDGETS][DEV_ACCOUNT],
            ActionId=outputs[OUTPUT_FREEZE_ACTION_IDS][DEV_ACCOUNT],
        ),
    )
    assert found.states() == (False, False, "STANDBY"), "dev starts thawed, its switch armed"
    yield found
    if found.status() == kill_switch.EXECUTED:
        found.execute("REVERSE_BUDGET_ACTION")
    if found.frozen(found.dev_id):
        aws.client(config, "organizations").detach_policy(
            PolicyId=found.policy_id, TargetId=found.dev_id
        )
    if found.status() != "STANDBY":
        found.execute("RESET_BUDGET_ACTION")


def run(capsys, *argv: str) -> tuple[int, str]:
    """`python -m scripts.cli <argv> --env local` (pointed at the session's emulator): exit code
    and everything it printed."""
    code = cli.main([*argv, "--env", "local"])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def dev_row(printed: str) -> str:
    [row] = [line for line in printed.splitlines() if line.split()[:1] == [DEV_ACCOUNT]]
    return row


def test_the_switch_freezes_dev_only_and_thaw_and_freeze_by_hand_undo_and_redo_it(
    switch, capsys, monkeypatch
):
    code, printed = run(capsys, "status")
    assert code == 0 and "armed at 100 % (STANDBY)" in dev_row(printed)
    management_row = [line for line in printed.splitlines() if line.startswith("  management")]
    assert management_row and " never " in management_row[0]

    # The threshold is crossed: AWS Budgets runs the action, which attaches the freeze SCP.
    switch.execute("APPROVE_BUDGET_ACTION")
    assert switch.states() == (True, False, kill_switch.EXECUTED)
    code, printed = run(capsys, "status")
    assert " FROZEN " in dev_row(printed) and "fired at 100 % (EXECUTION_SUCCESS)" in printed

    # Thawed through Budgets, so it does not fire again this month.
    code, printed = run(capsys, "dev-thaw", "--yes")
    assert code == 0, printed
    assert "reversing the action through AWS Budgets" in printed
    # Its hint to re-arm the switch runs as printed: against the emulator.
    assert f"aws --endpoint-url {switch.config.emulator.endpoint_url} --ca-bundle " in printed
    assert switch.states() == (False, False, kill_switch.REVERSED)
    code, printed = run(capsys, "status")
    assert " no " in dev_row(printed) and "reversed: off until next month" in printed

    # Frozen by hand, independently of the action; thawed after the typed account id.
    code, printed = run(capsys, "dev-freeze")
    assert code == 0 and f"Account 'dev' ({switch.dev_id}) is frozen" in printed
    assert switch.states() == (True, False, kill_switch.REVERSED)
    assert run(capsys, "dev-freeze")[1].count("already frozen") == 1
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or switch.dev_id)
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    code, printed = run(capsys, "dev-thaw")
    assert code == 0 and len(prompts) == 1 and switch.dev_id in prompts[0]
    assert switch.states() == (False, False, kill_switch.REVERSED)
    assert "is not frozen; nothing changed" in run(capsys, "dev-thaw", "--yes")[1]


def test_a_hand_freeze_then_the_budget_action_fails_it_and_a_thaw_re_arms_it(switch, capsys):
    """AWS answers DuplicatePolicyAttachmentException (AttachPolicy, Organizations API reference)
    to the action's attachment, which ends in EXECUTION_FAILURE; the account stays frozen."""
    assert run(capsys, "dev-freeze")[0] == 0
    switch.execute("APPROVE_BUDGET_ACTION")
    assert switch.states() == (True, False, kill_switch.FAILED)
    assert "failed at 100 %: frozen by hand already" in dev_row(run(capsys, "status")[1])
    code, printed = run(capsys, "dev-thaw", "--yes")
    assert code == 0 and "re-arming it" in printed
    assert switch.states() == (False, False, "STANDBY")


def test_the_budget_action_then_a_hand_freeze_changes_nothing(switch, capsys, monkeypatch):
    """In this order the hand freeze finds the SCP on, or, when the action attached it between the
    check and the attachment, Organizations' DuplicatePolicyAttachmentException: either way
    nothing changes and the thaw still reverses the action through Budgets."""
    switch.execute("APPROVE_BUDGET_ACTION")
    assert run(capsys, "dev-freeze")[1].count("already frozen") == 1
    real, checks = kill_switch.is_frozen, []

    def thawed_at_the_first_check(*args) -> bool:  # the action attached it since
        checks.append(args)
        return len(checks) > 1 and real(*args)

    monkeypatch.setattr(kill_switch, "is_frozen", thawed_at_the_first_check)
    code, printed = run(capsys, "dev-freeze")
    assert code == 0 and "already frozen" in printed
    assert switch.states() == (True, False, kill_switch.EXECUTED)
    monkeypatch.setattr(kill_switch, "is_frozen", real)
    assert run(capsys, "dev-thaw", "--yes")[0] == 0
    assert switch.states() == (False, False, kill_switch.REVERSED)


def test_a_wrong_confirmation_thaws_nothing(switch, capsys, monkeypatch):
    assert run(capsys, "dev-freeze")[0] == 0
    monkeypatch.setattr("builtins.input", lambda prompt: "000000000000")
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    code, printed = run(capsys, "dev-thaw")
    assert code == 1 and "nothing was changed" in printed
    assert switch.frozen(switch.dev_id)


@pytest.mark.parametrize(
    "account, reason",
    [
        (MANAGEMENT_STACK, REASON_MANAGEMENT_STACK),
        ("nope", REASON_NOT_MEMBER),
    ],
)
def test_the_guard_refuses_management_and_unknown_accounts(switch, capsys, account, reason):
    for attempt, flags in (("freeze", ()), ("thaw", ("--yes",))):
        code, printed = run(capsys, f"dev-{attempt}", "--account", account, *flags)
        assert code == 1
        assert f"Refusing to {attempt} the '{account}' account; nothing was changed" in printed
        assert f"REFUSE {reason}" in printed
    assert switch.states() == (False, False, "STANDBY")


FOREIGN_ACCOUNT_ID = "210987654321"  # in no organization of this emulator's management account


@pytest.mark.parametrize(
    "named, reason, detail",
    [
        ("management", REASON_TARGET_IS_MANAGEMENT, "SCPs never restrict it"),
        (FOREIGN_ACCOUNT_ID, REASON_NOT_IN_ORGANIZATION, "could not confirm 210987654321"),
    ],
)
def test_the_guard_asks_organizations_not_the_outputs(
    switch, with_management_outputs, named, reason, detail
):
    account_id = switch.management_id if named == "management" else named

    def dev_is_another_account(outputs):
        outputs[OUTPUT_MEMBER_ACCOUNT_IDS]["value"][DEV_ACCOUNT] = account_id

    tweaked = with_management_outputs(f"kill-switch-dev-is-{named}", dev_is_another_account)
    with pytest.raises(Refused) as refused:
        kill_switch.freeze(tweaked, DEV_ACCOUNT)
    [refusal] = refused.value.reasons
    assert refusal.startswith(reason) and detail in refusal
    assert switch.states() == (False, False, "STANDBY")
