"""End to end on the session's emulator: real terraform and the real provider against moto.

The `foundation` fixture bootstraps the state bucket and applies management, then dev.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import time

import pytest

from foundation.contract import CIS_PASSWORD_POLICY, MANAGEMENT_STACK
from scripts import aws
from scripts.commands import bootstrap, demo
from scripts.console import UserError
from scripts.runner.terraform import PLAN_NO_CHANGES, Terraform
from scripts.workspaces import member_account, read_state, state_outputs


@pytest.fixture(scope="module")
def second_plans(foundation, tmp_path_factory):
    """The demo's step after management's apply, run again on the applied foundation: each
    member applied (nothing to change) and planned again, management planned beside them.
    Returns (exit codes by workspace, what it printed, the log directory)."""
    config, stacks = foundation
    log_dir = tmp_path_factory.mktemp("second-plans")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exit_codes = demo.apply_members_and_plan_again(config, stacks, log_dir)
    return exit_codes, printed.getvalue(), log_dir


def test_second_plan_changes_nothing(foundation, second_plans):
    config, _ = foundation
    exit_codes, _, _ = second_plans
    assert exit_codes == dict.fromkeys(config.stack_names, PLAN_NO_CHANGES)


def test_organization_and_member_account(foundation):
    config, _ = foundation
    organizations = aws.client(config, "organizations")
    organization = organizations.describe_organization()["Organization"]
    assert organization["FeatureSet"] == "ALL"
    outputs = state_outputs(config, MANAGEMENT_STACK)
    assert outputs["organization_id"] == organization["Id"]
    accounts = {a["Id"]: a for a in organizations.list_accounts()["Accounts"]}
    dev = accounts[outputs["member_account_ids"]["dev"]]
    assert dev["Email"] == config.account("dev").email
    assert "cloudtrail.amazonaws.com" in [
        p["ServicePrincipal"]
        for p in organizations.list_aws_service_access_for_organization()[
            "EnabledServicePrincipals"
        ]
    ]


def test_identity_groups_and_policies(foundation):
    config, _ = foundation
    iam = aws.client(config, "iam")
    attached = {
        p["PolicyArn"]
        for p in iam.list_attached_group_policies(GroupName="Administrators")["AttachedPolicies"]
    }
    assert {
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/job-function/Billing",
    } <= attached
    force_mfa = next(arn for arn in attached if arn.endswith(f"/{config.name_prefix}-force-mfa"))
    version = iam.get_policy(PolicyArn=force_mfa)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=force_mfa, VersionId=version)["PolicyVersion"]
    deny = next(s for s in _statements(document["Document"]) if s["Effect"] == "Deny")
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}

    group = f"{config.name_prefix}-member-account-access"
    members = {u["UserName"] for u in iam.get_group(GroupName=group)["Users"]}
    assert members == set(config.admin_users)
    name = iam.list_group_policies(GroupName=group)["PolicyNames"][0]
    (statement,) = _statements(
        iam.get_group_policy(GroupName=group, PolicyName=name)["PolicyDocument"]
    )
    _, role_arn = member_account(config, "dev")
    assert statement["Action"] == ["sts:AssumeRole"] and statement["Resource"] == [role_arn]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_organization_trail_and_hardened_log_bucket(foundation):
    config, _ = foundation
    (trail,) = [
        t
        for t in aws.client(config, "cloudtrail").describe_trails()["trailList"]
        if t["Name"] == config.trail.name
    ]
    assert trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"]
    assert trail["LogFileValidationEnabled"] and trail["IncludeGlobalServiceEvents"]
    assert trail["S3BucketName"] == config.trail.bucket
    _assert_hardened(config, config.trail.bucket)
    s3 = aws.client(config, "s3")
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=config.trail.bucket)["Rules"]
    assert rule["Expiration"]["Days"] == config.trail.retention_days
    policy = json.loads(s3.get_bucket_policy(Bucket=config.trail.bucket)["Policy"])
    org_id = state_outputs(config, MANAGEMENT_STACK)["organization_id"]
    written = [s["Resource"] for s in policy["Statement"] if s["Action"] == ["s3:PutObject"]]
    assert [f"arn:aws:s3:::{config.trail.bucket}/AWSLogs/{org_id}/*"] in written


def test_budgets_count_gross_cost(foundation):
    """Credits and refunds left out, as applied (the provider reads CostTypes back)."""
    config, _ = foundation
    budgets = aws.client(config, "budgets").describe_budgets(AccountId=aws.account_id(config))
    assert {
        budget["BudgetName"]: (
            budget["CostTypes"]["IncludeCredit"],
            budget["CostTypes"]["IncludeRefund"],
            budget["CostTypes"]["UseBlended"],
        )
        for budget in budgets["Budgets"]
    } == dict.fromkeys(
        [f"{config.name_prefix}-organization-monthly"]
        + [f"{config.name_prefix}-{account.name}-monthly" for account in config.accounts],
        (False, False, False),
    )


def test_state_objects_under_distinct_keys_and_no_lock_left(foundation):
    config, _ = foundation
    keys = [
        o["Key"]
        for o in aws.client(config, "s3").list_objects_v2(Bucket=config.state_bucket)["Contents"]
    ]
    assert sorted(keys) == sorted(config.state_key(stack) for stack in config.stack_names)
    _assert_hardened(config, config.state_bucket)


def test_member_provider_lands_in_member_account(foundation):
    config, stacks = foundation
    dev_id, role_arn = member_account(config, "dev")
    outputs = Terraform(config, "dev", stacks=stacks).outputs()
    assert outputs["account_id"] == dev_id
    # The sandbox bucket is named after the caller identity the dev provider sees.
    assert outputs["sandbox_bucket"].endswith(f"-{dev_id}")
    dev_session = aws.assume_role(config, role_arn, "lifecycle-test")
    assert aws.account_id(config, dev_session) == dev_id != aws.account_id(config)
    dev_buckets = {
        b["Name"] for b in aws.client(config, "s3", dev_session).list_buckets()["Buckets"]
    }
    assert outputs["sandbox_bucket"] in dev_buckets


def test_held_lock_fails_a_second_apply_and_leaves_state_unchanged(foundation):
    config, stacks = foundation
    terraform = Terraform(config, "dev", stacks=stacks)
    terraform.init()
    before = read_state(config, "dev")
    lock_key = f"{config.state_key('dev')}.tflock"
    (bucket,) = json.loads((terraform.dir / "cdk.tf.json").read_text())["resource"]["aws_s3_bucket"]
    # An interactive apply holds the state lock while it waits for its "yes".
    holder = subprocess.Popen(
        [terraform.binary, "apply", f"-replace=aws_s3_bucket.{bucket}"],
        cwd=terraform.dir,
        env=terraform.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_object(config, lock_key)
        second = terraform.run(
            "apply", "-auto-approve", "-input=false", "-lock-timeout=1s", capture=True, check=False
        )
        assert second.returncode != 0
        assert "Error acquiring the state lock" in second.stderr
    finally:
        holder.communicate("no\n", timeout=120)
    assert read_state(config, "dev") == before
    assert not _object_exists(config, lock_key)


def test_bootstrap_again_changes_nothing(foundation, capsys):
    config, _ = foundation
    assert bootstrap.bootstrap(config) == []
    # The emulator answers the Free Tier API: the paid plan, unless started with the free one.
    assert "The management account is on the paid plan" in capsys.readouterr().out


def test_bootstrap_refuses_an_unversioned_bucket(emulator):
    import dataclasses

    config = dataclasses.replace(emulator, state_bucket="someone-elses-plain-bucket")
    aws.client(config, "s3").create_bucket(Bucket=config.state_bucket)
    with pytest.raises(UserError, match="exists without versioning"):
        bootstrap.bootstrap(config)


def _assert_hardened(config, bucket: str) -> None:
    s3 = aws.client(config, "s3")
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def _statements(document) -> list[dict]:
    if isinstance(document, str):
        from urllib.parse import unquote

        document = json.loads(unquote(document))
    return document["Statement"]


def _object_exists(config, key: str) -> bool:
    listed = aws.client(config, "s3").list_objects_v2(Bucket=config.state_bucket, Prefix=key)
    return listed.get("KeyCount", 0) > 0


def _wait_for_object(config, key: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not _object_exists(config, key):
        assert time.monotonic() < deadline, f"no lock object {key} appeared"
        time.sleep(0.5)


# --- every account's CIS baseline, as the AWS APIs show it after the apply ---------------------


def _account_sessions(config) -> dict:
    """{workspace: a session in its account}: management's own, each member's by its role."""
    sessions = {MANAGEMENT_STACK: aws.session(config)}
    for account in config.accounts:
        _, role_arn = member_account(config, account.name)
        sessions[account.name] = aws.assume_role(config, role_arn, "baseline-test")
    return sessions


def test_every_account_has_the_cis_baseline(foundation):
    config, _ = foundation
    for workspace, session in _account_sessions(config).items():
        account_id = aws.account_id(config, session)
        block = aws.client(config, "s3control", session).get_public_access_block(
            AccountId=account_id
        )["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }, workspace

        iam = aws.client(config, "iam", session)
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        assert (policy["MinimumPasswordLength"], policy["PasswordReusePrevention"]) == (
            CIS_PASSWORD_POLICY.minimum_password_length,
            CIS_PASSWORD_POLICY.password_reuse_prevention,
        ), workspace
        assert policy["RequireSymbols"] and not policy["ExpirePasswords"], workspace

        role = iam.get_role(RoleName=f"{config.name_prefix}-support")["Role"]
        [statement] = _statements(role["AssumeRolePolicyDocument"])
        management_id = state_outputs(config, MANAGEMENT_STACK)["management_account_id"]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{management_id}:root"}
        assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AWSSupportAccess"]

        assert len(config.control_regions) > 1, "local.toml allows a second region"
        for region in config.control_regions:
            ec2 = aws.client(config, "ec2", session, region=region)
            assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"], (
                workspace,
                region,
            )


def test_member_accounts_have_their_alias_and_management_keeps_its_own(foundation):
    config, _ = foundation
    sessions = _account_sessions(config)
    assert aws.client(config, "iam").list_account_aliases()["AccountAliases"] == []
    for account in config.accounts:
        assert aws.client(config, "iam", sessions[account.name]).list_account_aliases()[
            "AccountAliases"
        ] == [account.alias]


def test_alternate_contacts_of_every_account(foundation):
    config, _ = foundation
    expected = config.contacts.by_type()
    assert expected, "local.toml sets contacts"
    management_api = aws.client(config, "account")
    member_ids = state_outputs(config, MANAGEMENT_STACK)["member_account_ids"]
    for account_id in (None, *member_ids.values()):  # None: the management account itself
        for kind, contact in expected.items():
            found = management_api.get_alternate_contact(
                AlternateContactType=kind, **({"AccountId": account_id} if account_id else {})
            )["AlternateContact"]
            assert (found["Name"], found["Title"], found["EmailAddress"], found["PhoneNumber"]) == (
                contact.name,
                contact.title,
                contact.email,
                contact.phone,
            ), (account_id, kind)


def test_organization_access_analyzer_in_every_allowed_region(foundation):
    config, _ = foundation
    for region in config.control_regions:
        analyzers = aws.client(config, "accessanalyzer", region=region).list_analyzers(
            type="ORGANIZATION"
        )["analyzers"]
        assert [a["name"] for a in analyzers] == [f"{config.name_prefix}-organization"], region
        assert analyzers[0]["arn"].split(":")[3] == region


def test_ai_services_opt_out_policy_is_attached_at_the_root(foundation):
    config, _ = foundation
    organizations = aws.client(config, "organizations")
    [root] = organizations.list_roots()["Roots"]
    assert {"Type": "AISERVICES_OPT_OUT_POLICY", "Status": "ENABLED"} in root["PolicyTypes"]
    [summary] = organizations.list_policies_for_target(
        TargetId=root["Id"], Filter="AISERVICES_OPT_OUT_POLICY"
    )["Policies"]
    content = json.loads(organizations.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"])
    assert content["services"]["default"]["opt_out_policy"]["@@assign"] == "optOut"


def test_member_accounts_see_the_organization_trail(foundation):
    config, _ = foundation
    trail_arn = state_outputs(config, MANAGEMENT_STACK)["trail_arn"]
    for workspace, session in _account_sessions(config).items():
        cloudtrail = aws.client(config, "cloudtrail", session)
        trails = {t["TrailARN"]: t for t in cloudtrail.describe_trails()["trailList"]}
        assert trails[trail_arn]["IsOrganizationTrail"], workspace
        selectors = cloudtrail.get_event_selectors(TrailName=trail_arn)["EventSelectors"]
        assert [(s["ReadWriteType"], s["IncludeManagementEvents"]) for s in selectors] == [
            ("All", True)
        ], workspace


def test_demo_summary_lists_each_accounts_baseline(foundation):
    config, _ = foundation
    lines = demo.baseline_lines(config)
    assert [line.split()[0] for line in lines] == [*config.stack_names, "organization"]
    regions = ", ".join(config.control_regions)
    for line in lines[:-1]:
        assert "S3 public access blocked" in line and f"EBS encryption {regions}" in line, line
        assert "password policy (min 14)" in line and f"{config.name_prefix}-support" in line
        assert "contacts billing, operations, security" in line, line
    assert f"Access Analyzer {regions}" in lines[0]
    assert f"alias {config.account('dev').alias}" in lines[1]
    for at_the_root in (
        "resource perimeter (RCP)",
        "EC2 declarative policy",
        "AI services opt-out",
    ):
        assert f"{at_the_root} at the root" in lines[-1]
    assert "no tag policy" in lines[-1] and "commitments denied" in lines[-1]


def test_the_demos_second_plans_run_at_once_each_into_its_own_log(foundation, second_plans):
    config, _ = foundation
    _, shown, log_dir = second_plans
    for stack in config.stack_names:
        log = demo.plan_log(config, stack, log_dir)
        assert f"{stack}: no changes ({log})" in shown
        assert "No changes." in log.read_text() and f"# stack {stack}" in log.read_text()
    for account in config.accounts:
        assert f"{account.name}: applied ({demo.apply_log(config, account.name, log_dir)})" in shown
