"""The guardrails bite, by behaviour, on the applied foundation (the session's emulator, which
enforces SCPs, RCPs and the EC2 declarative policy): as dev's member role, what each policy must
deny is denied and what must keep working works. Launching outside the allowed regions, leaving
the organization, the member root user, changing the member access role and buying commitments
are refused; frozen, a launch is refused and a terminate and `make dev-reset` work; thawed, a
launch works again; outsiders do not reach dev's data; EC2's account settings are the
organization's. Each test leaves dev thawed, its switch armed and nothing of its own behind.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from botocore.exceptions import ClientError

from foundation.contract import DEV_ACCOUNT, MANAGEMENT_STACK, OUTPUT_MEMBER_ROLE_ARNS
from scripts import aws, workspaces
from scripts.commands import dev_reset, kill_switch

SCP_DENIAL = "with an explicit deny in a service control policy"
OUTSIDER_ROLE = "arn:aws:iam::340987654321:role/admin"  # an account in no organization


@pytest.fixture(scope="module")
def dev(foundation):
    """(config, stacks, {region: a session of dev's member role}, dev's account id)."""
    config, stacks = foundation
    role_arn = workspaces.state_outputs(config, MANAGEMENT_STACK)[OUTPUT_MEMBER_ROLE_ARNS][
        DEV_ACCOUNT
    ]
    sessions = {
        region: aws.assume_role(config, role_arn, "learner", region=region)
        for region in (*config.control_regions, "eu-west-1")
    }
    return config, stacks, sessions, role_arn.split(":")[4]


def refused(call) -> str:
    """The message of the 403 that `call` is answered with."""
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return raised.value.response["Error"]["Message"]


def launch(config, session) -> str:
    ec2 = aws.client(config, "ec2", session)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    [instance] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"]
    return instance["InstanceId"]


@contextlib.contextmanager
def frozen(config):
    kill_switch.freeze(config, DEV_ACCOUNT)
    try:
        yield
    finally:
        kill_switch.thaw(config, DEV_ACCOUNT, auto_approve=True)


def test_launching_outside_the_allowed_regions_is_denied_and_inside_allowed(dev):
    config, _, sessions, _ = dev
    assert "eu-west-1" not in config.guardrails.allowed_regions
    assert SCP_DENIAL in refused(lambda: launch(config, sessions["eu-west-1"]))
    for region in config.control_regions:
        ec2 = aws.client(config, "ec2", sessions[region])
        instance = launch(config, sessions[region])
        [reservation] = ec2.describe_instances(InstanceIds=[instance])["Reservations"]
        options = reservation["Instances"][0]["MetadataOptions"]
        assert options["HttpTokens"] == "required", "IMDSv2 by the EC2 declarative policy"
        ec2.terminate_instances(InstanceIds=[instance])


def test_leaving_the_organization_and_the_root_user_are_denied(dev):
    config, _, sessions, account_id = dev
    organizations = aws.client(config, "organizations", sessions[config.region])
    assert SCP_DENIAL in refused(organizations.leave_organization)
    root_s3 = aws.client(config, "s3")  # credentials of no IAM user or role: the root user's
    root_s3.meta.events.register(
        "before-sign.s3.*",
        lambda request, **_: request.headers.add_header("x-moto-account-id", account_id),
    )
    assert refused(root_s3.list_buckets).startswith(f"User: arn:aws:iam::{account_id}:root ")


def test_the_member_access_role_stays_and_commitments_are_denied(dev):
    config, _, sessions, _ = dev
    session = sessions[config.region]
    iam, ec2 = aws.client(config, "iam", session), aws.client(config, "ec2", session)
    role = config.account(DEV_ACCOUNT).role_name
    assert SCP_DENIAL in refused(lambda: iam.delete_role(RoleName=role))
    assert SCP_DENIAL in refused(
        lambda: iam.attach_role_policy(
            RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
        )
    )
    assert SCP_DENIAL in refused(
        lambda: ec2.purchase_reserved_instances_offering(
            ReservedInstancesOfferingId="f127bd27-cee6-4e1c-b8c3-1e2a7f0e4a4e", InstanceCount=1
        )
    )
    domains = aws.client(config, "route53domains", session)
    assert SCP_DENIAL in refused(
        lambda: domains.register_domain(
            DomainName="learner-example.com",
            DurationInYears=1,
            AdminContact={"FirstName": "A"},
            RegistrantContact={"FirstName": "A"},
            TechContact={"FirstName": "A"},
        )
    )


def test_frozen_a_launch_is_denied_a_terminate_allowed_and_thawed_a_launch_works(dev):
    config, _, sessions, _ = dev
    session = sessions[config.region]
    ec2 = aws.client(config, "ec2", session)
    running = launch(config, session)
    with frozen(config):
        assert SCP_DENIAL in refused(lambda: launch(config, session))
        ec2.terminate_instances(InstanceIds=[running])
    ec2.terminate_instances(InstanceIds=[launch(config, session)])


def test_the_dev_reset_works_while_frozen(dev):
    """Within the allowed regions (every region is the reset issue's)."""
    config, stacks, sessions, _ = dev
    queues = {}
    for region in config.control_regions:
        sqs = aws.client(config, "sqs", sessions[region])
        queues[region] = sqs.create_queue(QueueName="learner-frozen")["QueueUrl"]
    with frozen(config), contextlib.redirect_stdout(io.StringIO()):
        result = dev_reset.reset(config, DEV_ACCOUNT, stacks, auto_approve=True)
    assert result.deleted >= len(queues)
    for region in config.control_regions:
        assert aws.client(config, "sqs", sessions[region]).list_queues().get("QueueUrls", []) == []


def test_outsiders_do_not_reach_dev_data_members_and_management_do(dev):
    config, _, sessions, account_id = dev
    bucket = next(
        b["Name"]
        for b in aws.client(config, "s3", sessions[config.region]).list_buckets()["Buckets"]
        if "-sandbox-" in b["Name"]
    )
    aws.client(config, "s3", sessions[config.region]).put_object(
        Bucket=bucket, Key="notes.txt", Body=b"mine"
    )
    outsider = aws.assume_role(config, OUTSIDER_ROLE, "outsider")
    try:
        message = refused(
            lambda: aws.client(config, "s3", outsider).get_object(Bucket=bucket, Key="notes.txt")
        )
        assert message.endswith("with an explicit deny in a resource control policy")
        for reader in (sessions[config.region], aws.session(config)):
            body = aws.client(config, "s3", reader).get_object(Bucket=bucket, Key="notes.txt")
            assert body["Body"].read() == b"mine"
    finally:
        aws.client(config, "s3", sessions[config.region]).delete_object(
            Bucket=bucket, Key="notes.txt"
        )


def test_ec2_settings_are_the_organizations_and_dev_cannot_change_them(dev):
    config, _, sessions, _ = dev
    for region in config.control_regions:
        ec2 = aws.client(config, "ec2", sessions[region])
        state = ec2.get_snapshot_block_public_access_state()
        assert (state["State"], state["ManagedBy"]) == ("block-all-sharing", "declarative-policy")
        assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
        with pytest.raises(ClientError, match="OperationNotPermitted"):
            ec2.disable_image_block_public_access()
