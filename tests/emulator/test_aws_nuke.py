"""Real aws-nuke (Debian's 2.16) in dry run against the session's real emulator server: in a member
account holding what a learner typically makes by hand, in two regions, it lists every one of
those resources, and none of the public AMIs and snapshots moto holds.

The member account belongs to an organization of its own, whose management account is assumed
into from the emulator's default one, so the foundation's organization is left alone. The
aws-nuke config is the dev reset's generated one (scripts/commands/nuke_config.py), its endpoint
order explained there.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import zipfile

import boto3
import pytest

from foundation.contract import DEFAULT_ROLE_NAME
from scripts import aws
from scripts.commands.dev_reset import nuke_config
from scripts.commands.dev_reset.nuke import nuke_environment
from scripts.guard.reset import AwsNuke, recognized

REGIONS = ("us-east-1", "us-west-2")
MANAGEMENT_ACCOUNT_ID = "000000000099"
ALIAS = "learner-sandbox"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def aws_nuke_or_skip() -> AwsNuke:
    binary = shutil.which("aws-nuke")
    if binary is None:
        pytest.skip("aws-nuke not on PATH: apt-get install aws-nuke (2.16) to run this test")
    found = recognized(binary)
    if isinstance(found, str):
        pytest.skip(f"{found}: apt-get install aws-nuke (2.16) to run this test")
    return found


def role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{DEFAULT_ROLE_NAME}"


def new_member_account(config) -> tuple[str, boto3.Session]:
    """A member account of a new organization: (its id, the session of its management account)."""
    management = aws.assume_role(config, role_arn(MANAGEMENT_ACCOUNT_ID), "aws-nuke-test")
    organizations = aws.client(config, "organizations", management)
    organizations.create_organization(FeatureSet="ALL")
    account_id = organizations.create_account(Email="sandbox@example.com", AccountName="sandbox")[
        "CreateAccountStatus"
    ]["AccountId"]
    return account_id, management


def seed_iam(config, member: boto3.Session) -> str:
    """A role with an inline policy and a user with an access key, made by hand; returns the
    key's id."""
    iam = aws.client(config, "iam", member)
    iam.create_role(RoleName="learner-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(
        RoleName="learner-role",
        PolicyName="read-buckets",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    iam.create_user(UserName="learner")
    return iam.create_access_key(UserName="learner")["AccessKey"]["AccessKeyId"]


def seed_global(config, member: boto3.Session) -> dict[str, set[str]]:
    """IAM as a learner makes it by hand; returns {aws-nuke resource type: names it prints}."""
    aws.client(config, "iam", member).create_account_alias(AccountAlias=ALIAS)
    key = seed_iam(config, member)
    return {
        "IAMRole": {"learner-role"},
        "IAMRolePolicy": {"learner-role -> read-buckets"},
        "IAMUser": {"learner"},
        "IAMUserAccessKey": {f"learner -> {key}"},
    }


def seed_region(config, member: boto3.Session, account_id: str) -> dict[str, set[str]]:
    """One of each regional thing a learner makes by hand; returns what aws-nuke should print."""
    region = member.region_name
    client = lambda service: aws.client(config, service, member)  # noqa: E731
    s3, ec2 = client("s3"), client("ec2")
    bucket = f"learner-{account_id}-{region}"
    location = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"second")
    queue = client("sqs").create_queue(QueueName="learner-queue")["QueueUrl"]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    group = ec2.create_security_group(GroupName="learner-web", Description="web", VpcId=vpc)[
        "GroupId"
    ]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=subnet,
        SecurityGroupIds=[group],
    )["Instances"][0]
    client("dynamodb").create_table(
        TableName="learner-table",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    topic = client("sns").create_topic(Name="learner-topic")["TopicArn"]
    client("ssm").put_parameter(Name="/learner/greeting", Value="hello", Type="String")
    client("lambda").create_function(
        FunctionName="learner-function",
        Runtime="python3.12",
        Handler="index.handler",
        Role=aws.client(config, "iam", member).get_role(RoleName="learner-role")["Role"]["Arn"],
        Code={"ZipFile": _zipped("index.py", "def handler(event, context):\n    return event\n")},
    )
    return {
        "S3Bucket": {f"s3://{bucket}"},
        "S3Object": {f"s3://{bucket}/notes.txt", f"s3://{bucket}/notes.txt#{old}"},
        "SQSQueue": {queue},
        "EC2VPC": {vpc},
        "EC2Subnet": {subnet},
        "EC2InternetGateway": {gateway},
        "EC2InternetGatewayAttachment": {f"{gateway} -> {vpc}"},
        "EC2SecurityGroup": {group},
        "EC2Instance": {instance["InstanceId"]},
        "DynamoDBTable": {"learner-table"},
        "SNSTopic": {f"TopicARN: {topic}"},
        "LambdaFunction": {"learner-function"},
        "SSMParameter": {"/learner/greeting"},
    }


def _zipped(name: str, text: str) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr(name, text)
    return archive.getvalue()


def generated_config(config, account_id: str, aws_nuke: AwsNuke) -> str:
    """The dev reset's generated aws-nuke config for the member account in REGIONS, the default
    VPCs not kept (reset_default_vpc), so that everything the emulator lists is seen."""
    account = dataclasses.replace(config.account("dev"), reset_default_vpc=True)
    config = dataclasses.replace(config, accounts=(account,))
    scanned = nuke_config.regions(config, list(REGIONS))
    assert scanned == ["global", *REGIONS]
    kept = nuke_config.keeps(config, "dev", nuke_config.Managed("dev"), [], MANAGEMENT_ACCOUNT_ID)
    return nuke_config.render_config(
        config,
        "dev",
        account_id=account_id,
        blocklist=[MANAGEMENT_ACCOUNT_ID],
        scanned=scanned,
        kept=kept,
        aws_nuke=aws_nuke,
    )


def listed(output: str) -> set[tuple[str, str, str]]:
    """(region, resource type, printed name) of each "would remove" line."""
    found = set()
    for line in output.splitlines():
        parts = line.split(" - ")
        if len(parts) >= 4 and parts[-1] == "would remove":
            found.add(tuple(parts[:3]))
    return found


@pytest.fixture(scope="module")
def dry_run(emulator, tmp_path_factory):
    """aws-nuke's dry run over a seeded member account: (what it should list, its output)."""
    aws_nuke = aws_nuke_or_skip()
    account_id, management = new_member_account(emulator)
    member = {
        region: aws.assume_role(emulator, role_arn(account_id), "aws-nuke-test", management, region)
        for region in REGIONS
    }
    # IAM is listed in us-east-1, where its endpoint entry is (on AWS: in "global").
    seeded = {"us-east-1": seed_global(emulator, member["us-east-1"])}
    for region in REGIONS:
        seeded.setdefault(region, {}).update(seed_region(emulator, member[region], account_id))
    expected = {
        (region, resource_type, name)
        for region, types in seeded.items()
        for resource_type, names in types.items()
        for name in names
    }
    config_file = tmp_path_factory.mktemp("aws-nuke") / "config.yaml"
    config_file.write_text(generated_config(emulator, account_id, aws_nuke))
    run = subprocess.run(
        [aws_nuke.binary, "--config", str(config_file), "--force", "--force-sleep", "3"],
        env=nuke_environment(emulator, member["us-east-1"]),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return expected, run.stdout


def test_lists_every_resource_a_learner_made(dry_run):
    expected, output = dry_run
    assert expected - listed(output) == set()


def test_lists_iam_once(dry_run):
    _, output = dry_run
    assert {r for r, resource_type, _ in listed(output) if resource_type.startswith("IAM")} == {
        "us-east-1"
    }


def test_lists_no_public_snapshot_or_image_as_the_accounts_own(dry_run):
    _, output = dry_run
    assert {t for _, t, _ in listed(output)} & {"EC2Snapshot", "EC2Image"} == set()


def test_default_vpcs_are_recognisable(dry_run):
    _, output = dry_run
    default_vpcs = [
        line.split(" - ")[0]
        for line in output.splitlines()
        if " - EC2VPC - " in line and 'IsDefault: "true"' in line
    ]
    assert sorted(default_vpcs) == sorted(REGIONS)
