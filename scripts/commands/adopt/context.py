"""What one discovery run knows and reads once: the stack, the management state, the caller,
the decisions so far."""

from __future__ import annotations

import re
from functools import cached_property

from foundation.contract import MANAGEMENT_STACK
from foundation.model import Config
from scripts import aws, workspaces
from scripts.commands.adopt.findings import IMPORT, Finding
from scripts.workspaces import managed_resources

_REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}$")
# The organization's root: the one reference to a nested attribute the stack makes.
_ROOT = re.compile(r"^\$\{(aws_organizations_organization\.[A-Za-z0-9_]+)\.roots\[0\]\.id\}$")
ROOT_LABEL = "the organization root"


class Discovery:
    """What one discovery run knows: the stack, the management state, the caller, the decisions
    so far (a resource's dependencies are decided before it)."""

    def __init__(self, config: Config, stack: dict, caller_account: str):
        self.config = config
        self.stack = stack
        self.caller = caller_account
        self.session = aws.session(config)
        self.decided: dict[str, Finding] = {}
        # The region of the resource being decided: its provider's (discovery.py sets it).
        self.region = config.region
        self._clients: dict[tuple[str, str], object] = {}

    def client(self, service: str, region: str | None = None):
        """A client in `region`, by default the region of the resource being decided, so that a
        discoverer looks where the resource's provider creates it."""
        region = region or self.region
        if (service, region) not in self._clients:
            self._clients[service, region] = (
                aws.s3_client_of_owner(self.config, self.caller, self.session)
                if service == "s3"
                else aws.client(self.config, service, self.session, region=region)
            )
        return self._clients[service, region]

    def body(self, address: str) -> dict:
        resource_type, key = address.split(".", 1)
        return self.stack["resource"][resource_type][key]

    def referenced(self, reference: str) -> dict:
        """The body of the resource a `${type.key.attribute}` reference names."""
        match = _REFERENCE.match(reference)
        return self.body(f"{match.group(1)}.{match.group(2)}")

    def region_of(self, body: dict) -> str:
        """The region of a resource's provider (`aws` or `aws.<alias>`)."""
        alias = body.get("provider", "aws").partition(".")[2]
        return next(
            provider.get("region", self.config.region)
            for provider in self.stack["provider"]["aws"]
            if provider.get("alias", "") == alias
        )

    @cached_property
    def managed(self) -> dict[str, dict]:
        """{address: attributes} of what the management state already holds."""
        return {
            r.address: r.instances[0]
            for r in managed_resources(workspaces.read_state(self.config, MANAGEMENT_STACK))
            if r.instances
        }

    def value(self, value):
        """A literal, or what a `${type.key.attribute}` reference will be: a literal of the
        referenced resource, or the id/ARN of one that exists (None: it will be created)."""
        root = _ROOT.match(value) if isinstance(value, str) else None
        if root:
            return self.root_id(root.group(1))
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

    def root_id(self, organization: str) -> str | None:
        """The id of the organization root, once the organization exists."""
        if organization in self.managed:
            return self.managed[organization]["roots"][0]["id"]
        if not self.exists(organization):
            return None
        return self.client("organizations").list_roots()["Roots"][0]["Id"]

    def label(self, value, attribute: str) -> str:
        """How to name what `value` refers to in the table: the referenced resource's literal
        `attribute` (a policy's name for its ARN, a bucket's name for its id)."""
        if isinstance(value, str) and _ROOT.match(value):
            return ROOT_LABEL
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
        found = aws.unless_missing(
            lambda: self.client("organizations").describe_organization(),
            "AWSOrganizationsNotInUseException",
        )
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
        pages = (
            self.client("organizations")
            .get_paginator("list_create_account_status")
            .paginate(States=["FAILED"])
        )
        return [status for page in pages for status in page["CreateAccountStatuses"]]

    @cached_property
    def trails(self) -> list[dict]:
        """Every trail of the account, described in its home region."""
        described = []
        for short in self.client("cloudtrail", self.config.region).list_trails()["Trails"]:
            home = aws.client(self.config, "cloudtrail", self.session, region=short["HomeRegion"])
            described += home.describe_trails(trailNameList=[short["TrailARN"]])["trailList"]
        return described

    def our_trail_arn(self) -> str:
        return (
            f"arn:aws:cloudtrail:{self.config.region}:{self.caller}:trail/{self.config.trail.name}"
        )
