"""Root-user steps: the rendered checklist (Markdown and HTML) and the resumable walk."""

from __future__ import annotations

import builtins
import dataclasses
import json

import pytest
from botocore.exceptions import NoCredentialsError
from markupsafe import escape
from moto.core import DEFAULT_ACCOUNT_ID

from scripts import aws, cli
from scripts.commands import root_steps
from scripts.commands.root_steps import STEPS

ADMIN = "alice"  # the admin user of environments/example.toml
ORGANIZATION_TRAIL = "organization-trail"


# --- checklist -----------------------------------------------------------------------------


def test_checklist_files_hold_the_environment_values(moto_organization, example_config, tmp_path):
    account_id, member_ids = root_steps.checklist_context(example_config)
    assert account_id == DEFAULT_ACCOUNT_ID
    assert member_ids == moto_organization
    markdown, html = root_steps.write_checklist(example_config, account_id, tmp_path, member_ids)
    assert (markdown.name, html.name) == ("example.md", "example.html")
    signin = f"https://{DEFAULT_ACCOUNT_ID}.signin.aws.amazon.com/console"
    for text, quote in ((markdown.read_text(), str), (html.read_text(), escape)):
        for expected in (
            example_config.management_email,
            example_config.account("dev").email,
            DEFAULT_ACCOUNT_ID,
            signin,
            ADMIN,
            ORGANIZATION_TRAIL,
            "dev",
            moto_organization["dev"],
            root_steps.AUDIT_ROOT_CREDENTIALS,
            "https://console.aws.amazon.com/iam/home#/root-access-management",
            "https://console.aws.amazon.com/iam/home#/security_credentials",
            "https://console.aws.amazon.com/billing/home#/account",
            f"https://console.aws.amazon.com/iam/home#/users/details/{ADMIN}",
        ):
            assert expected in text
        for step in STEPS:
            assert quote(step.title) in text
    assert f'<a href="{signin}">' in html.read_text()
    assert f"mfa/{ADMIN}" in markdown.read_text()


def test_admins_are_asked_for_a_code_based_mfa_device(example_config):
    """get-session-token takes a code: a passkey or security key works only in the console
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_fido_supported_configurations.html),
    so an admin with nothing else could start no MFA session. Root may prefer a passkey."""
    steps = {
        step.key: step.body
        for step in root_steps.rendered_steps(
            root_steps.template_context(example_config, DEFAULT_ACCOUNT_ID)
        )
    }
    for key in ("first-admin", "admin-console"):
        assert "**Authenticator app**" in steps[key]
        assert "hardware TOTP token" in steps[key] and "six-digit code" in steps[key]
        assert "a passkey, if you like, as a second device" in steps[key]
    assert "Prefer a passkey or security key" in steps["root-mfa"]


def test_checklist_uses_a_placeholder_without_credentials(example_config, monkeypatch, tmp_path):
    def no_credentials(config, boto_session=None):
        raise NoCredentialsError()

    monkeypatch.setattr(aws, "account_id", no_credentials)
    assert root_steps.checklist_context(example_config) == (
        example_config.management_account_id,
        {},
    )  # the file's pin
    unpinned = dataclasses.replace(example_config, management_account_id=None)
    account_id, member_ids = root_steps.checklist_context(unpinned)
    assert account_id is None and member_ids == {}
    markdown, html = root_steps.write_checklist(unpinned, account_id, tmp_path)
    assert "https://<management account id>.signin.aws.amazon.com/console" in markdown.read_text()
    assert "&lt;management account id&gt;" in html.read_text()
    assert (
        "`dev`: account **<id: after the management apply>**, root email aws-dev@example.com"
        in markdown.read_text()
    )
    assert 'href="https://&lt;' not in html.read_text()  # no link to a URL with a placeholder


def test_print_command_says_where_it_wrote(example_config, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(aws, "caller_account_or_none", lambda config: None)
    monkeypatch.setattr(root_steps, "STATE_DIR", tmp_path)
    assert cli.main(["root-steps", "--env", "example", "--print"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "example.md") in out and str(tmp_path / "example.html") in out


def step_bodies(config, account_id: str = "123456789012") -> dict[str, str]:
    context = root_steps.template_context(config, account_id)
    return {step.key: step.body for step in root_steps.rendered_steps(context)}


def test_the_first_run_goes_root_first_admin_then_the_admin_applies(example_config):
    order = [step.key for step in STEPS]
    assert (
        order.index("root-access-keys")
        < order.index("first-admin")
        < order.index("stop-using-root")
        < order.index("first-apply")
        < order.index("admin-console")
    )
    bodies = step_bodies(example_config)
    first_apply = bodies["first-apply"]
    commands = [
        "aws sts get-session-token --profile acme-management --serial-number "
        f"arn:aws:iam::123456789012:mfa/{ADMIN}",
        "make bootstrap ENV=example",
        "make adopt ENV=example",
        "make apply ENV=example STACK=management",
        "make apply ENV=example STACK=dev",
    ]
    positions = [first_apply.index(command) for command in commands]
    assert positions == sorted(positions)
    first_admin = bodies["first-admin"]
    assert "Create group `Administrators`" in first_admin and "`AdministratorAccess`" in first_admin
    assert f"Create user `{ADMIN}`" in first_admin
    assert "aws configure --profile acme-management" in first_admin


def test_admins_set_up_their_own_mfa_on_the_page_the_mfa_policy_allows(example_config):
    bodies = step_bodies(example_config)
    own_page = "https://console.aws.amazon.com/iam/home#/security_credentials"
    for key in ("first-admin", "admin-console"):
        mfa_line = next(line for line in bodies[key].splitlines() if "MFA device" in line)
        # The force-MFA policy lets an admin without MFA list no users: only their own page.
        assert own_page in mfa_line and "/users/" not in mfa_line, key


def test_member_accounts_root_password_is_random_not_absent(example_config):
    body = step_bodies(example_config)["member-root-credentials"]
    assert "have no root password" not in body
    assert "do have a root password: random, at least 64 characters" in body


def test_member_root_sessions_start_from_the_root_sessions_role(example_config):
    body = step_bodies(example_config)["member-root-credentials"]
    assert "aws sts assume-root --profile acme-root-sessions --region eu-west-1" in body


# --- interactive walk ----------------------------------------------------------------------


def scripted_input(monkeypatch, answers: list) -> list[str]:
    """Replace input(): each answer is returned in turn, or raised if it is an exception."""
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


@pytest.mark.parametrize("interruption", [EOFError(), KeyboardInterrupt()])
def test_interrupted_walk_resumes_at_the_next_step(
    example_config, monkeypatch, tmp_path, capsys, interruption
):
    scripted_input(monkeypatch, ["", "y", interruption])
    root_steps.walk(example_config, "123456789012", tmp_path)
    out = capsys.readouterr().out
    assert f"Stopped at step 3: 2 of {len(STEPS)} done" in out
    assert "Resume with: make root-steps ENV=example" in out
    saved = json.loads((tmp_path / "example.json").read_text())
    assert saved["done"] == [STEPS[0].key, STEPS[1].key]

    prompts = scripted_input(monkeypatch, ["y"] * (len(STEPS) - 2))
    root_steps.walk(example_config, "123456789012", tmp_path)
    out = capsys.readouterr().out
    assert prompts[0].strip().startswith("Step 3 done?")
    assert f"[3/{len(STEPS)}] {STEPS[2].title}" in out and f"[2/{len(STEPS)}]" not in out
    assert f"All {len(STEPS)} steps done" in out
    assert "**" not in out, "Markdown's bold shown raw in a terminal"
    assert json.loads((tmp_path / "example.json").read_text())["done"] == [s.key for s in STEPS]


def test_walk_asks_again_on_an_unclear_answer_and_stops_on_q(
    example_config, monkeypatch, tmp_path, capsys
):
    prompts = scripted_input(monkeypatch, ["maybe", "q"])
    root_steps.walk(example_config, None, tmp_path)
    assert len(prompts) == 2 and all("Step 1 done?" in prompt for prompt in prompts)
    assert f"Stopped at step 1: 0 of {len(STEPS)} done" in capsys.readouterr().out
    assert not (tmp_path / "example.json").exists()


def test_finished_walk_says_so(example_config, monkeypatch, tmp_path, capsys):
    root_steps.save_progress(tmp_path / "example.json", [step.key for step in STEPS])
    scripted_input(monkeypatch, [])
    root_steps.walk(example_config, None, tmp_path)
    assert f"All {len(STEPS)} root-user steps are marked done" in capsys.readouterr().out
