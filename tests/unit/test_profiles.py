"""AWS CLI profiles: role ARNs and MFA serial from the management workspace, and `--write`."""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MANAGEMENT_ACCOUNT_ID,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from scripts import cli
from scripts.commands import profiles
from scripts.console import UserError

MANAGEMENT_ID = "111111111111"
DEV_ID = "222222222222"
DEV_ROLE_ARN = f"arn:aws:iam::{DEV_ID}:role/OrganizationAccountAccessRole"
USER_PROFILES = "[default]\nregion = us-east-1\n\n[profile personal]\nregion = eu-central-1\n"


@pytest.fixture
def applied_management(mocked_aws, example_config):
    """The state bucket holds a management workspace that created the dev account."""
    s3 = boto3.client("s3", region_name=example_config.region)
    s3.create_bucket(
        Bucket=example_config.state_bucket,
        CreateBucketConfiguration={"LocationConstraint": example_config.region},
    )
    outputs = {
        OUTPUT_MANAGEMENT_ACCOUNT_ID: MANAGEMENT_ID,
        OUTPUT_MEMBER_ACCOUNT_IDS: {"dev": DEV_ID},
        OUTPUT_MEMBER_ROLE_ARNS: {"dev": DEV_ROLE_ARN},
    }
    state = {"version": 4, "outputs": {k: {"value": v} for k, v in outputs.items()}}
    s3.put_object(
        Bucket=example_config.state_bucket,
        Body=json.dumps(state).encode(),
        Key=example_config.state_key(MANAGEMENT_STACK),
    )


def profile_section(snippet: str, name: str) -> dict[str, str]:
    """The key = value lines of `[profile <name>]` in `snippet`."""
    lines = snippet.split(f"[profile {name}]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return dict(line.split(" = ", 1) for line in lines if " = " in line)


def test_profiles_use_the_management_workspace_outputs(applied_management, example_config):
    snippet = profiles.snippet(example_config)
    mfa_serial = f"arn:aws:iam::{MANAGEMENT_ID}:mfa/alice"
    assert profile_section(snippet, "acme-management") == {
        "region": "eu-west-1",
        "mfa_serial": mfa_serial,
    }
    assert profile_section(snippet, "acme-dev") == {
        "role_arn": DEV_ROLE_ARN,
        "source_profile": "acme-management",
        "mfa_serial": mfa_serial,
        "region": "eu-west-1",
    }
    assert profile_section(snippet, "acme-root-sessions") == {
        "role_arn": f"arn:aws:iam::{MANAGEMENT_ID}:role/acme-root-sessions",
        "source_profile": "acme-management",
        "mfa_serial": mfa_serial,
        "region": "eu-west-1",
    }
    assert "Replace" not in snippet


def test_no_root_sessions_profile_without_centralized_root_access(
    applied_management, example_config
):
    off = dataclasses.replace(
        example_config,
        guardrails=dataclasses.replace(example_config.guardrails, centralize_root_access=False),
    )
    assert "root-sessions" not in profiles.snippet(off)


def test_profiles_without_management_outputs_use_placeholders(mocked_aws, example_config):
    snippet = profiles.snippet(example_config)
    assert (
        profile_section(snippet, "acme-management")["mfa_serial"]
        == f"arn:aws:iam::{example_config.management_account_id}:mfa/alice"
    )  # the file's pin
    unpinned = profiles.snippet(dataclasses.replace(example_config, management_account_id=None))
    assert (
        profile_section(unpinned, "acme-management")["mfa_serial"]
        == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:mfa/alice"
    )  # from STS, the credentials' account
    assert (
        profile_section(snippet, "acme-dev")["role_arn"]
        == "arn:aws:iam::<dev account id>:role/OrganizationAccountAccessRole"
    )
    assert "# Replace <dev account id>" in snippet


def test_unknown_admin_is_refused(applied_management, example_config):
    with pytest.raises(UserError, match="'bob' is not an admin user"):
        profiles.snippet(example_config, "bob")


def write_profiles(config_file) -> int:
    return cli.main(["profiles", "--env", "example", "--write", "--config-file", str(config_file)])


def backups(config_file) -> list:
    return sorted(config_file.parent.glob(f"{config_file.name}.backup-*"))


def test_write_backs_up_then_is_idempotent(applied_management, tmp_path, capsys):
    config_file = tmp_path / "config"
    config_file.write_text(USER_PROFILES)

    assert write_profiles(config_file) == 0
    written = config_file.read_text()
    assert written.startswith(USER_PROFILES)  # the user's own profiles stay as they were
    assert written.count("[profile acme-dev]") == 1
    assert [backup.read_text() for backup in backups(config_file)] == [USER_PROFILES]

    assert write_profiles(config_file) == 0
    assert config_file.read_text() == written
    assert len(backups(config_file)) == 1  # nothing changed, nothing backed up
    assert "nothing written" in capsys.readouterr().out


def test_write_replaces_a_previous_managed_block(applied_management, example_config, tmp_path):
    config_file = tmp_path / "config"
    begin, end = profiles.markers(example_config)
    stale = f"{begin}\n[profile acme-dev]\nrole_arn = arn:aws:iam::999999999999:role/Old\n{end}\n"
    config_file.write_text(f"{USER_PROFILES}\n{stale}\n[profile after]\nregion = us-west-2\n")

    assert write_profiles(config_file) == 0
    written = config_file.read_text()
    assert written.count("[profile acme-dev]") == 1 and written.count(begin) == 1
    assert "999999999999" not in written and DEV_ROLE_ARN in written
    assert written.startswith(USER_PROFILES) and "[profile after]" in written
    assert len(backups(config_file)) == 1


def test_write_refuses_a_same_named_section_outside_the_block(applied_management, tmp_path, capsys):
    config_file = tmp_path / "config"
    config_file.write_text("[profile acme-dev]\nregion = us-east-1\n")
    assert write_profiles(config_file) == 1
    assert "already has profile acme-dev outside the managed block" in capsys.readouterr().err
    assert config_file.read_text() == "[profile acme-dev]\nregion = us-east-1\n"
    assert backups(config_file) == []


def test_write_creates_a_missing_file(applied_management, tmp_path):
    config_file = tmp_path / "new" / "config"
    assert write_profiles(config_file) == 0
    assert "[profile acme-management]" in config_file.read_text()
    assert backups(config_file) == []
