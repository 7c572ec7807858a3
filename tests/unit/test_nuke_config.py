"""The dev reset's side of aws-nuke without an emulator: the config generated from the example
environment (reviewed snapshots for rebuy-de's 2.x and ekristen's v3; `make snapshot-update`
rewrites them), what it keeps and what it does not, how each aws-nuke version is recognized and
run, what its output says, and which services used in an account no resource type covers (IAM's
reports read page by page, on in-process moto with the emulator's extensions).

v3 cannot be installed here: its config keys, command line and output format are checked
against its source (ekristen/aws-nuke, ekristen/libnuke; docs/dev-loop.md names the files).
"""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from foundation.config import load
from foundation.contract import TAG_FOUNDATION_WORKSPACE
from scripts.commands.dev_reset import nuke_config, proof
from scripts.commands.dev_reset.nuke import command_line, resource_types
from scripts.commands.dev_reset.output import Run
from scripts.emulator.extensions.account import DEFAULT_REGIONS
from scripts.guard.reset import AwsNuke, recognized

ACCOUNT = "dev"
SNAPSHOTS = Path(__file__).parent.parent / "snapshots"
EXAMPLE_IDS = {"management": "111111111111", "dev": "222222222222"}
DEBIAN_2 = AwsNuke("/usr/bin/aws-nuke", "2.16.0-1+b7", 2, 16)
EKRISTEN_3 = AwsNuke("/opt/homebrew/bin/aws-nuke", "3.64.3", 3, 64)
# What 2.16 parses (pkg/config/config.go, yaml.UnmarshalStrict: any other key is an error).
KEYS_OF_2 = {
    "account-blacklist",
    "account-blocklist",
    "regions",
    "accounts",
    "resource-types",
    "presets",
    "feature-flags",
    "endpoints",
}
LEARNER_TAGS = {"tag:workspace": "dev", "tag:Environment": "dev", "tag:managed-by": "terraform"}


def example_keeps(config=None) -> list[nuke_config.Keep]:
    config = config or load("example")
    managed = nuke_config.Managed(
        ACCOUNT, ("acme-dev-experiments", "acme-support"), ("acme-dev-sandbox-222222222222",)
    )
    vpcs = [
        nuke_config.DefaultVpc(
            "vpc-0example", ("igw-0example",), ("rtb-0example",), "dopt-0example"
        )
    ]
    return nuke_config.keeps(config, ACCOUNT, managed, vpcs, EXAMPLE_IDS["management"])


def example_nuke_config(aws_nuke: AwsNuke) -> str:
    config = load("example")
    return nuke_config.render_config(
        config,
        ACCOUNT,
        account_id=EXAMPLE_IDS["dev"],
        blocklist=[EXAMPLE_IDS["management"]],
        scanned=nuke_config.regions(config, sorted(DEFAULT_REGIONS)),
        kept=example_keeps(config),
        aws_nuke=aws_nuke,
    )


@pytest.mark.parametrize(
    "aws_nuke, snapshot",
    [(DEBIAN_2, "aws-nuke-example.yaml"), (EKRISTEN_3, "aws-nuke-example-v3.yaml")],
)
def test_generated_config_matches_its_snapshot(request, aws_nuke, snapshot):
    actual = example_nuke_config(aws_nuke)
    path = SNAPSHOTS / snapshot
    if request.config.getoption("--snapshot-update"):
        path.write_text(actual)
        return
    expected = path.read_text()
    assert actual == expected, "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), str(path), "generated now"
        )
    )


@pytest.mark.parametrize("aws_nuke", [DEBIAN_2, EKRISTEN_3])
def test_generated_config_names_only_the_target_in_every_enabled_region(aws_nuke):
    parsed = yaml.safe_load(example_nuke_config(aws_nuke))
    assert list(parsed["accounts"]) == [EXAMPLE_IDS["dev"]]
    blocklist = parsed["blocklist" if aws_nuke.v3 else "account-blocklist"]
    assert blocklist == [EXAMPLE_IDS["management"]]
    assert parsed["regions"][:2] == ["global", "eu-west-1"], "the home region first"
    assert set(parsed["regions"]) == {"global", *DEFAULT_REGIONS}
    assert "endpoints" not in parsed, "real AWS: no custom endpoints"
    assert json.dumps(parsed["accounts"]).count("OrganizationAccountAccessRole") >= 3


def test_the_config_of_2_has_only_keys_2_16_parses_and_v3s_its_own():
    of_2 = yaml.safe_load(example_nuke_config(DEBIAN_2))
    assert set(of_2) <= KEYS_OF_2
    assert of_2["feature-flags"]["disable-deletion-protection"]["EC2Instance"] is True
    of_3 = yaml.safe_load(example_nuke_config(EKRISTEN_3))
    assert {"blocklist", "settings"} <= set(of_3)
    assert not {"account-blocklist", "feature-flags"} & set(of_3)
    assert of_3["settings"]["EC2Instance"] == {
        "DisableDeletionProtection": True,
        "DisableStopProtection": True,
    }


def kept_by(keeps: list[nuke_config.Keep], resource_type: str, name: str, **properties) -> list:
    return [
        keep.reason
        for keep in keeps
        if keep.resource_type == resource_type and keep.matches(name, properties)
    ]


@pytest.mark.parametrize(
    "resource_type", ["EC2Instance", "EC2VPC", "IAMRole", "S3Bucket", "DynamoDBTable"]
)
def test_what_a_learner_tags_like_the_foundation_is_not_kept(resource_type):
    assert kept_by(example_keeps(), resource_type, "learner-thing", **LEARNER_TAGS) == []


def test_what_the_foundation_tags_with_its_own_key_is_kept():
    tags = {**LEARNER_TAGS, f"tag:{TAG_FOUNDATION_WORKSPACE}": "dev"}
    assert kept_by(example_keeps(), "S3Bucket", "s3://a-bucket", **tags)


def test_aws_roles_the_organization_trail_and_default_group_rules_are_kept_in_every_version():
    keeps = example_keeps()
    # 2.16's IAMRolePolicyAttachment has RoleName, PolicyName, PolicyArn (no RolePath).
    attachment = {"RoleName": "AWSServiceRoleForSupport", "PolicyArn": "arn:aws:iam::aws:x"}
    assert kept_by(keeps, "IAMRolePolicyAttachment", "AWSServiceRoleForSupport -> x", **attachment)
    sso = {"RoleName": "AWSReservedSSO_Admin_0123456789abcdef"}
    assert kept_by(keeps, "IAMRolePolicyAttachment", "AWSReservedSSO_Admin_0 -> x", **sso)
    assert not kept_by(keeps, "IAMRolePolicyAttachment", "mine -> x", RoleName="mine")
    assert kept_by(keeps, "IAMRole", "AWSServiceRoleForSupport", Path="/aws-service-role/x/")
    trail_arn = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/organization-trail"
    assert kept_by(keeps, "CloudTrailTrail", "organization-trail")
    assert kept_by(keeps, "CloudTrailTrail", trail_arn)
    assert not kept_by(keeps, "CloudTrailTrail", "learner-trail")
    assert kept_by(keeps, "EC2DefaultSecurityGroupRule", "sgr-0123", SecurityGroupId="sg-1")
    assert kept_by(keeps, "IAMAccountSettingPasswordPolicy", "custom", type="custom")


# --- recognizing and running each aws-nuke -----------------------------------------------------


def fake_aws_nuke(directory: Path, says: str) -> str:
    """An executable answering `version` as an aws-nuke build does."""
    path = directory / "aws-nuke"
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{says}\nEOF\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    "says, expected",
    [
        # rebuy-de release builds (cmd/version.go; the Makefile's git describe)
        ("version:     v2.25.0\nbuild date:  2023-09-04T14:11:04Z\ngo version:  go1.21.0", (2, 25)),
        ("version:     v2.17.0\nscm hash:    1a2b3c", (2, 17)),
        # ekristen v3 (pkg/commands/version/version.go; .goreleaser.yml sets SUMMARY=v<version>)
        ("aws-nuke version v3.64.3", (3, 64)),
        ("aws-nuke version 3.51.0", (3, 51)),
    ],
)
def test_each_supported_aws_nuke_is_recognized_by_its_version(tmp_path, says, expected):
    found = recognized(fake_aws_nuke(tmp_path, says))
    assert isinstance(found, AwsNuke), found
    assert (found.major, found.minor) == expected
    assert found.v3 == (expected[0] == 3)


@pytest.mark.parametrize(
    "says",
    ["version:     v2.15.0", "aws-nuke version v4.0.0", "version:     unknown\ngo version: go1.19"],
)
def test_other_versions_are_refused(tmp_path, says):
    assert isinstance(recognized(fake_aws_nuke(tmp_path, says)), str)


def test_debians_build_is_recognized_through_its_package():
    if shutil.which("dpkg-query") is None or not Path("/usr/bin/aws-nuke").is_file():
        pytest.skip("Debian's aws-nuke is not installed: sudo apt-get install aws-nuke")
    found = recognized("/usr/bin/aws-nuke")
    assert isinstance(found, AwsNuke) and (found.major, found.minor) == (2, 16)


def test_command_lines_of_each_version(tmp_path):
    config_file = tmp_path / "config.yaml"
    assert command_line(DEBIAN_2, config_file, dry_run=False) == [
        DEBIAN_2.binary,
        "--config",
        str(config_file),
        "--max-wait-retries",
        "30",
        "--no-dry-run",
    ]
    v3 = command_line(EKRISTEN_3, config_file, dry_run=True)
    assert v3[:2] == [EKRISTEN_3.binary, "run"]
    assert "--log-format" in v3 and "json" in v3 and "--no-dry-run" not in v3


# --- aws-nuke's output --------------------------------------------------------------------------

# Lines aws-nuke 2.16 printed in a reset on the emulator (stdout, and one stderr line).
OUTPUT_2_16 = [
    'us-east-1 - IAMRole - local-support - [Name: "local-support", Path: "/", '
    'tag:workspace: "dev"] - filtered by config',
    'us-east-1 - EC2SecurityGroup - sg-1c3ad62a5a932705e - [Name: "default"] - '
    "cannot delete group 'default'",
    "us-west-2 - SQSQueue - https://127.0.0.1:4566/1/clicked-queue - would remove",
    'us-east-1 - S3Object - s3://b/notes.txt - [Bucket: "b", Key: "notes.txt"] - would remove',
    'time="2026-12-06T21:07:20Z" level=error msg="Listing SSMActivation failed:\\n    '
    "NotImplemented: ssm:DescribeActivations is not implemented\\n    \\tstatus code: 501, "
    'request id: "',
    "us-west-2 - SQSQueue - https://127.0.0.1:4566/1/clicked-queue - removed",
    'us-east-1 - S3Object - s3://b/notes.txt - [Bucket: "b", Key: "notes.txt"] - failed',
]


def test_the_output_of_2_is_read_back():
    run = Run()
    for line in OUTPUT_2_16:
        run.read(line + "\n", v3=False)
    assert {r.resource_type for r in run.kept} == {"IAMRole", "EC2SecurityGroup"}
    [role] = [r for r in run.kept if r.resource_type == "IAMRole"]
    assert role.properties == {"Name": "local-support", "Path": "/", "tag:workspace": "dev"}
    assert [r.name for r in run.removed] == ["https://127.0.0.1:4566/1/clicked-queue"]
    assert [r.name for r in run.left] == ["s3://b/notes.txt"]
    assert run.listing_failures == {("SSMActivation", "", "NotImplemented")}


def v3_line(**fields) -> str:
    return json.dumps({"level": "info", "time": "2026-12-06T21:07:20Z", **fields}) + "\n"


def test_the_json_output_of_v3_is_read_back():
    """The fields libnuke's queue item and scanner log (pkg/queue/item.go, pkg/scanner)."""
    run = Run()
    lines = [
        v3_line(
            owner="us-east-1",
            type="IAMRole",
            name="local-support",
            **{"prop:Path": "/", "prop:tag:workspace": "dev"},
            state="filtered",
            state_code=7,
            msg="filtered: filtered by config",
        ),
        v3_line(
            owner="eu-central-1",
            type="SQSQueue",
            state="new",
            state_code=0,
            msg="would remove",
            **{"prop:QueueURL": "https://sqs/q"},
        ),
        v3_line(
            level="error",
            owner="us-east-1",
            resource_type="SSMActivation",
            error="AccessDeniedException: no",
            msg="listing failed:\n    AccessDeniedException",
        ),
        v3_line(msg="Removal requested: 1 waiting, 0 failed, 1 skipped, 0 finished"),
        "Do you want to continue? Enter account alias to continue.\n",
    ]
    shown = [run.read(line, v3=True) for line in lines]
    assert shown[3].startswith("Removal requested")
    [kept] = run.kept
    assert kept.status == "filtered by config" and kept.properties["tag:workspace"] == "dev"
    [doomed] = run.doomed
    assert (doomed.region, doomed.resource_type) == ("eu-central-1", "SQSQueue")
    run.read(
        v3_line(
            level="error",
            owner="eu-west-1",
            resource_type="EC2Image",
            error="operation error EC2: DescribeImages, https response error StatusCode: 403, "
            "api error UnauthorizedOperation: You are not authorized",
            msg="listing failed",
        ),
        v3=True,
    )
    assert run.listing_failures == {
        ("SSMActivation", "us-east-1", "AccessDeniedException"),
        ("EC2Image", "eu-west-1", "UnauthorizedOperation"),
    }


# --- the second witness -------------------------------------------------------------------------


def used(*namespaces: str) -> list[proof.Used]:
    from datetime import UTC, datetime

    return [proof.Used(n, datetime.now(UTC), "arn:aws:iam::1:role/r") for n in namespaces]


def test_services_without_a_resource_type_are_named_and_the_others_not():
    types = ["EC2Instance", "SQSQueue", "CloudWatchLogsLogGroup", "SFNStateMachine"]
    named = proof.uncovered(used("bedrock", "ec2", "sqs", "logs", "states", "sts"), types)
    assert [u.namespace for u in named] == ["bedrock"]
    assert proof.uncovered(used("bedrock"), [*types, "BedrockAgent"]) == []


def test_aws_nuke_2_16_has_no_resource_type_for_bedrock():
    binary = shutil.which("aws-nuke")
    found = recognized(binary) if binary else None
    if not isinstance(found, AwsNuke) or (found.major, found.minor) != (2, 16):
        pytest.skip("aws-nuke 2.16 is not installed: sudo apt-get install aws-nuke")
    types = resource_types(found)
    assert {"EC2Instance", "S3Bucket", "IAMRole"} <= set(types)
    assert [u.namespace for u in proof.uncovered(used("bedrock", "s3"), types)] == ["bedrock"]


def test_the_dev_resets_witness_reads_every_page_of_each_report(
    mocked_aws, example_config, monkeypatch
):
    """The reset asks every user's and role's report and reads it page by page (an
    administrator's lists some 400 services on AWS, 100 a page)."""
    from datetime import timedelta

    import boto3

    from scripts import aws

    iam = mocked_aws("iam")
    iam.create_user(UserName="learner")
    key = iam.create_access_key(UserName="learner")["AccessKey"]
    as_user = aws.new_session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="eu-west-1",
    )
    as_user.client("sqs").list_queues()
    as_user.client("sns").list_topics()
    as_user.client("bedrock").list_custom_models()
    monkeypatch.setattr(proof, "PAGE", 1)
    caller = boto3.Session(region_name="us-east-1")
    used = proof.services_used(example_config, caller, None)
    assert [u.namespace for u in used] == ["bedrock", "sns", "sqs"]
    assert {u.entity for u in used} == {"arn:aws:iam::123456789012:user/learner"}
    latest = max(u.last for u in used)
    assert proof.services_used(example_config, caller, latest + timedelta(seconds=1)) == []
