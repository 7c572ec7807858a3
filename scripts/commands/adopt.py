"""`make adopt`: what the first apply of the management workspace imports instead of creating.

A user often arrives with an account that has history: an organization made in the console, the
dev account, an admin user in an Administrators group, a trail. Creating those again fails
(AlreadyInOrganizationException, EntityAlreadyExists) or duplicates them. `discover` looks, with
the management credentials and read-only calls only (Describe/Get/List), for every resource of
the synthesized management stack and decides, per resource:

- import: it exists and is ours to manage; the Terraform import ID is known;
- create: it does not exist (or depends on something that will be created);
- conflict: it exists in a way the first apply cannot take over without replacing or losing
  something; adopt refuses and says why and what to do;
- managed: the management state already holds it (nothing to decide).

Account-level trails are reported with what they cost and the command that removes them once
the organization trail is logging; nothing is ever deleted here.

What read-only discovery cannot know: whether an e-mail belongs to an AWS account outside this
organization. No API answers that; only CreateAccount fails (EMAIL_ALREADY_EXISTS), and only
asynchronously. adopt reports an earlier failed creation it can see, and says so otherwise.

How the imports reach Terraform. The decisions are recorded outside cdktf.out, in
`.adopt/<env>.json`, with a fingerprint of the synthesized stack they were made for; a synth with
changed inputs replaces the whole of cdktf.out, and cdktf.out holds whichever environment was
synthesized last. The terraform runner (scripts/runner/terraform.py) writes
`cdktf.out/stacks/<stack>/imports.tf.json` from the record before every plan and apply, and
refuses when the stack changed since adopt ran (the decisions may no longer hold). A successful
apply of the stack removes both the record and the file: its imports are then in the state
(Terraform skips an import block whose address is already in the state, so an apply that fails
half-way can simply be run again).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from foundation.config import Config
from foundation.contract import MANAGEMENT_STACK
from foundation.paths import ADOPT_DIR
from scripts import aws, workspaces
from scripts.console import UserError, say
from scripts.guard.management import require_pinned_management_account

STATE_DIR = ADOPT_DIR
IMPORTS_FILE = "imports.tf.json"
IMPORT, CREATE, CONFLICT, MANAGED = "import", "create", "conflict", "managed"
# The first copy of management events is free; each further copy is charged per event.
EXTRA_COPY_USD_PER_100K_EVENTS = 2.00
_REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}$")
_REFERENCED = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.")
_INACTIVE_ACCOUNT_STATES = {"SUSPENDED", "PENDING_CLOSURE", "CLOSED"}
TABLE_RESOURCE_WIDTH = 56  # longer names push their row's last column out


@dataclass(frozen=True)
class Finding:
    address: str
    what: str
    action: str
    import_id: str | None = None
    why: str = ""


@dataclass
class Adoption:
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def with_action(self, action: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.action == action]


# --- discovery -----------------------------------------------------------------------------

class _Discovery:
    """What one discovery run knows: the stack, the management state, the caller, the decisions
    so far (a resource's dependencies are decided before it)."""

    def __init__(self, config: Config, stack: dict, caller_account: str):
        self.config = config
        self.stack = stack
        self.caller = caller_account
        self.session = aws.session(config)
        self.decided: dict[str, Finding] = {}
        self._clients: dict[str, object] = {}

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = (
                aws.s3_client_of_owner(self.config, self.caller, self.session) if service == "s3"
                else aws.client(self.config, service, self.session))
        return self._clients[service]

    def body(self, address: str) -> dict:
        resource_type, key = address.split(".", 1)
        return self.stack["resource"][resource_type][key]

    @cached_property
    def managed(self) -> dict[str, dict]:
        """{address: attributes} of what the management state already holds."""
        raw = workspaces.read_state(self.config, MANAGEMENT_STACK)
        resources = json.loads(raw).get("resources", []) if raw else []
        return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"]
                for r in resources if r.get("mode") == "managed" and r.get("instances")}

    def value(self, value):
        """A literal, or what a `${type.key.attribute}` reference will be: a literal of the
        referenced resource, or the id/ARN of one that exists (None: it will be created)."""
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if not match:
            return value
        resource_type, key, attribute = match.groups()
        address = f"{resource_type}.{key}"
        if address in self.managed:
            return self.managed[address].get(attribute)
        if attribute in ("id", "arn"):
            finding = self.decided.get(address)
            return finding.import_id if finding and finding.action == IMPORT else None
        return self.value(self.body(address).get(attribute))

    def label(self, value, attribute: str) -> str:
        """How to name what `value` refers to in the table: the referenced resource's literal
        `attribute` (a policy's name for its ARN, a bucket's name for its id)."""
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if not match:
            return str(value)
        return str(self.value(self.body(f"{match.group(1)}.{match.group(2)}").get(attribute)))

    def exists(self, address_reference: str) -> bool:
        """Whether the resource a reference names exists already (managed or to be imported)."""
        match = _REFERENCE.match(address_reference)
        address = f"{match.group(1)}.{match.group(2)}" if match else address_reference
        finding = self.decided.get(address)
        return address in self.managed or bool(finding and finding.action == IMPORT)

    # -- cached reads shared by several resources
    @cached_property
    def organization(self) -> dict | None:
        found = aws.unless_missing(lambda: self.client("organizations").describe_organization(),
                                   "AWSOrganizationsNotInUseException")
        return found["Organization"] if found else None

    @property
    def our_organization(self) -> bool:
        return bool(self.organization and self.organization["MasterAccountId"] == self.caller)

    @cached_property
    def accounts(self) -> list[dict]:
        pages = self.client("organizations").get_paginator("list_accounts").paginate()
        return [account for page in pages for account in page["Accounts"]]

    @cached_property
    def failed_creations(self) -> list[dict]:
        pages = self.client("organizations").get_paginator("list_create_account_status") \
            .paginate(States=["FAILED"])
        return [status for page in pages for status in page["CreateAccountStatuses"]]

    @cached_property
    def trails(self) -> list[dict]:
        """Every trail of the account, described in its home region."""
        described = []
        for short in self.client("cloudtrail").list_trails()["Trails"]:
            home = aws.client(self.config, "cloudtrail", self.session, region=short["HomeRegion"])
            described += home.describe_trails(trailNameList=[short["TrailARN"]])["trailList"]
        return described

    def our_trail_arn(self) -> str:
        return (f"arn:aws:cloudtrail:{self.config.region}:{self.caller}:trail/"
                f"{self.config.trail.name}")


def _organization(d: _Discovery, address: str, body: dict) -> Finding:
    what = "organization"
    org = d.organization
    if org is None:
        return Finding(address, what, CREATE, why="these credentials are in no organization")
    if not d.our_organization:
        return Finding(address, what, CONFLICT, why=(
            f"account {d.caller} is a member of organization {org['Id']}, whose management "
            f"account is {org['MasterAccountId']}: run adopt and apply with the management "
            "account's credentials (and set [management] account_id to it), or leave that "
            "organization first"))
    if org["FeatureSet"] != "ALL":
        return Finding(address, what, CONFLICT, why=(
            f"{org['Id']} has consolidated billing only; service control policies and the "
            "organization trail need all features: enable them (Organizations console → "
            "Settings), then run adopt again"))
    organizations = d.client("organizations")
    trusted = {service["ServicePrincipal"] for page in organizations.get_paginator(
        "list_aws_service_access_for_organization").paginate()
        for service in page["EnabledServicePrincipals"]}
    policy_types = {policy_type["Type"] for root in organizations.list_roots()["Roots"]
                    for policy_type in root.get("PolicyTypes", [])
                    if policy_type.get("Status") == "ENABLED"}
    extra = sorted(trusted - set(body.get("aws_service_access_principals", []))) + sorted(
        policy_types - set(body.get("enabled_policy_types", [])))
    if extra:
        return Finding(address, what, CONFLICT, why=(
            f"{org['Id']} also has {', '.join(extra)} enabled, which this foundation does not "
            "manage: its first apply would disable them (trusted access and policy types are "
            "set as a whole), breaking what uses them. Disable them yourself if nothing does, "
            "then run adopt again"))
    missing = sorted(set(body.get("aws_service_access_principals", [])) - trusted)
    return Finding(address, what, IMPORT, org["Id"], why=(
        f"trusted access for {', '.join(missing)} is added" if missing else ""))


def _account(d: _Discovery, address: str, body: dict) -> Finding:
    email, name = body["email"], body["name"]
    member = next(a for a in d.config.accounts if a.email == email)
    key = f"accounts.{member.name}.email"
    what = f"member account {email}"
    if not d.our_organization:
        return Finding(address, what, CREATE, why="created in the new organization")
    same = [a for a in d.accounts if a["Email"].lower() == email.lower()]
    if same:
        account = same[0]
        state = account.get("State") or account.get("Status")
        if account["Email"] != email:
            return Finding(address, what, CONFLICT, why=(
                f"account {account['Id']} has the e-mail {account['Email']}: write it exactly so "
                f"as {key} in {d.config.source.name} (Terraform compares e-mails as written; a "
                "difference would replace the account)"))
        if state in _INACTIVE_ACCOUNT_STATES:
            return Finding(address, what, CONFLICT, why=(
                f"account {account['Id']} with this e-mail is {state}: a closed account cannot "
                "be adopted, and its e-mail cannot be used for a new one; choose another "
                f"address for {key}"))
        kept = f"keeps its name '{account['Name']}'" if account["Name"] != name else ""
        invited = ("; it was invited, so it has the role "
                   f"{member.role_name} only if someone created it (the {member.name} "
                   "workspace assumes it)") if account.get("JoinedMethod") == "INVITED" else ""
        return Finding(address, what, IMPORT, account["Id"], why=kept + invited)
    named = [a for a in d.accounts if a["Name"] in (name, member.name)]
    if named:
        account = named[0]
        return Finding(address, what, CONFLICT, why=(
            f"account {account['Id']} is named '{account['Name']}' but has the e-mail "
            f"{account['Email']}: set {key} = \"{account['Email']}\" to adopt it; as the file "
            "stands, a second account would be created beside it"))
    failed = [s for s in d.failed_creations if s.get("AccountName") == name
              and s.get("FailureReason") == "EMAIL_ALREADY_EXISTS"]
    if failed:
        return Finding(address, what, CONFLICT, why=(
            f"creating '{name}' failed before with EMAIL_ALREADY_EXISTS: {email} belongs to an "
            "AWS account outside this organization (or one closed recently). Use another "
            f"address for {key}, or invite that account into the organization"))
    return Finding(address, what, CREATE, why=(
        "no account of the organization has this e-mail. Whether an AWS account outside the "
        "organization uses it, no read-only API can tell: AWS then refuses the creation "
        "(EMAIL_ALREADY_EXISTS) during the apply"))


def _named_iam(kind: str, read: Callable[[_Discovery, str], object], missing: str = "NoSuchEntity",
               why: str = "") -> Callable[[_Discovery, str, dict], Finding]:
    """An IAM entity imported by its name, when the read finds it."""
    def discover(d: _Discovery, address: str, body: dict) -> Finding:
        name = body["name"]
        found = aws.unless_missing(lambda: read(d, name), missing)
        return Finding(address, f"{kind} {name}", IMPORT if found else CREATE,
                       name if found else None, why if found else "")
    return discover


def _group_policy_attachment(d: _Discovery, address: str, body: dict) -> Finding:
    group, arn = d.value(body["group"]), d.value(body["policy_arn"])
    what = f"policy {d.label(body['policy_arn'], 'name')} on group {group}"
    if not (d.exists(body["group"]) and arn):
        return Finding(address, what, CREATE)
    attached = {policy["PolicyArn"] for page in d.client("iam").get_paginator(
        "list_attached_group_policies").paginate(GroupName=group)
        for policy in page["AttachedPolicies"]}
    return Finding(address, what, IMPORT, f"{group}/{arn}") if arn in attached \
        else Finding(address, what, CREATE)


def _managed_policy(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    what = f"IAM policy {name}"
    pages = d.client("iam").get_paginator("list_policies").paginate(Scope="Local")
    found = next((p for page in pages for p in page["Policies"] if p["PolicyName"] == name), None)
    if found is None:
        return Finding(address, what, CREATE)
    wanted = (body.get("path", "/"), body.get("description", ""))
    if (found.get("Path", "/"), found.get("Description", "")) != wanted:
        return Finding(address, what, CONFLICT, why=(
            f"{found['Arn']} exists with another path or description, which Terraform can only "
            "change by replacing the policy (detaching it from its groups meanwhile): delete it "
            "or rename it, then run adopt again"))
    return Finding(address, what, IMPORT, found["Arn"], why="its document is replaced by ours")


def _inline_policy(owner: str, read: str) -> Callable[[_Discovery, str, dict], Finding]:
    """An inline policy of a group or role (`owner`), imported as `<owner name>:<policy name>`
    when IAM's `read` (get_group_policy, get_role_policy) finds it."""
    def discover(d: _Discovery, address: str, body: dict) -> Finding:
        holder, name = d.value(body[owner]), body["name"]
        what = f"inline policy {name} of {owner} {holder}"
        found = d.exists(body[owner]) and aws.unless_missing(lambda: getattr(
            d.client("iam"), read)(**{f"{owner.capitalize()}Name": holder, "PolicyName": name}),
            "NoSuchEntity")
        return Finding(address, what, IMPORT, f"{holder}:{name}",
                       why="its document is replaced") if found \
            else Finding(address, what, CREATE)
    return discover


def _group_membership(d: _Discovery, address: str, body: dict) -> Finding:
    user = d.value(body["user"])
    groups = [d.value(group) for group in body["groups"]]
    what = f"group memberships of {user}"
    if not d.exists(body["user"]):
        return Finding(address, what, CREATE)
    joined = {group["GroupName"] for page in d.client("iam").get_paginator(
        "list_groups_for_user").paginate(UserName=user) for group in page["Groups"]}
    ours = [group for group in groups if group in joined]
    if not ours:
        return Finding(address, what, CREATE)
    added = [group for group in groups if group not in joined]
    return Finding(address, what, IMPORT, "/".join([user, *ours]),
                   why=f"joins {', '.join(added)} too" if added else "")


def _service_control_policy(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    what = f"service control policy {name}"
    if not d.our_organization:
        return Finding(address, what, CREATE)
    pages = d.client("organizations").get_paginator("list_policies").paginate(
        Filter="SERVICE_CONTROL_POLICY")
    found = next((p for page in pages for p in page["Policies"] if p["Name"] == name), None)
    return Finding(address, what, IMPORT, found["Id"], why="its content is replaced by ours") \
        if found else Finding(address, what, CREATE)


def _policy_attachment(d: _Discovery, address: str, body: dict) -> Finding:
    policy_id, target = d.value(body["policy_id"]), d.value(body["target_id"])
    what = f"service control policy on account {d.label(body['target_id'], 'email')}"
    if not (policy_id and target):
        return Finding(address, what, CREATE)
    pages = d.client("organizations").get_paginator("list_targets_for_policy").paginate(
        PolicyId=policy_id)
    attached = {t["TargetId"] for page in pages for t in page["Targets"]}
    return Finding(address, what, IMPORT, f"{target}:{policy_id}") if target in attached \
        else Finding(address, what, CREATE)


def _organizations_features(d: _Discovery, address: str, body: dict) -> Finding:
    what = "centralized root access"
    if not d.our_organization:
        return Finding(address, what, CREATE)
    found = aws.unless_missing(lambda: d.client("iam").list_organizations_features(),
                               "ServiceAccessNotEnabledException", "OrganizationNotFoundException")
    if found and found.get("EnabledFeatures"):
        return Finding(address, what, IMPORT, d.organization["Id"],
                       why=f"enabled: {', '.join(found['EnabledFeatures'])}")
    return Finding(address, what, CREATE)


def _trail(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    what = f"trail {name}"
    ours = next((t for t in d.trails if t["TrailARN"] == d.our_trail_arn()), None)
    if ours is None:
        return Finding(address, what, CREATE)
    changed = "" if ours.get("IsOrganizationTrail") else "becomes the organization trail"
    return Finding(address, what, IMPORT, ours["TrailARN"], why=changed)


def _service_linked_role(d: _Discovery, address: str, body: dict) -> Finding:
    service = body["aws_service_name"]
    what = f"service-linked role of {service}"
    pages = d.client("iam").get_paginator("list_roles").paginate(
        PathPrefix=f"/aws-service-role/{service}/")
    found = next((role for page in pages for role in page["Roles"]), None)
    return Finding(address, what, IMPORT, found["Arn"]) if found \
        else Finding(address, what, CREATE)


def _bucket(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["bucket"]
    what = f"S3 bucket {name}"
    status = aws.bucket_status(d.client("s3"), name)
    if status == "foreign":
        return Finding(address, what, CONFLICT, why=(
            f"it exists but not in account {d.caller} (bucket names are global): choose "
            f"another trail.bucket in {d.config.source.name}"))
    return Finding(address, what, IMPORT, name) if status == "ours" \
        else Finding(address, what, CREATE)


def _versioning_set(response: dict) -> dict | None:
    """A bucket whose versioning was never set answers without a Status."""
    return response if response.get("Status") else None


# S3 sub-resources: (what, the read of its configuration, error codes meaning "none set")
_BUCKET_SETTINGS = {
    "aws_s3_bucket_versioning": (
        "versioning", lambda s3, b: _versioning_set(s3.get_bucket_versioning(Bucket=b)), ()),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "default encryption", lambda s3, b: s3.get_bucket_encryption(Bucket=b),
        ("ServerSideEncryptionConfigurationNotFoundError",)),
    "aws_s3_bucket_public_access_block": (
        "public access block", lambda s3, b: s3.get_public_access_block(Bucket=b),
        ("NoSuchPublicAccessBlockConfiguration",)),
    "aws_s3_bucket_ownership_controls": (
        "object ownership", lambda s3, b: s3.get_bucket_ownership_controls(Bucket=b),
        ("OwnershipControlsNotFoundError",)),
    "aws_s3_bucket_lifecycle_configuration": (
        "lifecycle rules", lambda s3, b: s3.get_bucket_lifecycle_configuration(Bucket=b),
        ("NoSuchLifecycleConfiguration",)),
    "aws_s3_bucket_policy": (
        "bucket policy", lambda s3, b: s3.get_bucket_policy(Bucket=b), ("NoSuchBucketPolicy",)),
}


def _bucket_setting(d: _Discovery, address: str, body: dict) -> Finding:
    setting, read, missing = _BUCKET_SETTINGS[address.split(".")[0]]
    bucket = d.value(body["bucket"])
    what = f"{setting} of bucket {d.label(body['bucket'], 'bucket')}"
    if bucket is None:
        return Finding(address, what, CREATE)
    found = aws.unless_missing(lambda: read(d.client("s3"), bucket), *missing)
    if found is None:
        return Finding(address, what, CREATE)
    return Finding(address, what, IMPORT, bucket, why="replaced by ours" + (
        ": statements you added are dropped, so a trail of yours writing here loses its access"
        if setting == "bucket policy" else ""))


def _budget(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    found = aws.unless_missing(lambda: d.client("budgets").describe_budget(
        AccountId=d.caller, BudgetName=name), "NotFoundException")
    return Finding(address, f"budget {name}", IMPORT if found else CREATE,
                   f"{d.caller}:{name}" if found else None)


def _password_policy(d: _Discovery, address: str, body: dict) -> Finding:
    found = aws.unless_missing(lambda: d.client("iam").get_account_password_policy(),
                               "NoSuchEntity")
    return Finding(address, "account password policy", IMPORT if found else CREATE,
                   "iam-account-password-policy" if found else None,
                   "replaced by the CIS policy" if found else "")


def _analyzer(d: _Discovery, address: str, body: dict) -> Finding:
    name = body["analyzer_name"]
    found = aws.unless_missing(
        lambda: d.client("accessanalyzer").get_analyzer(analyzerName=name),
        "ResourceNotFoundException")
    if found and found["analyzer"]["type"] != body["type"]:
        return Finding(address, f"access analyzer {name}", CONFLICT, why=(
            f"it exists with type {found['analyzer']['type']}, not {body['type']}: Terraform "
            "would replace it; delete or rename it, then run adopt again"))
    return Finding(address, f"access analyzer {name}", IMPORT if found else CREATE,
                   name if found else None)


DISCOVERERS: dict[str, Callable[[_Discovery, str, dict], Finding]] = {
    "aws_organizations_organization": _organization,
    "aws_organizations_account": _account,
    "aws_organizations_policy": _service_control_policy,
    "aws_organizations_policy_attachment": _policy_attachment,
    "aws_iam_organizations_features": _organizations_features,
    "aws_iam_user": _named_iam("IAM user", lambda d, name: d.client("iam").get_user(
        UserName=name), why="its password, access keys and MFA stay as they are"),
    "aws_iam_group": _named_iam("IAM group", lambda d, name: d.client("iam").get_group(
        GroupName=name)),
    "aws_iam_role": _named_iam("IAM role", lambda d, name: d.client("iam").get_role(
        RoleName=name), why="its trust policy is replaced by ours"),
    "aws_iam_policy": _managed_policy,
    "aws_iam_group_policy": _inline_policy("group", "get_group_policy"),
    "aws_iam_role_policy": _inline_policy("role", "get_role_policy"),
    "aws_iam_group_policy_attachment": _group_policy_attachment,
    "aws_iam_user_group_membership": _group_membership,
    "aws_iam_service_linked_role": _service_linked_role,
    "aws_iam_account_password_policy": _password_policy,
    "aws_cloudtrail": _trail,
    "aws_s3_bucket": _bucket,
    **{resource_type: _bucket_setting for resource_type in _BUCKET_SETTINGS},
    "aws_budgets_budget": _budget,
    "aws_accessanalyzer_analyzer": _analyzer,
}


def _in_dependency_order(stack: dict) -> list[str]:
    """Every resource address, each after the resources it refers to."""
    ordered: list[str] = []

    def visit(address: str, seen: set[str]) -> None:
        if address in ordered or address in seen:
            return
        resource_type, key = address.split(".", 1)
        body = stack["resource"][resource_type][key]
        text = json.dumps({k: v for k, v in body.items() if k != "//"})
        for reference in [*_REFERENCED.findall(text), *(
                tuple(d.split(".", 1)) for d in body.get("depends_on", []))]:
            if reference[0] in stack["resource"]:
                visit(".".join(reference[:2]), seen | {address})
        ordered.append(address)

    for resource_type, resources in stack["resource"].items():
        for key in resources:
            visit(f"{resource_type}.{key}", set())
    return ordered


def discover(config: Config, stack: dict) -> Adoption:
    """Decide, read-only, what the first apply of `stack` (the management stack) imports."""
    caller = aws.account_id(config)
    require_pinned_management_account(config, caller)
    d = _Discovery(config, stack, caller)
    adoption = Adoption()
    for address in _in_dependency_order(stack):
        resource_type = address.split(".")[0]
        if address in d.managed:
            finding = Finding(address, resource_type, MANAGED, why="in the management state")
        elif resource_type in DISCOVERERS:
            finding = DISCOVERERS[resource_type](d, address, d.body(address))
        else:
            finding = Finding(address, resource_type, CREATE,
                              why="adopt does not look for this kind of resource")
        d.decided[address] = finding
        adoption.findings.append(finding)
    adoption.notices += _state_bucket(d) + _other_trails(d)
    return adoption


def _state_bucket(d: _Discovery) -> list[str]:
    """The state bucket is bootstrap's to create or take over, never an import."""
    bucket = d.config.state_bucket
    status = aws.bucket_status(d.client("s3"), bucket)
    if status == "missing":
        return [f"The state bucket {bucket} does not exist yet: `make bootstrap "
                f"ENV={d.config.env_name}` creates it (bootstrap, not an import, takes care of "
                "the state bucket)."]
    if status == "foreign":
        return [f"The state bucket {bucket} exists but not in account {d.caller}: choose "
                f"another state.bucket in {d.config.source.name}."]
    return []


def _other_trails(d: _Discovery) -> list[str]:
    """Each trail beside ours: what it costs once the organization trail runs, and how to remove
    it then. Never deleted here."""
    notices = []
    ours = d.our_trail_arn()
    for trail in d.trails:
        if trail["TrailARN"] == ours:
            continue
        scope = ("every account's" if trail.get("IsOrganizationTrail")
                 else f"account {d.caller}'s")
        home = trail.get("HomeRegion", d.config.region)
        notices.append(
            f"Trail '{trail['Name']}' ({trail['TrailARN']}) records {scope} management events a "
            f"second time beside the organization trail '{d.config.trail.name}'. The first copy "
            f"is free; this one costs USD {EXTRA_COPY_USD_PER_100K_EVENTS:.2f} per 100,000 "
            "events (e.g. USD 20 a month for a million; data or Insights events, if it records "
            "any, are charged on top). It is left alone. Once the organization trail is logging "
            f"(`aws cloudtrail get-trail-status --name {ours} --region {d.config.region} "
            "--query IsLogging` prints true), remove it: "
            f"`aws cloudtrail delete-trail --name {trail['TrailARN']} --region {home}` "
            f"(its bucket {trail.get('S3BucketName', '?')} and the logs in it stay).")
    return notices


# --- the record and the imports file ---------------------------------------------------------

def _record_path(config: Config) -> Path:
    return STATE_DIR / f"{config.env_name}.json"


def _records(config: Config) -> dict:
    path = _record_path(config)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise UserError(f"{path} is not a record `make adopt` wrote; delete it and run "
                        f"`make adopt ENV={config.env_name}` again.") from None


def fingerprint(stack_dir: Path) -> str:
    return hashlib.sha256((stack_dir / "cdk.tf.json").read_bytes()).hexdigest()


def record(config: Config, stack_dir: Path, adoption: Adoption) -> int:
    """Record the imports of `adoption` for the stack in `stack_dir` (none: forget it) and write
    its imports file; returns how many imports there are."""
    records = _records(config)
    imports = [{"to": f.address, "id": f.import_id} for f in adoption.with_action(IMPORT)]
    if imports:
        records[stack_dir.name] = {"fingerprint": fingerprint(stack_dir), "imports": imports}
    else:
        records.pop(stack_dir.name, None)
    _save(config, records)
    place_imports(config, stack_dir)
    return len(imports)


def _save(config: Config, records: dict) -> None:
    path = _record_path(config)
    if records:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=2) + "\n")
    else:
        path.unlink(missing_ok=True)


def place_imports(config: Config, stack_dir: Path) -> int:
    """Write the stack's imports file from the record (remove it when there is none); refuse
    when the stack changed since the record was made. Returns how many imports it holds."""
    target = stack_dir / IMPORTS_FILE
    found = _records(config).get(stack_dir.name)
    if not found:
        target.unlink(missing_ok=True)
        return 0
    if found["fingerprint"] != fingerprint(stack_dir):
        target.unlink(missing_ok=True)
        raise UserError(
            f"The {stack_dir.name} stack changed since `make adopt` decided what to import "
            f"(environment file or code), so those decisions may no longer hold; nothing was "
            f"run. Run `make adopt ENV={config.env_name}` again.")
    text = json.dumps({"//": f"Written from {_record_path(config)} by `make adopt`; removed "
                             "after the first successful apply.",
                       "import": found["imports"]}, indent=2) + "\n"
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)
    return len(found["imports"])


def forget_imports(config: Config, stack_dir: Path) -> None:
    """After a successful apply: the imports are in the state; drop the record and the file."""
    records = _records(config)
    if records.pop(stack_dir.name, None) is not None:
        _save(config, records)
    (stack_dir / IMPORTS_FILE).unlink(missing_ok=True)


# --- the command ---------------------------------------------------------------------------

def report(adoption: Adoption) -> None:
    shown = [f for f in adoption.findings if f.action != MANAGED]
    managed = len(adoption.findings) - len(shown)
    if shown:
        width = min(max(len(f.what) for f in shown), TABLE_RESOURCE_WIDTH)
        say(f"\n  {'ACTION':<9} {'RESOURCE':<{width}}  IMPORT ID / WHY")
        for f in shown:
            detail = " · ".join(part for part in (f.import_id, f.why) if part)
            say(f"  {f.action:<9} {f.what:<{width}}  {detail}".rstrip())
    counts = {action: len(adoption.with_action(action)) for action in (IMPORT, CREATE, CONFLICT)}
    say(f"\n{counts[IMPORT]} to import, {counts[CREATE]} to create, {counts[CONFLICT]} "
        f"conflict(s)" + (f", {managed} already managed." if managed else "."))
    for notice in adoption.notices:
        say(f"\nNOTE: {notice}")


def adopt(config: Config, stacks: Path) -> Adoption:
    """Discover, print the table, and record the imports of the management stack; refuse (and
    record nothing) when a conflict cannot be resolved here."""
    stack_dir = stacks / MANAGEMENT_STACK
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    say(f"Looking for what already exists in the management account (read-only) for "
        f"'{config.env_name}'…")
    adoption = discover(config, stack)
    report(adoption)
    conflicts = adoption.with_action(CONFLICT)
    if conflicts:
        record(config, stack_dir, Adoption())
        listed = "\n".join(f"  - {f.what}: {f.why}" for f in conflicts)
        raise UserError(f"Refusing to plan imports: {len(conflicts)} conflict(s) the first apply "
                        f"cannot resolve; nothing was recorded.\n{listed}")
    count = record(config, stack_dir, adoption)
    if count:
        say(f"\nRecorded {count} import(s) in {_record_path(config)}; they are written to "
            f"{stack_dir / IMPORTS_FILE} before each plan and apply, until the first apply of "
            f"'{MANAGEMENT_STACK}' succeeds. Next: make plan ENV={config.env_name} "
            f"STACK={MANAGEMENT_STACK}")
    else:
        say(f"\nNothing to import: the first apply creates everything it manages. Next: make "
            f"plan ENV={config.env_name} STACK={MANAGEMENT_STACK}")
    return adoption
