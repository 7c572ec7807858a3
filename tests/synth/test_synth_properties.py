"""Security properties of the synthesized example stacks, read from the Terraform JSON.

Expected values come from the loaded example config (never retyped from the output); AWS's own
names (managed policy ARNs, condition keys, service principals) are spelled out, since they are
the property being checked.
"""

from __future__ import annotations

import json

import pytest

from foundation.contract import MANAGEMENT_STACK
from tests.helpers import find, policy, ref, resources, the_one

CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}
MFA_ABSENT = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
# AWS's recommended self-service MFA policy: the only actions allowed before MFA is used. Not
# the password: AWS advises against exempting iam:ChangePassword and iam:GetAccountPasswordPolicy.
SELF_SERVICE_WITHOUT_MFA = {
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
}
# Resources that would put a long-lived secret (password, key) into Terraform state.
SECRET_BEARING = (
    "aws_iam_access_key",
    "aws_iam_user_login_profile",
    "aws_iam_user_ssh_key",
    "aws_iam_service_specific_credential",
    "aws_iam_signing_certificate",
)


# --- helpers -------------------------------------------------------------------------------------


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# --- organization and accounts -------------------------------------------------------------------


def test_synthesizes_one_stack_per_workspace(example_stacks, example_config):
    assert sorted(example_stacks) == sorted(example_config.stack_names)


def test_organization_has_all_features_cloudtrail_access_and_scps(
    stack_text, cdktf_testing, management
):
    text = stack_text[MANAGEMENT_STACK]
    assert cdktf_testing.to_have_resource_with_properties(
        text, "aws_organizations_organization", {"feature_set": "ALL"}
    )
    _, organization = the_one(management, "aws_organizations_organization")
    assert "cloudtrail.amazonaws.com" in organization["aws_service_access_principals"]
    assert "SERVICE_CONTROL_POLICY" in organization["enabled_policy_types"]


def test_matchers_report_a_missing_property(stack_text, cdktf_testing):
    """The Testing matchers used here return False on a mismatch (they do not pass vacuously)."""
    text = stack_text[MANAGEMENT_STACK]
    assert not cdktf_testing.to_have_resource_with_properties(
        text, "aws_organizations_organization", {"feature_set": "CONSOLIDATED_BILLING"}
    )
    assert not cdktf_testing.to_have_resource(text, "aws_no_such_resource")
    assert not cdktf_testing.to_have_provider_with_properties(text, "aws", {"region": "mars-1"})


def test_member_accounts_are_kept_and_never_closed(
    stack_text, cdktf_testing, management, example_config
):
    assert len(resources(management, "aws_organizations_account")) == len(example_config.accounts)
    for account in example_config.accounts:
        assert cdktf_testing.to_have_resource_with_properties(
            stack_text[MANAGEMENT_STACK],
            "aws_organizations_account",
            {
                "email": account.email,
                "role_name": account.role_name,
                "close_on_deletion": False,
                "lifecycle": {"prevent_destroy": True},
            },
        )
        _, body = the_one(management, "aws_organizations_account", email=account.email)
        # AWS never reports role_name back; a diff on it would replace (close) the account. An
        # adopted account keeps its own name: a rename needs the Account Management API.
        assert {"role_name", "name"} <= set(body["lifecycle"]["ignore_changes"])


# --- identity ------------------------------------------------------------------------------------


def group_policy_arns(stack: dict, group_key: str) -> set[str]:
    group = ref("aws_iam_group", group_key, "name")
    return {
        a["policy_arn"]
        for a in resources(stack, "aws_iam_group_policy_attachment")
        if a["group"] == group
    }


def test_administrators_have_administrator_access_and_billing(management):
    group_key, _ = the_one(management, "aws_iam_group", name="Administrators")
    assert {
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/job-function/Billing",
    } <= group_policy_arns(management, group_key)


def test_administrators_must_use_mfa(management):
    group_key, _ = the_one(management, "aws_iam_group", name="Administrators")
    attached = [
        policy(body)
        for key, body in find(management, "aws_iam_policy")
        if ref("aws_iam_policy", key, "arn") in group_policy_arns(management, group_key)
    ]
    force_mfa = [
        document
        for document in attached
        if any(
            "aws:MultiFactorAuthPresent" in json.dumps(s.get("Condition"))
            for s in document["Statement"]
            if s["Effect"] == "Deny"
        )
    ]
    assert len(force_mfa) == 1, "the Administrators group needs one MFA-enforcing policy"
    [document] = force_mfa

    [deny] = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == MFA_ABSENT  # also denies when the key is absent (access keys)
    assert deny["Resource"] == "*" and "Action" not in deny
    exempt = set(deny["NotAction"])
    assert exempt == SELF_SERVICE_WITHOUT_MFA, "only setting up MFA may skip the MFA check"
    assert not {"iam:ChangePassword", "iam:GetAccountPasswordPolicy"} & exempt, (
        "a password alone must not be able to change the password"
    )

    allowed: dict[str, set[str]] = {}
    for s in document["Statement"]:
        for action in s["Action"] if s["Effect"] == "Allow" else ():
            allowed.setdefault(action, set()).update(as_list(s["Resource"]))
    own_user = "arn:aws:iam::*:user/$${aws:username}"  # `$$` is Terraform's escape for `$`
    assert own_user in allowed["iam:EnableMFADevice"]
    assert own_user in allowed["iam:ChangePassword"]
    assert "arn:aws:iam::*:mfa/*" in allowed["iam:CreateVirtualMFADevice"]
    assert all(
        own_user in allowed[action]
        for action in allowed
        if action.startswith(("iam:EnableMFA", "iam:DeactivateMFA", "iam:ResyncMFA"))
    ), "users may manage only their own MFA device"


def test_cross_account_group_may_only_assume_member_roles_with_mfa(management, example_config):
    group_key, _ = the_one(
        management, "aws_iam_group", name=f"{example_config.name_prefix}-member-account-access"
    )
    [(_, group_policy)] = find(
        management, "aws_iam_group_policy", group=ref("aws_iam_group", group_key, "name")
    )
    [statement] = policy(group_policy)["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Condition"] == MFA_PRESENT
    assert sorted(statement["Resource"]) == sorted(
        management["output"]["member_role_arns"]["value"].values()
    )


def test_root_sessions_role_needs_mfa_and_may_only_assume_member_roots(management, example_config):
    [(org_key, _)] = find(management, "aws_organizations_organization")
    role_key, role = the_one(
        management, "aws_iam_role", name=f"{example_config.name_prefix}-root-sessions"
    )
    [trust] = policy(role, "assume_role_policy")["Statement"]
    assert trust["Principal"] == {
        "AWS": f"arn:aws:iam::{ref('aws_organizations_organization', org_key, 'master_account_id')}"
        ":root"
    }
    assert trust["Action"] == ["sts:AssumeRole"] and trust["Condition"] == MFA_PRESENT
    [(_, role_policy)] = find(
        management, "aws_iam_role_policy", role=ref("aws_iam_role", role_key, "name")
    )
    [statement] = policy(role_policy)["Statement"]
    member_ids = management["output"]["member_account_ids"]["value"].values()
    assert (statement["Effect"], statement["Action"]) == ("Allow", ["sts:AssumeRoot"])
    assert sorted(statement["Resource"]) == sorted(f"arn:aws:iam::{i}:root" for i in member_ids)
    assert statement["Condition"] == {
        "StringEquals": {
            "sts:TaskPolicyArn": [
                f"arn:aws:iam::aws:policy/root-task/{task}"
                for task in (
                    "IAMAuditRootUserCredentials",
                    "IAMCreateRootUserPassword",
                    "IAMDeleteRootUserCredentials",
                    "S3UnlockBucketPolicy",
                    "SQSUnlockQueuePolicy",
                )
            ]
        }
    }
    assert management["output"]["root_sessions_role_arn"]["value"] == ref(
        "aws_iam_role", role_key, "arn"
    )


def test_admin_users_join_both_groups(management, example_config):
    groups = {
        ref("aws_iam_group", the_one(management, "aws_iam_group", name=name)[0], "name")
        for name in ("Administrators", f"{example_config.name_prefix}-member-account-access")
    }
    for user_name in example_config.admin_users:
        user_key, user = the_one(management, "aws_iam_user", name=user_name)
        assert user["force_destroy"] is False
        [(_, membership)] = find(
            management, "aws_iam_user_group_membership", user=ref("aws_iam_user", user_key, "name")
        )
        assert groups <= set(membership["groups"])


@pytest.mark.parametrize("resource_type", SECRET_BEARING)
def test_no_password_or_access_key_is_managed(stack_text, cdktf_testing, resource_type):
    for name, text in stack_text.items():
        assert not cdktf_testing.to_have_resource(text, resource_type), f"{resource_type} in {name}"


# --- audit trail and its bucket ------------------------------------------------------------------


def test_trail_covers_the_organization_and_every_region(
    stack_text, cdktf_testing, management, example_config, log_bucket
):
    bucket_key, _ = log_bucket
    assert cdktf_testing.to_have_resource_with_properties(
        stack_text[MANAGEMENT_STACK],
        "aws_cloudtrail",
        {
            "name": example_config.trail.name,
            "is_organization_trail": True,
            "is_multi_region_trail": True,
            "include_global_service_events": True,
            "enable_log_file_validation": True,
            "s3_bucket_name": ref("aws_s3_bucket", bucket_key, "id"),
        },
    )
    _, trail = the_one(management, "aws_cloudtrail")
    [(policy_key, _)] = find(
        management, "aws_s3_bucket_policy", bucket=ref("aws_s3_bucket", bucket_key, "id")
    )
    # CloudTrail checks the bucket policy when the trail is created.
    assert f"aws_s3_bucket_policy.{policy_key}" in trail["depends_on"]
    # An organization trail needs CloudTrail's service-linked role before CreateTrail.
    [(role_key, _)] = find(
        management, "aws_iam_service_linked_role", aws_service_name="cloudtrail.amazonaws.com"
    )
    assert f"aws_iam_service_linked_role.{role_key}" in trail["depends_on"]


def test_every_bucket_is_private_versioned_encrypted_owner_enforced_and_tls_only(example_stacks):
    buckets = [
        (name, key)
        for name, stack in example_stacks.items()
        for key, _ in find(stack, "aws_s3_bucket")
    ]
    assert {name for name, _ in buckets} == set(example_stacks), "each stack holds a bucket"
    for name, key in buckets:
        stack, bucket_id = example_stacks[name], ref("aws_s3_bucket", key, "id")
        arn = ref("aws_s3_bucket", key, "arn")
        _, block = the_one(stack, "aws_s3_bucket_public_access_block", bucket=bucket_id)
        assert all(
            block[flag] is True
            for flag in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        ), name
        _, versioning = the_one(stack, "aws_s3_bucket_versioning", bucket=bucket_id)
        assert versioning["versioning_configuration"]["status"] == "Enabled"
        _, encryption = the_one(
            stack, "aws_s3_bucket_server_side_encryption_configuration", bucket=bucket_id
        )
        [rule] = encryption["rule"]
        assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] in (
            "AES256",
            "aws:kms",
        )
        _, ownership = the_one(stack, "aws_s3_bucket_ownership_controls", bucket=bucket_id)
        assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"

        _, bucket_policy = the_one(stack, "aws_s3_bucket_policy", bucket=bucket_id)
        document = policy(bucket_policy)
        tls_only = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*"],
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        assert [
            {k: s.get(k) for k in tls_only} for s in document["Statement"] if s["Effect"] == "Deny"
        ] == [tls_only], name
        assert not [
            s
            for s in document["Statement"]
            if s["Effect"] == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
        ], f"{name}: the bucket policy must not allow everyone"


def test_log_bucket_is_kept_and_expires_after_the_configured_retention(
    management, log_bucket, example_config
):
    key, bucket = log_bucket
    assert bucket["lifecycle"]["prevent_destroy"] is True
    _, lifecycle = the_one(
        management, "aws_s3_bucket_lifecycle_configuration", bucket=ref("aws_s3_bucket", key, "id")
    )
    [rule] = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"] == [{"days": example_config.trail.retention_days}]


def test_log_bucket_policy_lets_only_the_trail_write_both_log_prefixes(
    management, log_bucket, example_config
):
    bucket_key, _ = log_bucket
    arn = ref("aws_s3_bucket", bucket_key, "arn")
    [(_, bucket_policy)] = find(
        management, "aws_s3_bucket_policy", bucket=ref("aws_s3_bucket", bucket_key, "id")
    )
    [(org_key, _)] = find(management, "aws_organizations_organization")
    [(caller_key, _)] = management["data"]["aws_caller_identity"].items()
    caller_account = ref("data.aws_caller_identity", caller_key, "account_id")
    trail_arn = (
        f"arn:aws:cloudtrail:{example_config.region}:{caller_account}:trail/"
        f"{example_config.trail.name}"
    )

    cloudtrail = [s for s in policy(bucket_policy)["Statement"] if s.get("Principal") == CLOUDTRAIL]
    assert all(s["Effect"] == "Allow" for s in cloudtrail)
    assert all(s["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn for s in cloudtrail)
    writes = {
        resource: s
        for s in cloudtrail
        if s["Action"] == ["s3:PutObject"]
        for resource in s["Resource"]
    }
    assert set(writes) == {
        f"{arn}/AWSLogs/{ref('aws_organizations_organization', org_key, 'id')}/*",
        f"{arn}/AWSLogs/{caller_account}/*",
    }
    assert all(
        s["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
        for s in writes.values()
    )
    [acl_check] = [s for s in cloudtrail if s["Action"] == ["s3:GetBucketAcl"]]
    assert acl_check["Resource"] == [arn]
