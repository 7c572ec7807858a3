"""SCPs and RCPs enforced by the emulator (scripts/emulator/extensions/organization_policies.py),
each rule with the AWS page it follows: first the evaluation itself, then requests to the
session's emulator server, in an organization of their own (moto's AssumeRole lands in the
account of any role ARN, so it never meets the foundation's)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from foundation import organization_policies
from scripts import aws
from scripts.emulator.extensions.organization_policies import (
    EXPLICIT,
    IMPLICIT,
    Request,
    conditions_hold,
    decision,
)

FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def deny(*actions: str, **statement) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": list(actions), "Resource": "*", **statement}],
    }


# --- the evaluation ------------------------------------------------------------------------------


def test_an_explicit_deny_wins_and_every_level_must_allow():
    """IAM User Guide, "Policy evaluation logic"; Organizations User Guide, "SCP evaluation":
    a deny at any level wins; each level (root, OUs, account) must allow the action."""
    run = Request("ec2:RunInstances", None)
    assert decision([[FULL_ACCESS], [FULL_ACCESS]], run) is None
    assert decision([[FULL_ACCESS], [FULL_ACCESS, deny("ec2:RunInstances")]], run) == EXPLICIT
    assert decision([[FULL_ACCESS], []], run) == IMPLICIT
    only_s3 = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}}
    assert decision([[FULL_ACCESS], [only_s3]], run) == IMPLICIT


def test_actions_match_case_insensitively_with_wildcards_anywhere():
    """IAM User Guide, "IAM JSON policy elements: Action" (prefix and name case-insensitive, `*`
    and `?`); "SCP syntax": wildcards at the beginning or middle since Sept 2025; NotAction
    ("IAM JSON policy elements: NotAction")."""
    for pattern, action, matches in [
        ("sagemaker:Create*Job", "sagemaker:CreateTrainingJob", True),
        ("sagemaker:Create*Job", "sagemaker:CreateEndpoint", False),
        ("EC2:runinstances", "ec2:RunInstances", True),
        ("ec2:Describe?pcs", "ec2:DescribeVpcs", True),
        ("ec2:*", "ec2:RunInstances", True),
        ("*", "iam:CreateUser", True),
        ("ec2:Run", "ec2:RunInstances", False),
    ]:
        found = decision([[deny(pattern)]], Request(action, None)) == EXPLICIT
        assert found is matches, (pattern, action)
    not_iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": ["iam:*"]}]}
    assert decision([[not_iam]], Request("iam:CreateUser", None)) == IMPLICIT  # not denied
    assert decision([[not_iam]], Request("ec2:RunInstances", None)) == EXPLICIT


def test_resources_match_part_by_part_and_an_unknown_one_only_every_resource():
    """IAM User Guide, "IAM JSON policy elements: Resource": ARN wildcards within each part."""
    role = deny("iam:DeleteRole", Resource=["arn:aws:iam::*:role/OrganizationAccountAccessRole"])
    on = "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole"
    assert decision([[role]], Request("iam:DeleteRole", on)) == EXPLICIT
    other = "arn:aws:iam::210987654321:role/learner"
    assert decision([[role, FULL_ACCESS]], Request("iam:DeleteRole", other)) is None
    assert decision([[role, FULL_ACCESS]], Request("iam:DeleteRole", None)) is None


def test_condition_operators_and_missing_keys():
    """IAM User Guide, "IAM JSON policy elements: Condition operators": a key absent from the
    request fails a condition but holds a negated one; ...IfExists holds when absent; Null tests
    presence; "Conditions with multiple context keys or values": values ORed, NORed when negated,
    operators and keys ANDed."""
    context = {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalArn": "arn:aws:iam::1:root"}
    cases = [
        ({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, True),
        ({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, False),
        ({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, False),
        ({"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}, True),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}, True),
        ({"BoolIfExists": {"aws:SecureTransport": "false"}}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Null": {"aws:AssumedRoot": "true"}}, True),
        ({"Null": {"aws:RequestedRegion": "true"}}, False),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}, True),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, True),
        ({"StringLike": {"aws:RequestedRegion": "eu-*"}}, True),
        (
            {
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
                "Null": {"aws:AssumedRoot": "false"},
            },
            False,
        ),
    ]
    for condition, holds in cases:
        assert conditions_hold(condition, context) is holds, condition
    with pytest.raises(NotImplementedError, match="DateGreaterThan"):
        conditions_hold({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}, context)


def test_root_sessions_are_exempt_from_the_root_deny():
    """IAM User Guide, "Centralized root access" and the aws:AssumedRoot key ("AWS global
    condition context keys"): present only in sessions started with sts:AssumeRoot."""
    root_deny = organization_policies.document(organization_policies.deny_member_root())
    root = {"aws:PrincipalArn": "arn:aws:iam::210987654321:root"}
    assert decision([[root_deny]], Request("s3:ListAllMyBuckets", None, root)) == EXPLICIT
    session = {**root, "aws:AssumedRoot": "true"}
    assert (
        decision([[root_deny, FULL_ACCESS]], Request("s3:ListAllMyBuckets", None, session)) is None
    )


# --- on the emulator server ---------------------------------------------------------------------

MANAGEMENT_ID = "320987654321"
OUTSIDER_ID = "330987654321"  # in no organization
MEMBER_ROLE = "OrganizationAccountAccessRole"
SERVICE_LINKED_ROLE = "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


@dataclass
class Organization:
    config: object
    id: str
    root: str
    member: str
    management: object  # boto3 sessions
    learner: object
    outsider: object

    def client(self, session, service: str, region: str | None = None):
        return aws.client(self.config, service, session, region=region)

    @contextlib.contextmanager
    def attached(self, policy_type: str, document: dict, target: str):
        organizations = self.client(self.management, "organizations")
        policy = organizations.create_policy(
            Name=f"test-{len(json.dumps(document))}-{target}",
            Type=policy_type,
            Description="test",
            Content=json.dumps(document),
        )["Policy"]["PolicySummary"]["Id"]
        organizations.attach_policy(PolicyId=policy, TargetId=target)
        try:
            yield
        finally:
            organizations.detach_policy(PolicyId=policy, TargetId=target)
            organizations.delete_policy(PolicyId=policy)


@pytest.fixture(scope="module")
def organization(emulator) -> Organization:
    management = aws.assume_role(emulator, f"arn:aws:iam::{MANAGEMENT_ID}:role/admin", "admin")
    organizations = aws.client(emulator, "organizations", management)
    found = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        organizations.enable_policy_type(RootId=root, PolicyType=policy_type)
    member = organizations.create_account(AccountName="lab", Email="lab@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    learner = aws.assume_role(
        emulator, f"arn:aws:iam::{member}:role/{MEMBER_ROLE}", "learner", management
    )
    outsider = aws.assume_role(emulator, f"arn:aws:iam::{OUTSIDER_ID}:role/admin", "outsider")
    return Organization(emulator, found, root, member, management, learner, outsider)


def refusal(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    return (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    )


def test_a_member_scp_denies_before_moto_in_each_protocol(organization):
    """Organizations User Guide, "Service control policies"; IAM User Guide, "Troubleshoot access
    denied error messages" (the message); each service's own error code: EC2's
    UnauthorizedOperation, AccessDeniedException in JSON protocols, AccessDenied otherwise. An
    action moto lacks (lambda:GetAccountSettings) is denied too, not 501."""
    org = organization
    denied = deny(
        "ec2:RunInstances",
        "iam:CreateUser",
        "organizations:LeaveOrganization",
        "s3:CreateBucket",
        "s3:PutAccountPublicAccessBlock",
        "lambda:GetAccountSettings",
    )
    learner = lambda service: org.client(org.learner, service)  # noqa: E731
    block = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    calls = [
        (
            "UnauthorizedOperation",  # ec2
            lambda: learner("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1),
        ),
        ("AccessDenied", lambda: learner("iam").create_user(UserName="u")),  # query
        ("AccessDeniedException", lambda: learner("organizations").leave_organization()),  # json
        ("AccessDenied", lambda: learner("s3").create_bucket(Bucket="lab-denied")),  # rest-xml
        (
            "AccessDenied",  # S3 Control, through the subdomain tunnel
            lambda: learner("s3control").put_public_access_block(
                AccountId=org.member, PublicAccessBlockConfiguration=block
            ),
        ),
        ("AccessDeniedException", lambda: learner("lambda").get_account_settings()),  # rest-json
    ]
    session_arn = f"arn:aws:sts::{org.member}:assumed-role/{MEMBER_ROLE}/learner"
    with org.attached("SERVICE_CONTROL_POLICY", denied, org.member):
        for code, call in calls:
            status, got, message = refusal(call)
            assert (status, got) == (403, code), message
            assert message.startswith(f"User: {session_arn} is not authorized to perform: ")
            assert message.endswith("with an explicit deny in a service control policy")
        assert "on resource: arn:aws:s3:::lab-denied" in refusal(calls[3][1])[2]
        assert "perform: s3:PutAccountPublicAccessBlock with" in refusal(calls[4][1])[2]
        org.client(org.learner, "iam").list_users()  # what no statement denies still works
        org.client(org.management, "iam").create_user(UserName="not-restricted")


def test_every_level_must_allow(organization):
    """Organizations User Guide, "SCP evaluation": without FullAWSAccess (or another allow) on
    the account itself, nothing is allowed there, whatever the root allows."""
    org = organization
    organizations = org.client(org.management, "organizations")
    organizations.detach_policy(PolicyId="p-FullAWSAccess", TargetId=org.member)
    try:
        status, code, message = refusal(lambda: org.client(org.learner, "sqs").list_queues())
    finally:
        organizations.attach_policy(PolicyId="p-FullAWSAccess", TargetId=org.member)
    assert message.endswith("because no service control policy allows the sqs:ListQueues action")
    org.client(org.learner, "sqs").list_queues()


def test_management_and_service_linked_roles_are_never_restricted_nor_get_caller_identity(
    organization,
):
    """Organizations User Guide, "Service control policies": SCPs do not affect the management
    account nor service-linked roles; STS API reference, GetCallerIdentity: no permission needed,
    an explicit deny does not stop it."""
    org = organization
    linked = aws.assume_role(
        org.config,
        f"arn:aws:iam::{org.member}:role/{SERVICE_LINKED_ROLE}",
        "autoscaling",
        org.management,
    )
    with org.attached("SERVICE_CONTROL_POLICY", deny("*"), org.root):
        assert refusal(lambda: org.client(org.learner, "iam").list_users())[0] == 403
        org.client(linked, "iam").list_users()
        org.client(org.management, "iam").list_users()
        assert org.client(org.learner, "sts").get_caller_identity()["Account"] == org.member


def test_the_guardrails_scp_bites_the_member_root_user_and_other_regions(organization):
    """The project's own guardrails SCP: aws:PrincipalArn of a member's root user (credentials of
    no IAM user or role act as the account's root user); aws:RequestedRegion with the global
    services exempt by NotAction (Organizations User Guide, "Deny access to AWS based on the
    requested AWS Region")."""
    org = organization
    scp = organization_policies.guardrails_scp(
        deny_leave=True,
        deny_root=True,
        allowed_regions=["us-east-1"],
        protected_roles=[MEMBER_ROLE],
    )
    root = aws.session(org.config)
    root_s3 = org.client(root, "s3")
    root_s3.meta.events.register(
        "before-sign.s3.*",
        lambda request, **_: request.headers.add_header("x-moto-account-id", org.member),
    )
    with org.attached("SERVICE_CONTROL_POLICY", scp, org.member):
        _, _, message = refusal(root_s3.list_buckets)
        assert message.startswith(f"User: arn:aws:iam::{org.member}:root is not authorized")
        org.client(org.learner, "s3").list_buckets()
        assert refusal(lambda: org.client(org.learner, "sqs", "eu-west-1").list_queues())[0] == 403
        org.client(org.learner, "sqs", "us-east-1").list_queues()
        org.client(org.learner, "iam", "eu-west-1").list_roles()  # a global service
        assert (
            refusal(lambda: org.client(org.learner, "iam").delete_role(RoleName=MEMBER_ROLE))[0]
            == 403
        )


def test_the_resource_perimeter_keeps_outsiders_from_member_resources(organization):
    """Organizations User Guide, "Resource control policies": an RCP restricts requests to the
    resources of member accounts whoever makes them, never the management account's; the
    project's RCP from AWS's examples ("Resource control policy examples")."""
    org = organization
    member_s3, member_sqs = org.client(org.learner, "s3"), org.client(org.learner, "sqs")
    member_s3.create_bucket(Bucket="lab-data")
    member_s3.put_object(Bucket="lab-data", Key="notes.txt", Body=b"mine")
    queue = member_sqs.create_queue(QueueName="lab-queue")["QueueUrl"]
    org.client(org.management, "s3").create_bucket(Bucket="management-data")
    rcp = organization_policies.resource_perimeter_rcp(org.id)
    outsider_s3 = org.client(org.outsider, "s3")
    with org.attached("RESOURCE_CONTROL_POLICY", rcp, org.root):
        _, _, message = refusal(lambda: outsider_s3.get_object(Bucket="lab-data", Key="notes.txt"))
        assert message.endswith("with an explicit deny in a resource control policy")
        assert "on resource: arn:aws:s3:::lab-data/notes.txt" in message
        assert (
            refusal(
                lambda: org.client(org.outsider, "sqs").send_message(
                    QueueUrl=queue, MessageBody="x"
                )
            )[0]
            == 403
        )
        role = f"arn:aws:iam::{org.member}:role/{MEMBER_ROLE}"
        assert (
            refusal(lambda: aws.assume_role(org.config, role, "intruder", org.outsider))[0] == 403
        )
        assert member_s3.get_object(Bucket="lab-data", Key="notes.txt")["Body"].read() == b"mine"
        member_sqs.send_message(QueueUrl=queue, MessageBody="x")
        aws.assume_role(org.config, role, "admin-again", org.management)
        outsider_s3.list_objects_v2(Bucket="management-data")  # RCPs skip the management account


def test_the_resource_perimeter_denies_plain_requests_and_deputies_of_others():
    """The project's RCP, by evaluation where the emulator cannot make the request: no TLS
    (aws:SecureTransport), and an AWS service acting for another organization (aws:SourceOrgID
    with aws:SourceAccount present; "Resource control policy examples", confused deputy)."""
    rcp = organization_policies.resource_perimeter_rcp("o-ours")
    full = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    ours = {"aws:PrincipalOrgID": "o-ours", "aws:PrincipalIsAWSService": "false"}
    get = "s3:GetObject"
    assert (
        decision([[full, rcp]], Request(get, None, {**ours, "aws:SecureTransport": "true"})) is None
    )
    plain = {**ours, "aws:SecureTransport": "false"}
    assert decision([[full, rcp]], Request(get, None, plain)) == EXPLICIT
    service = {"aws:PrincipalIsAWSService": "true", "aws:SecureTransport": "true"}
    for source, denied in (("o-ours", None), ("o-theirs", EXPLICIT)):
        context = {**service, "aws:SourceAccount": "111111111111", "aws:SourceOrgID": source}
        assert decision([[full, rcp]], Request(get, None, context)) == denied, source
    assert decision([[full, rcp]], Request(get, None, service)) is None, "no source account"
