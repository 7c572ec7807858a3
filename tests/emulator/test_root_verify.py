"""`make root-verify` against in-process moto: each check's PASS, FAIL and CANNOT CHECK rows,
and the command's exit status."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.budgets.responses import BudgetsResponse
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import enable_iam_authentication
from moto.iam.models import iam_backends

from scripts import aws, cli
from scripts.commands import root_steps, root_verify
from scripts.commands.root_verify import CANNOT_CHECK, EMULATOR, FAIL, PASS, Check
from scripts.console import UserError

ADMIN = "alice"  # the admin user of environments/example.toml
ORGANIZATION_TRAIL = "organization-trail"
ROOT_ACCESS_ROW = "centralized root access"
DEV_ROOT_ROW = "member dev: root credentials"
ROOT_STAND_IN = "root-stand-in"


@pytest.fixture
def root_state(mocked_example, monkeypatch):
    """Sets the root user's MFA / access-key state that IAM GetAccountSummary reports.

    moto hard-codes AccountMFAEnabled and AccountAccessKeysPresent to 0 in its AccountSummary
    (there is no API to give the root user MFA or keys), so the test sets the two attributes of
    this account's summary object: the narrowest internal that decides those two values.
    """
    summary = iam_backends[DEFAULT_ACCOUNT_ID]["global"].account_summary

    def set_state(*, mfa: bool, access_keys: bool) -> None:
        monkeypatch.setattr(summary, "_account_mfa_enabled", int(mfa))
        monkeypatch.setattr(summary, "_account_access_keys_present", int(access_keys))

    return set_state


def make_admin(iam, user: str, *, password: bool = True, mfa: bool = True) -> None:
    iam.create_user(UserName=user)
    give_credentials(iam, user, password=password, mfa=mfa)


def give_credentials(iam, user: str, *, password: bool = True, mfa: bool = True) -> None:
    if password:
        iam.create_login_profile(UserName=user, Password="a-Long-enough-passw0rd!")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName=user,
            SerialNumber=serial["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )


def add_trail(config, name: str, *, organization: bool) -> None:
    s3 = boto3.client("s3", region_name=config.region)
    if config.trail.bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(
            Bucket=config.trail.bucket,
            CreateBucketConfiguration={"LocationConstraint": config.region},
        )
    boto3.client("cloudtrail", region_name=config.region).create_trail(
        Name=name,
        S3BucketName=config.trail.bucket,
        IsMultiRegionTrail=True,
        IsOrganizationTrail=organization,
    )


@pytest.fixture
def member_root(moto_organization, example_config, monkeypatch):
    """The dev account's root user, as a root session would see it; returns its IAM client.

    moto has no sts:AssumeRoot, so `aws.assume_root` (the one function that starts a root
    session) is replaced by a real moto session in the member account, from sts:AssumeRole
    into the OrganizationAccountAccessRole that organizations.create_account made there (given
    full access, as AWS gives it). moto has no root user either: IAM calls without a
    user name look up a user named None (ListAccessKeys: the owner of the caller's key), so that
    account's IAM backend answers them for a stand-in user the test gives credentials to.
    """
    account_id = moto_organization["dev"]
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    session = aws.assume_role(example_config, role, "root-steps-test")
    iam = session.client("iam")
    iam.put_role_policy(
        RoleName="OrganizationAccountAccessRole",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    iam.create_user(UserName=ROOT_STAND_IN)

    def root_session(config, target, task_policy_arn, boto_session=None):
        assert (target, task_policy_arn) == (account_id, root_steps.AUDIT_ROOT_CREDENTIALS)
        # Started from the management account's root-sessions role, never from an MFA session.
        caller = boto_session.client("sts").get_caller_identity()["Arn"]
        assert caller.startswith(
            f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/"
            f"{example_config.name_prefix}-root-sessions/"
        )
        return session

    monkeypatch.setattr(aws, "assume_root", root_session)
    backend = iam_backends[account_id]["global"]
    get_user = backend.get_user
    # Undone before moto resets its backends (`monkeypatch` outlives the mock).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backend, "get_user", lambda name: get_user(name or ROOT_STAND_IN))
        patch.setattr(
            backend,
            "get_access_key_last_used",
            lambda access_key_id: {"user_name": None, "last_used": None},
        )
        yield iam


@pytest.fixture
def compliant_account(root_state, example_config, member_root):
    """Every step done: root MFA, no root keys, admin password and MFA, strong policy, org trail,
    centralized root access, member accounts without root credentials."""
    root_state(mfa=True, access_keys=False)
    iam = boto3.client("iam")
    make_admin(iam, ADMIN)
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    add_trail(example_config, ORGANIZATION_TRAIL, organization=True)
    iam.enable_organizations_root_credentials_management()
    iam.enable_organizations_root_sessions()
    return iam


def run_verify(config, monkeypatch) -> tuple[dict[str, Check], int]:
    """`python -m scripts.cli root-verify` once: its rows by name, and its exit code."""
    rows: list[Check] = []
    real_verify = root_verify.verify
    monkeypatch.setattr(root_verify, "verify", lambda c: rows.extend(real_verify(c)) or rows)
    exit_code = cli.main(["root-verify", "--env", config.env_name])
    return {check.name: check for check in rows}, exit_code


def failing(rows: dict[str, Check]) -> set[str]:
    return {name for name, check in rows.items() if check.status == FAIL}


# --- verify --------------------------------------------------------------------------------


def test_verify_passes_on_a_compliant_account(
    compliant_account, example_config, monkeypatch, capsys
):
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert {check.status for check in rows.values()} == {PASS}
    assert {ROOT_ACCESS_ROW, DEV_ROOT_ROW} <= rows.keys()
    assert exit_code == 0
    assert "0 failed, 0 cannot check" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mfa, access_keys, expected",
    [
        (False, False, {"root user: MFA enabled"}),
        (True, True, {"root user: no access keys"}),
        (False, True, {"root user: MFA enabled", "root user: no access keys"}),
    ],
)
def test_root_without_mfa_or_with_access_keys_fails(
    compliant_account, root_state, example_config, monkeypatch, capsys, mfa, access_keys, expected
):
    root_state(mfa=mfa, access_keys=access_keys)
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert failing(rows) == expected
    assert exit_code == 1
    captured = capsys.readouterr()
    assert f"{len(expected)} check(s) failed" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("password, mfa", [(False, True), (True, False), (False, False)])
def test_admin_without_password_or_mfa_fails(
    root_state, example_config, monkeypatch, password, mfa
):
    root_state(mfa=True, access_keys=False)
    make_admin(boto3.client("iam"), ADMIN, password=password, mfa=mfa)
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert rows[f"admin {ADMIN}: console password"].status == (PASS if password else FAIL)
    assert rows[f"admin {ADMIN}: MFA device"].status == (PASS if mfa else FAIL)
    assert exit_code == 1


def test_admin_missing_is_one_failure_that_names_the_apply(root_state, example_config):
    root_state(mfa=True, access_keys=False)
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[f"admin {ADMIN}"].status == FAIL
    assert "make apply ENV=example STACK=management" in rows[f"admin {ADMIN}"].detail


def test_admin_mfa_row_names_the_device(compliant_account, example_config):
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert (
        rows[f"admin {ADMIN}: MFA device"].detail
        == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:mfa/{ADMIN}"
    )


def test_account_level_trail_is_a_cost_failure(compliant_account, example_config, monkeypatch):
    add_trail(example_config, "my-extra-trail", organization=False)
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert failing(rows) == {"account-level trail my-extra-trail"}
    assert "costs money" in rows["account-level trail my-extra-trail"].detail
    assert exit_code == 1


@pytest.mark.parametrize(
    "policy, problem",
    [
        (None, "none set"),
        ({"MinimumPasswordLength": 8, "PasswordReusePrevention": 24}, "minimum length 8"),
        ({"MinimumPasswordLength": 14}, "reuse prevention 0"),
    ],
)
def test_weak_or_missing_password_policy_fails(compliant_account, example_config, policy, problem):
    compliant_account.delete_account_password_policy()
    if policy:
        compliant_account.update_account_password_policy(**policy)
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows["account password policy"].status == FAIL
    assert problem in rows["account password policy"].detail


def use_credentials_of(iam, monkeypatch, user: str, allowed_actions: list[str]) -> None:
    """From now on the helpers act as `user`, allowed only `allowed_actions` (moto enforces it
    inside `enable_iam_authentication`)."""
    iam.put_user_policy(
        UserName=user,
        PolicyName="limited",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": allowed_actions, "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


# s3:GetObject: the member account ids come from the management workspace's state;
# sts:AssumeRole: root sessions start from the root-sessions role.
READ_ALL_BUT_BILLING = [
    "sts:GetCallerIdentity",
    "iam:Get*",
    "iam:List*",
    "cloudtrail:Describe*",
    "s3:GetObject",
    "sts:AssumeRole",
]
BILLING_ROW = "billing access (Budgets read)"


def test_denied_api_is_cannot_check_not_a_failure(
    compliant_account, example_config, monkeypatch, capsys
):
    compliant_account.create_user(UserName="auditor")
    use_credentials_of(compliant_account, monkeypatch, "auditor", READ_ALL_BUT_BILLING)
    with enable_iam_authentication():
        rows, exit_code = run_verify(example_config, monkeypatch)
    assert rows[BILLING_ROW].status == CANNOT_CHECK
    assert "access denied to DescribeBudgets" in rows[BILLING_ROW].detail
    assert {check.status for name, check in rows.items() if name != BILLING_ROW} == {PASS}
    assert exit_code == 0  # visible and counted apart, but not a failure on its own
    out = capsys.readouterr().out
    assert "CANNOT CHECK" in out and "1 cannot check" in out


def test_billing_denied_to_an_admin_is_a_failure(compliant_account, example_config, monkeypatch):
    use_credentials_of(compliant_account, monkeypatch, ADMIN, READ_ALL_BUT_BILLING)
    with enable_iam_authentication():
        rows, exit_code = run_verify(example_config, monkeypatch)
    assert failing(rows) == {BILLING_ROW}
    assert "https://console.aws.amazon.com/billing/home#/account" in rows[BILLING_ROW].detail
    assert exit_code == 1


def test_unimplemented_api_is_cannot_check(compliant_account, example_config, monkeypatch):
    # Without its handler, moto answers DescribeBudgets as it answers any API it lacks.
    monkeypatch.delattr(BudgetsResponse, "describe_budgets")
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert rows[BILLING_ROW].status == CANNOT_CHECK
    assert "does not implement" in rows[BILLING_ROW].detail
    assert exit_code == 0


# --- centralized root access --------------------------------------------------------------


@pytest.mark.parametrize(
    "enabled, missing",
    [
        ((), "RootCredentialsManagement, RootSessions"),
        (("root_credentials_management",), "RootSessions"),
        (("root_sessions",), "RootCredentialsManagement"),
    ],
)
def test_root_access_features_not_all_enabled_fail(
    moto_organization, example_config, enabled, missing
):
    iam = boto3.client("iam")
    for feature in enabled:
        getattr(iam, f"enable_organizations_{feature}")()
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[ROOT_ACCESS_ROW].status == FAIL
    assert (
        rows[ROOT_ACCESS_ROW].detail
        == f"{missing} not enabled: run `make apply ENV=example STACK=management`"
    )


def test_root_access_without_iam_trusted_access_fails(compliant_account, example_config):
    boto3.client("organizations").disable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[ROOT_ACCESS_ROW].status == FAIL
    assert "IAM trusted access is not enabled" in rows[ROOT_ACCESS_ROW].detail


def test_root_access_without_an_organization_is_cannot_check(mocked_example, example_config):
    # moto's extension answers ServiceAccessNotEnabled when there is no organization; AWS answers
    # with an organization error, given here by botocore's Stubber.
    verifier = root_verify._Verifier(example_config, boto3.Session(), DEFAULT_ACCOUNT_ID, "arn")
    with Stubber(verifier.iam) as stub:
        stub.add_client_error("list_organizations_features", "OrganizationNotFoundException")
        [row] = root_verify._run(ROOT_ACCESS_ROW, verifier.root_access)
    assert row.status == CANNOT_CHECK and "manage no organization" in row.detail


def test_member_root_credentials_fail_and_are_listed(
    compliant_account, member_root, example_config, monkeypatch
):
    give_credentials(member_root, ROOT_STAND_IN)  # a password and an MFA device
    key = member_root.create_access_key(UserName=ROOT_STAND_IN)["AccessKey"]["AccessKeyId"]
    member_root.upload_signing_certificate(UserName=ROOT_STAND_IN, CertificateBody=certificate())
    rows, exit_code = run_verify(example_config, monkeypatch)
    assert failing(rows) == {DEV_ROOT_ROW}
    detail = rows[DEV_ROOT_ROW].detail
    for remaining in (
        "a password",
        f"access key {key}",
        f"mfa/{ROOT_STAND_IN}",
        "signing certificate",
        "root-access-management",
    ):
        assert remaining in detail
    assert exit_code == 1


def test_member_root_without_assume_root_is_cannot_check(moto_organization, example_config):
    # moto has no sts:AssumeRoot: as on the emulator, the row cannot be checked.
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[DEV_ROOT_ROW].status == CANNOT_CHECK
    assert "does not implement" in rows[DEV_ROOT_ROW].detail


def test_member_root_without_the_root_sessions_role_is_cannot_check(
    compliant_account, example_config, monkeypatch
):
    def denied(config, role_arn, session_name, boto_session=None):
        raise ClientError(
            {
                "Error": {"Code": "AccessDenied", "Message": "MFA required"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            "AssumeRole",
        )

    monkeypatch.setattr(aws, "assume_role", denied)
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[DEV_ROOT_ROW].status == CANNOT_CHECK
    assert (
        f"could not assume arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/acme-root-sessions"
        in rows[DEV_ROOT_ROW].detail
        and "MFA session" in rows[DEV_ROOT_ROW].detail
    )


def test_member_root_of_an_account_not_created_yet_is_cannot_check(mocked_example, example_config):
    rows = {check.name: check for check in root_verify.verify(example_config)}
    assert rows[DEV_ROOT_ROW].status == CANNOT_CHECK
    assert "make apply ENV=example STACK=management" in rows[DEV_ROOT_ROW].detail


def certificate() -> str:
    """A self-signed PEM certificate: moto checks a signing certificate's body."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_emulator_without_an_api_is_cannot_check():
    # A moto server answers an unknown action with a bare HTTP 500 page; botocore's code is "500".
    error = ClientError(
        {
            "Error": {"Code": "500", "Message": "<html>Internal Server Error</html>"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        "GetAccountSummary",
    )
    assert "does not implement GetAccountSummary" in root_verify._cannot_check_reason(error)


def test_rows_beyond_the_emulator_are_no_failures_but_a_failure_still_is(example_config, capsys):
    beyond = Check("root user: MFA enabled", EMULATOR, "emulator: cannot hold root MFA")
    root_verify.report(example_config, [beyond, Check("account password policy", PASS)])
    printed = capsys.readouterr().out
    assert "1 passed, 0 failed, 0 cannot check, 1 beyond the emulator." in printed
    assert "EMULATOR rows are steps done at the AWS console" in printed
    with pytest.raises(UserError, match="1 check\\(s\\) failed"):
        root_verify.report(example_config, [beyond, Check("account-level trails", FAIL, "x")])
