"""The environment file as typed, frozen objects: what `foundation.config.load` returns, with the
defaults of every optional key. Validation lives in foundation/config.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from foundation.contract import (
    MANAGED_BY,
    MANAGEMENT_STACK,
    TAG_ENVIRONMENT,
    TAG_FOUNDATION_WORKSPACE,
    TAG_MANAGED_BY,
    TAG_WORKSPACE,
)

# Overrides the port of the emulator endpoint, so a second emulator can run beside the first.
EMULATOR_PORT_VARIABLE = "LOCAL_AWS_PORT"


def subdomain_tunnel_port(port: int) -> int:
    """The port of the emulator's tunnel for its subdomains, beside its endpoint's.

    Some clients put a name in front of the endpoint host: S3 Control sends every request to
    https://<account id>.<endpoint host>, aws-nuke's S3 client (no path-style switch) to
    https://<bucket>.<endpoint host>. No resolver knows those names for 127.0.0.1; the clients
    reach them through this port as an HTTPS proxy."""
    return port + 1


CONTACT_TYPES = ("billing", "operations", "security")

# Defaults for environment files written before [guardrails] and [budgets] existed.
DEFAULT_ORGANIZATION_BUDGET_USD = 20
DEFAULT_ACCOUNT_BUDGET_USD = 10
DEFAULT_BUDGET_THRESHOLDS = (50, 80, 100)

# The cost kill switch: a member account is frozen when its actual monthly cost passes this
# percentage of its budget (0: no automatic freeze); anomalies above this many USD are e-mailed
# (0: no anomaly detection).
DEFAULT_FREEZE_AT_PERCENT = 100
DEFAULT_ANOMALY_ALERT_USD = 10
# The largest percentage of a budget a threshold or the kill switch may name.
MAX_THRESHOLD_PERCENT = 1000


@dataclass(frozen=True)
class MemberAccount:
    name: str
    email: str
    role_name: str
    monthly_budget_usd: float = DEFAULT_ACCOUNT_BUDGET_USD
    alias: str = ""  # the IAM account alias; by default <name_prefix>-<name>
    freeze_at_percent: float = DEFAULT_FREEZE_AT_PERCENT  # 0: the kill switch is off
    allow_commitments: bool = False  # true: no standing guard against Savings Plans, RIs, ...
    # The dev reset (aws-nuke): whether it deletes the default VPCs too, and what it keeps.
    reset_default_vpc: bool = False
    reset_keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trail:
    name: str
    bucket: str
    retention_days: int


@dataclass(frozen=True)
class Guardrails:
    """Service control policies on every member account, the resource control policy and the
    management policies on the root, and centralized root access."""

    deny_leave_organization: bool = True
    protect_member_role: bool = True  # the member access role cannot be changed or deleted
    deny_member_root: bool = True
    centralize_root_access: bool = True
    allowed_regions: tuple[str, ...] = ()  # empty: no region restriction
    ai_services_opt_out: bool = True  # an AI services opt-out policy on the organization root
    tag_policy: bool = False  # a tag policy for the foundation's tag keys, on the root
    resource_perimeter: bool = True  # an RCP: only the organization reaches its members' data
    ec2_protections: bool = True  # an EC2 declarative policy: no public AMIs or snapshots, ...


@dataclass(frozen=True)
class Budgets:
    """The organization's monthly cost budget; each member account has its own amount."""

    organization_monthly_usd: float = DEFAULT_ORGANIZATION_BUDGET_USD
    thresholds_percent: tuple[float, ...] = DEFAULT_BUDGET_THRESHOLDS
    anomaly_alert_usd: float = DEFAULT_ANOMALY_ALERT_USD  # 0: no Cost Anomaly Detection


@dataclass(frozen=True)
class Contact:
    """An alternate contact of an AWS account."""

    name: str
    title: str
    email: str
    phone: str


@dataclass(frozen=True)
class Contacts:
    """The alternate contacts every account gets; a type left out of the file is not set."""

    billing: Contact | None = None
    operations: Contact | None = None
    security: Contact | None = None

    def by_type(self) -> dict[str, Contact]:
        """The configured contacts by the Account Management API's type (BILLING, ...)."""
        return {
            kind.upper(): contact
            for kind in CONTACT_TYPES
            if (contact := getattr(self, kind)) is not None
        }


@dataclass(frozen=True)
class Emulator:
    """Endpoint settings of a local AWS emulator; absent for real AWS."""

    endpoint_url: str

    @property
    def port(self) -> int:
        return urlsplit(self.endpoint_url).port or 80

    @property
    def tunnel_url(self) -> str:
        """The proxy URL that reaches <name>.127.0.0.1 (see subdomain_tunnel_port)."""
        return f"http://127.0.0.1:{subdomain_tunnel_port(self.port)}"


@dataclass(frozen=True)
class Config:
    env_name: str
    source: Path
    region: str
    name_prefix: str
    management_email: str
    state_bucket: str
    admin_users: tuple[str, ...]
    accounts: tuple[MemberAccount, ...]
    trail: Trail
    tags: tuple[tuple[str, str], ...]
    emulator: Emulator | None = None
    guardrails: Guardrails = Guardrails()
    budgets: Budgets = Budgets()
    contacts: Contacts = Contacts()
    # The management account every management-side action is pinned to; required for real AWS,
    # optional for an emulator (None: not pinned).
    management_account_id: str | None = None

    def account(self, name: str) -> MemberAccount:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts)
        raise KeyError(f"no member account named {name!r} in {self.source.name} (known: {known})")

    @property
    def stack_names(self) -> tuple[str, ...]:
        """Workspaces in apply order: management first, then one per member account."""
        return (MANAGEMENT_STACK, *(a.name for a in self.accounts))

    @property
    def control_regions(self) -> tuple[str, ...]:
        """The regions the per-region controls (EBS default encryption, Access Analyzer) cover:
        the home region first, then the other allowed regions; the home region alone when every
        region is allowed (`allowed_regions = []`)."""
        others = [r for r in self.guardrails.allowed_regions if r != self.region]
        return (self.region, *others)

    def state_key(self, stack: str) -> str:
        return f"{stack}/terraform.tfstate"

    def workspace_tags(self, workspace: str) -> dict[str, str]:
        """The tags every resource of `workspace` carries: the file's [tags] and ours."""
        return {
            **dict(self.tags),
            TAG_MANAGED_BY: MANAGED_BY,
            TAG_WORKSPACE: workspace,
            TAG_ENVIRONMENT: self.env_name,
            TAG_FOUNDATION_WORKSPACE: workspace,
        }
