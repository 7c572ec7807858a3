"""Security scan of every synthesized stack of the example environment:

- checkov (terraform_json): no failed check, except those skipped inline on the resource with a
  reason (modules/guardrails.py SCAN_EXCEPTIONS, listed in docs/guardrails.md);
- parliament: every IAM policy the stacks write (identity, bucket, trust and service control
  policies) has no finding above LOW.

Both tools live in their own virtualenv, .venv-scan (`make scan-install`, pinned in
requirements-scan.txt), and run offline: no API key, no download, no update check.

checkov's terraform_json runner ignores inline skips (bridgecrewio/checkov#4634), so this test
applies them itself the way checkov does for HCL: a failed check passes only if the resource's
own lines hold `checkov:skip=<check id>:<reason>`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from foundation.contract import MANAGEMENT_STACK
from foundation.paths import REPO_ROOT

SCAN_BIN = REPO_ROOT / ".venv-scan" / "bin"
SKIP = re.compile(r"checkov:skip=(?P<id>[A-Za-z0-9_]+):(?P<reason>[^\"\n]*)")
UNIQUE_ID = re.compile(r'"uniqueId": "(?P<id>[^"]+)"')
# Environment variables that would send checkov to its platform.
PLATFORM_VARIABLES = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL", "CKV_API_KEY")
# Where the stacks hold IAM policy documents: {resource type: attribute}.
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_organizations_policy": "content",
}
# Organizations policies in IAM policy language; the others (AI services opt-out, tag policies)
# use the management-policy syntax, which parliament does not read.
IAM_LANGUAGE_POLICY_TYPES = {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
SEVERITIES_ALLOWED = {"LOW", "INFO"}
MANAGEMENT_ACCOUNT_ID = "111111111111"
MEMBER_ACCOUNT_ID = "222222222222"
ORGANIZATION_ID = "o-a1b2c3d4e5"


def scan_tool(name: str) -> Path:
    tool = SCAN_BIN / name
    if not tool.is_file():
        pytest.skip(
            f"{name} is not installed in .venv-scan: run `make scan-install` (the test "
            "target does) to install the pinned scanners"
        )
    return tool


def offline_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "true"  # no version check against PyPI
    return env


@pytest.fixture(scope="module")
def stacks_dir(synthesize, example_config) -> Path:
    return synthesize(example_config) / "stacks"


# --- checkov -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkov_report(stacks_dir) -> dict:
    checkov = scan_tool("checkov")
    result = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(stacks_dir),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        env=offline_environment(),
        cwd=stacks_dir,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 1), f"checkov crashed:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def resource_lines(stacks_dir: Path, record: dict) -> list[str]:
    lines = (stacks_dir / record["file_path"].lstrip("/")).read_text().splitlines()
    start, end = record["file_line_range"]
    return lines[start - 1 : end]


def unique_id(lines: list[str]) -> str:
    found = {m["id"] for line in lines if (m := UNIQUE_ID.search(line))}
    assert len(found) == 1, f"expected one cdktf uniqueId in the resource lines, got {found}"
    return found.pop()


def inline_skips(lines: list[str]) -> dict[str, str]:
    return {m["id"]: m["reason"].strip() for line in lines if (m := SKIP.search(line))}


def test_checkov_scanned_every_stack(checkov_report, stacks_dir):
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["checkov_version"]
    scanned = {
        r["file_path"]
        for r in checkov_report["results"]["passed_checks"]
        + checkov_report["results"]["failed_checks"]
    }
    assert scanned == {f"/{d.name}/cdk.tf.json" for d in stacks_dir.iterdir()}


def test_checkov_finds_no_failure_without_an_inline_skip_and_reason(checkov_report, stacks_dir):
    unexplained = []
    for record in checkov_report["results"]["failed_checks"]:
        lines = resource_lines(stacks_dir, record)
        reason = inline_skips(lines).get(record["check_id"])
        if not reason:
            unexplained.append(
                f"{record['check_id']} ({record['check_name']}) on "
                f"{record['resource']} in {record['file_path']}"
            )
    assert not unexplained, (
        "fix these, or skip them inline with a reason in "
        "modules/guardrails.py SCAN_EXCEPTIONS:\n" + "\n".join(unexplained)
    )


def test_every_inline_skip_still_matches_a_failed_check(checkov_report, stacks_dir):
    failed = {
        (unique_id(resource_lines(stacks_dir, r)), r["check_id"])
        for r in checkov_report["results"]["failed_checks"]
    }
    skipped = set()
    for path in stacks_dir.glob("*/cdk.tf.json"):
        for resources in json.loads(path.read_text()).get("resource", {}).values():
            for resource in resources.values():
                comment = resource.get("//", {})
                for line in comment.get("checkov", {}).get("skip", []):
                    match = SKIP.fullmatch(line)
                    assert match and match["reason"].strip(), f"skip without a reason: {line!r}"
                    skipped.add((comment["metadata"]["uniqueId"], match["id"]))
    assert skipped, "the example stacks carry inline skips"
    assert not skipped - failed, f"skips no check needs any more: {sorted(skipped - failed)}"


# --- parliament ----------------------------------------------------------------------------------


def plausible_values(stack: dict, region: str) -> dict[tuple[str, str], object]:
    """What Terraform fills in for each reference the policies hold, by (type, attribute)."""

    def bucket_arn(key: str) -> str:
        return f"arn:aws:s3:::{stack['resource']['aws_s3_bucket'][key]['bucket']}"

    def trail_arn(key: str) -> str:
        return (
            f"arn:aws:cloudtrail:{region}:{MANAGEMENT_ACCOUNT_ID}:trail/"
            f"{stack['resource']['aws_cloudtrail'][key]['name']}"
        )

    return {
        ("aws_s3_bucket", "arn"): bucket_arn,
        ("aws_cloudtrail", "arn"): trail_arn,
        ("aws_organizations_organization", "id"): lambda key: ORGANIZATION_ID,
        ("aws_organizations_organization", "master_account_id"): lambda key: MANAGEMENT_ACCOUNT_ID,
        ("aws_organizations_account", "id"): lambda key: MEMBER_ACCOUNT_ID,
        ("aws_organizations_account", "arn"): lambda key: (
            f"arn:aws:organizations::{MANAGEMENT_ACCOUNT_ID}:account/{ORGANIZATION_ID}/"
            f"{MEMBER_ACCOUNT_ID}"
        ),
        ("aws_organizations_policy", "arn"): lambda key: (
            f"arn:aws:organizations::{MANAGEMENT_ACCOUNT_ID}:policy/{ORGANIZATION_ID}/"
            "service_control_policy/p-a1b2c3d4"
        ),
        ("data.aws_caller_identity", "account_id"): lambda key: MANAGEMENT_ACCOUNT_ID,
        (
            "data.terraform_remote_state",
            "outputs.management_account_id",
        ): lambda key: MANAGEMENT_ACCOUNT_ID,
    }


def fill_in(text: str, stack: dict, region: str) -> str:
    """`text` as Terraform would send it: references replaced, `$${` unescaped to `${`."""
    values = plausible_values(stack, region)

    def value(match: re.Match) -> str:
        expression = match.group(1)
        parts = expression.split(".")
        if parts[0] == "data":
            resource_type, key, attribute = f"data.{parts[1]}", parts[2], ".".join(parts[3:])
        else:
            resource_type, key, attribute = parts[0], parts[1], ".".join(parts[2:])
        if (resource_type, attribute) not in values:
            pytest.fail(f"no plausible value for ${{{expression}}}: add one to plausible_values")
        return fill_in(values[(resource_type, attribute)](key), stack, region)

    escaped = "\0"
    text = text.replace("$${", escaped)
    text = re.sub(r"\$\{([^{}]+)\}", value, text)
    return text.replace(escaped, "${")


def generated_policies(stacks_dir: Path, region: str) -> dict[str, str]:
    """{"<stack>/<type>.<key>": policy JSON} for every policy document in the stacks. A trust
    policy names no Resource; the role it guards is filled in, as parliament needs one."""
    found = {}
    for path in sorted(stacks_dir.glob("*/cdk.tf.json")):
        stack = json.loads(path.read_text())
        for resource_type, resources in stack.get("resource", {}).items():
            for key, resource in resources.items():
                for attribute, value in resource.items():
                    if isinstance(value, str) and '"Statement"' in value:
                        assert POLICY_ATTRIBUTES.get(resource_type) == attribute, (
                            f"a policy in {resource_type}.{attribute}: add it to POLICY_ATTRIBUTES"
                        )
                policy_text = resource.get(POLICY_ATTRIBUTES.get(resource_type, ""))
                if not policy_text or (
                    resource_type == "aws_organizations_policy"
                    and resource["type"] not in IAM_LANGUAGE_POLICY_TYPES
                ):
                    continue
                policy = json.loads(fill_in(policy_text, stack, region))
                if resource_type == "aws_iam_role":
                    account = (
                        MANAGEMENT_ACCOUNT_ID
                        if path.parent.name == MANAGEMENT_STACK
                        else MEMBER_ACCOUNT_ID
                    )
                    role_arn = f"arn:aws:iam::{account}:role/{resource['name']}"
                    for statement in policy["Statement"]:
                        statement.setdefault("Resource", role_arn)
                found[f"{path.parent.name}/{resource_type}.{key}"] = json.dumps(policy, indent=2)
    return found


@pytest.fixture(scope="module")
def policies_to_lint(stacks_dir, example_config) -> dict[str, str]:
    return generated_policies(stacks_dir, example_config.region)


def test_every_kind_of_generated_policy_is_linted(policies_to_lint):
    kinds = {name.split("/")[1].split(".")[0] for name in policies_to_lint}
    assert kinds >= {
        "aws_iam_policy",
        "aws_iam_group_policy",
        "aws_iam_role_policy",
        "aws_s3_bucket_policy",
        "aws_iam_role",
        "aws_organizations_policy",
    }
    assert not any(
        "${" in text.replace("${aws:username}", "") for text in policies_to_lint.values()
    ), "every Terraform reference is filled in"


def parliament_findings(policies: dict[str, str], directory: Path) -> list[dict]:
    """parliament's findings (its own auditors: the community ones flag whole action classes,
    such as sts:AssumeRole, that these policies exist to grant) for {name: policy JSON}."""
    parliament = scan_tool("parliament")
    directory.mkdir()
    for name, text in policies.items():
        (directory / f"{name.replace('/', '__')}.json").write_text(text)
    result = subprocess.run(
        [str(parliament), "--directory", str(directory), "--json", "--minimum_severity", "INFO"],
        capture_output=True,
        text=True,
        env=offline_environment(),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 1), f"parliament crashed:\n{result.stderr[-3000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# Global condition keys newer than parliament's catalogue, valid with every action ("AWS global
# condition context keys", IAM User Guide); the resource control policy uses them as AWS's own
# RCP examples do.
GLOBAL_KEYS_PARLIAMENT_LACKS = ("aws:SourceOrgID",)


def above_low(findings: list[dict]) -> list[str]:
    return [
        f"{f['severity']} {f['issue']}: {f['detail']} ({f['location']})"
        for f in findings
        if f["severity"] not in SEVERITIES_ALLOWED
        and not (
            f["issue"] == "UNKNOWN_CONDITION_FOR_ACTION"
            and any(
                f"condition {key} for" in str(f["detail"]) for key in GLOBAL_KEYS_PARLIAMENT_LACKS
            )
        )
    ]


def test_parliament_reports_a_policy_mistake(tmp_path):
    """The harness is not vacuous: an object action on a bucket ARN is a MEDIUM finding."""
    mistake = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::some-bucket"}
        ],
    }
    findings = parliament_findings({"mistake": json.dumps(mistake)}, tmp_path / "policies")
    assert [f["issue"] for f in findings] == ["RESOURCE_MISMATCH"]
    assert above_low(findings)


def test_parliament_finds_nothing_above_low_in_any_generated_policy(policies_to_lint, tmp_path):
    serious = above_low(parliament_findings(policies_to_lint, tmp_path / "policies"))
    assert not serious, "\n".join(serious)
