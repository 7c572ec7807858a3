"""What `make adopt` decides, read-only, for each resource of the management stack, against
in-process moto and the synthesized example stack: every resource type is looked for (in its
provider's region, a policy by its type); what cannot be taken over is refused with the reason;
the record the runner writes import blocks from. End to end on the emulator: tests/emulator/
test_adopt.py."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.organizations.models import OrganizationsBackend

from foundation.contract import MANAGEMENT_STACK
from scripts.commands import adopt
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import DISCOVERERS, loaded
from scripts.commands.adopt.discovery import discover
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, Adoption, Finding
from scripts.console import UserError
from scripts.emulator.extensions.free_tier import ACCOUNT_PLAN_VARIABLE
from scripts.runner import imports
from scripts.runner.imports import (
    IMPORTS_FILE,
    forget_imports,
    place_imports,
    record,
    record_path,
)


@pytest.fixture
def config(mocked_example, example_config, monkeypatch, tmp_path):
    """The example environment pinned to moto's account; its records in this test's directory."""
    monkeypatch.setattr(imports, "STATE_DIR", tmp_path / "records")
    return dataclasses.replace(example_config, management_account_id=DEFAULT_ACCOUNT_ID)


@pytest.fixture
def management_stack(example_stacks) -> dict:
    return example_stacks[MANAGEMENT_STACK]


@pytest.fixture
def organization(config, mocked_example):
    organizations = mocked_example("organizations")
    organizations.create_organization(FeatureSet="ALL")
    return organizations


def the(adoption: Adoption, resource_type: str) -> Finding:
    [finding] = [f for f in adoption.findings if f.address.startswith(f"{resource_type}.")]
    return finding


def of_type(stack: dict, resource_type: str) -> dict[str, dict]:
    """{address: body} of the stack's resources of one type."""
    return {
        f"{resource_type}.{key}": body
        for key, body in stack["resource"].get(resource_type, {}).items()
    }


# --- every resource is looked for -------------------------------------------------------------


def test_every_resource_type_of_the_management_stack_has_a_discoverer(management_stack):
    """A type without one would be created again beside what exists (or fail as a duplicate)."""
    assert sorted(set(management_stack["resource"]) - set(loaded())) == []


def test_each_resource_is_looked_for_in_its_provider_s_region(
    config, organization, management_stack, monkeypatch
):
    """Every AWS call deciding a resource goes to the region of the resource's provider (a
    regional resource exists once per allowed region, under one provider alias each)."""
    deciding, regions = [None], {}
    client = Discovery.client

    def recorded(self, service, region=None):
        regions.setdefault(deciding[0], set()).add(region or self.region)
        return client(self, service, region)

    def deciding_first(discoverer):
        def decide(d, address, body):
            deciding[0] = address
            return discoverer(d, address, body)

        return decide

    monkeypatch.setattr(Discovery, "client", recorded)
    for resource_type, discoverer in list(loaded().items()):
        monkeypatch.setitem(DISCOVERERS, resource_type, deciding_first(discoverer))
    discover(config, management_stack)
    providers = {p.get("alias", ""): p["region"] for p in management_stack["provider"]["aws"]}
    aliased = {
        address: providers[body["provider"].partition(".")[2]]
        for resource_type in management_stack["resource"]
        for address, body in of_type(management_stack, resource_type).items()
        if body.get("provider", "aws") != "aws"
    }
    assert aliased  # the example allows a second region
    assert {address: regions[address] for address in aliased} == {
        address: {region} for address, region in aliased.items()
    }


def test_regional_resources_are_found_in_their_region_only(
    config, organization, management_stack, mocked_example
):
    [(home, body), (other, other_body)] = sorted(
        of_type(management_stack, "aws_accessanalyzer_analyzer").items(),
        key=lambda item: "provider" in item[1] and item[1]["provider"] != "aws",
    )
    second_region = other_body["provider"].partition(".")[2]
    mocked_example("accessanalyzer", second_region).create_analyzer(
        analyzerName=other_body["analyzer_name"], type=other_body["type"]
    )
    mocked_example("ec2", second_region).enable_ebs_encryption_by_default()
    adoption = discover(config, management_stack)
    found = {f.address: (f.action, f.import_id) for f in adoption.findings}
    assert found[home] == (CREATE, None)
    assert found[other] == (IMPORT, other_body["analyzer_name"])
    ebs = of_type(management_stack, "aws_ebs_encryption_by_default")
    assert sorted(found[address] for address in ebs) == [(CREATE, None), (IMPORT, second_region)]


def test_organization_policies_are_found_by_name_among_their_type(
    config, organization, management_stack
):
    """Names are unique per policy type only: a same-named policy of another type is not ours."""
    policies = of_type(management_stack, "aws_organizations_policy")
    assert {body["type"] for body in policies.values()} >= {
        "SERVICE_CONTROL_POLICY",
        "AISERVICES_OPT_OUT_POLICY",
    }
    ids = {}
    for address, body in policies.items():
        other = next(t for t in ("TAG_POLICY", "SERVICE_CONTROL_POLICY") if t != body["type"])
        for policy_type in (other, body["type"]):
            created = organization.create_policy(
                Name=body["name"], Description="", Type=policy_type, Content=body["content"]
            )["Policy"]["PolicySummary"]
        ids[address] = created["Id"]
    found = {f.address: f for f in discover(config, management_stack).findings}
    assert {address: found[address].import_id for address in policies} == ids
    kinds = {found[address].what.rsplit(" ", 1)[0] for address in policies}
    assert kinds == {
        "service control policy",
        "resource control policy",
        "AI services opt-out policy",
        "EC2 declarative policy",
    }


def test_the_table_names_what_it_decides_without_references(
    config, organization, management_stack, mocked_example
):
    """No unresolved `${...}` and no None in what the table prints, whatever exists."""
    iam = mocked_example("iam")
    for body in of_type(management_stack, "aws_iam_role").values():
        iam.create_role(RoleName=body["name"], AssumeRolePolicyDocument=body["assume_role_policy"])
    printed = [
        text for f in discover(config, management_stack).findings for text in (f.what, f.why)
    ]
    assert [text for text in printed if "${" in text or "None" in text] == []
    assert any(text.endswith("on the organization root") for text in printed)


def test_our_force_mfa_policy_is_imported_with_its_description(
    config, management_stack, mocked_example
):
    """ListPolicies never answers a description; reading it there made our own policy a
    conflict."""
    [(address, body)] = of_type(management_stack, "aws_iam_policy").items()
    arn = mocked_example("iam").create_policy(
        PolicyName=body["name"],
        Path=body.get("path", "/"),
        Description=body["description"],
        PolicyDocument=body["policy"],
    )["Policy"]["Arn"]
    finding = the(discover(config, management_stack), "aws_iam_policy")
    assert (finding.address, finding.action, finding.import_id) == (address, IMPORT, arn)


def test_the_dimensional_monitor_of_the_account_is_ours_whatever_its_name(
    config, management_stack, mocked_example
):
    """AWS allows one DIMENSIONAL monitor per dimension: one made in the console is taken over."""
    [body] = of_type(management_stack, "aws_ce_anomaly_monitor").values()
    ce = mocked_example("ce")
    arn = ce.create_anomaly_monitor(
        AnomalyMonitor={
            "MonitorName": "Default-Services-Monitor",
            "MonitorType": body["monitor_type"],
            "MonitorDimension": body["monitor_dimension"],
        }
    )["MonitorArn"]
    [subscription] = of_type(management_stack, "aws_ce_anomaly_subscription").values()
    subscribed = ce.create_anomaly_subscription(
        AnomalySubscription={
            "SubscriptionName": subscription["name"],
            "MonitorArnList": [arn],
            "Subscribers": [{"Address": "someone@example.com", "Type": "EMAIL"}],
            "Frequency": "WEEKLY",
            "Threshold": 100,
        }
    )["SubscriptionArn"]
    adoption = discover(config, management_stack)
    monitor = the(adoption, "aws_ce_anomaly_monitor")
    assert (monitor.action, monitor.import_id) == (IMPORT, arn)
    assert monitor.why == "renamed from Default-Services-Monitor"
    assert the(adoption, "aws_ce_anomaly_subscription").import_id == subscribed


# --- refusals -------------------------------------------------------------------------------------


def test_credentials_of_another_account_are_refused_first(
    mocked_example, example_config, management_stack
):
    with pytest.raises(UserError, match=f"these credentials land in account {DEFAULT_ACCOUNT_ID}"):
        discover(example_config, management_stack)


def test_an_organization_managed_by_another_account_is_a_conflict(
    config, organization, management_stack, monkeypatch
):
    member = organization.create_account(AccountName="x", Email="x@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    monkeypatch.setenv("MOTO_ACCOUNT_ID", member)  # the credentials are the member's
    finding = the(
        discover(dataclasses.replace(config, management_account_id=member), management_stack),
        "aws_organizations_organization",
    )
    assert finding.action == CONFLICT
    assert f"account {member} is a member of organization" in finding.why
    assert f"whose management account is {DEFAULT_ACCOUNT_ID}" in finding.why


def test_a_closed_account_is_a_conflict(config, organization, management_stack):
    dev = organization.create_account(AccountName="dev", Email=config.account("dev").email)[
        "CreateAccountStatus"
    ]["AccountId"]
    organization.close_account(AccountId=dev)
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and f"account {dev}" in finding.why
    assert "is CLOSED" in finding.why


def test_an_answer_with_the_retired_status_only_is_read_too(
    config, organization, management_stack, monkeypatch
):
    """Before 9 September 2026 AWS answered `Status` beside `State`; a reader of either works."""
    from moto.organizations.models import FakeAccount

    organization.create_account(AccountName="dev", Email=config.account("dev").email)
    answer = FakeAccount.describe.moto_own  # Status and State
    monkeypatch.setattr(
        FakeAccount,
        "describe",
        lambda self: {
            **{key: value for key, value in answer(self).items() if key != "State"},
            "Status": "SUSPENDED",
        },
    )
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "is SUSPENDED" in finding.why


def test_an_email_written_otherwise_is_a_conflict(config, organization, management_stack):
    organization.create_account(AccountName="dev", Email=config.account("dev").email.upper())
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "write it exactly so as accounts.dev.email" in finding.why


def test_an_account_of_our_name_with_another_email_is_a_conflict(
    config, organization, management_stack
):
    organization.create_account(AccountName="dev", Email="someone-else@example.com")
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT
    assert 'set accounts.dev.email = "someone-else@example.com"' in finding.why


def test_an_email_used_outside_the_organization(
    config, organization, management_stack, monkeypatch
):
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CREATE and "no read-only API can tell" in finding.why

    # An earlier creation that AWS refused is the evidence discovery can see.
    failed = {
        "Id": "car-1",
        "AccountName": f"{config.name_prefix}-dev",
        "State": "FAILED",
        "FailureReason": "EMAIL_ALREADY_EXISTS",
    }
    monkeypatch.setattr(
        OrganizationsBackend,
        "list_create_account_status",
        lambda self, **kwargs: {"CreateAccountStatuses": [failed]},
    )
    finding = the(discover(config, management_stack), "aws_organizations_account")
    assert finding.action == CONFLICT and "EMAIL_ALREADY_EXISTS" in finding.why


def test_trusted_services_the_foundation_would_disable_are_a_conflict(
    config, organization, management_stack
):
    organization.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")
    finding = the(discover(config, management_stack), "aws_organizations_organization")
    assert finding.action == CONFLICT and "sso.amazonaws.com" in finding.why


def test_what_exists_of_ours_is_imported_by_the_provider_s_id(
    config, organization, management_stack, mocked_example
):
    iam = mocked_example("iam")
    role = iam.create_service_linked_role(AWSServiceName="cloudtrail.amazonaws.com")["Role"]
    iam.update_account_password_policy(MinimumPasswordLength=8)
    adoption = discover(config, management_stack)
    assert the(adoption, "aws_iam_service_linked_role").import_id == role["Arn"]
    assert (
        the(adoption, "aws_iam_account_password_policy").import_id == "iam-account-password-policy"
    )


def test_a_force_mfa_policy_that_would_be_replaced_is_a_conflict(
    config, management_stack, mocked_example
):
    mocked_example("iam").create_policy(
        PolicyName=f"{config.name_prefix}-force-mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    finding = the(discover(config, management_stack), "aws_iam_policy")
    assert finding.action == CONFLICT and "replacing the policy" in finding.why


def stack_copy(example_stacks, tmp_path) -> Path:
    directory = tmp_path / MANAGEMENT_STACK
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(example_stacks[MANAGEMENT_STACK]))
    return directory


def test_adopt_says_what_a_free_plan_means(config, example_stacks, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ACCOUNT_PLAN_VARIABLE, "FREE")
    adopt.adopt(config, stack_copy(example_stacks, tmp_path).parent)
    assert "NOTE: The management account is on AWS's free plan until" in capsys.readouterr().out


def test_a_conflict_refuses_and_records_nothing(config, organization, example_stacks, tmp_path):
    organization.create_account(AccountName="dev", Email=config.account("dev").email.upper())
    organization.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")
    directory = stack_copy(example_stacks, tmp_path)
    with pytest.raises(UserError) as refused:
        adopt.adopt(config, directory.parent)
    assert "2 conflict(s)" in str(refused.value) and "nothing was recorded" in str(refused.value)
    assert not (directory / IMPORTS_FILE).exists()
    assert not record_path(config).exists()


# --- the record, the synth cache and the runner ----------------------------------------------


def test_imports_survive_a_re_synth_and_refuse_a_changed_stack(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    address = next(
        f"aws_iam_user.{key}"
        for key in example_stacks[MANAGEMENT_STACK]["resource"]["aws_iam_user"]
    )
    assert record(config, directory, [{"to": address, "id": "alice"}]) == 1
    written = json.loads((directory / IMPORTS_FILE).read_text())["import"]
    assert written == [{"to": address, "id": "alice"}]

    # A synth with changed inputs swaps in a whole new cdktf.out: same stack, no imports file.
    (directory / IMPORTS_FILE).unlink()
    assert place_imports(config, directory) == 1
    assert json.loads((directory / IMPORTS_FILE).read_text())["import"] == written

    # The stack itself changed: the decisions may not hold any more.
    changed = json.loads((directory / "cdk.tf.json").read_text())
    changed["resource"]["aws_iam_user"][address.split(".")[1]]["name"] = "bob"
    (directory / "cdk.tf.json").write_text(json.dumps(changed))
    with pytest.raises(UserError, match="changed since `make adopt`"):
        place_imports(config, directory)
    assert not (directory / IMPORTS_FILE).exists()


def test_a_successful_apply_forgets_the_imports(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    record(config, directory, [{"to": "aws_iam_group.x", "id": "g"}])
    forget_imports(config, directory)
    assert not (directory / IMPORTS_FILE).exists()
    assert not record_path(config).exists()
    assert place_imports(config, directory) == 0


def test_no_record_means_no_imports_file(config, example_stacks, tmp_path):
    directory = stack_copy(example_stacks, tmp_path)
    (directory / IMPORTS_FILE).write_text("{}")  # left by another environment's adopt
    assert place_imports(config, directory) == 0
    assert not (directory / IMPORTS_FILE).exists()
