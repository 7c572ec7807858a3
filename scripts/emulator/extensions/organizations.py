"""AWS Organizations: trusted access, policy names, attachments and types, and account states as
AWS knows them today; and the policies in effect for an account (what organization_policies.py
enforces)."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension, wrap

IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"
DECLARATIVE_POLICY_EC2 = "DECLARATIVE_POLICY_EC2"
_DECLARATIVE_POLICY_ARN = "arn:{0}:organizations::{1}:policy/{2}/declarative_policy_ec2/{3}"


@extension
def iam_trusted_access() -> None:
    """Organizations accepts iam.amazonaws.com for trusted access, as AWS does since centralized
    root access (Nov 2024); moto's list of trusted services predates it."""
    from moto.organizations.models import FakeServiceAccess

    if IAM_SERVICE_PRINCIPAL not in FakeServiceAccess.TRUSTED_SERVICES:
        FakeServiceAccess.TRUSTED_SERVICES.append(IAM_SERVICE_PRINCIPAL)


@extension
def duplicate_policy_attachment_refused() -> None:
    """AttachPolicy of a policy already attached to the target answers
    DuplicatePolicyAttachmentException ("The selected policy is already attached to the specified
    target", AWS Organizations API reference, AttachPolicy), as AWS does; moto answered success.
    A freeze by hand and the budget action attaching the same SCP meet this."""
    from moto.organizations.exceptions import OrganizationsClientError
    from moto.organizations.models import OrganizationsBackend

    def refusing_duplicates(attach_policy):
        def attach_policy_once(backend, **kwargs) -> None:
            target = next(
                (t for t in [*backend.ou, *backend.accounts] if t.id == kwargs["TargetId"]), None
            )
            if target is not None and kwargs["PolicyId"] in [
                p.id for p in target.attached_policies
            ]:
                raise OrganizationsClientError(
                    "DuplicatePolicyAttachmentException",
                    "The selected policy is already attached to the specified target.",
                )
            attach_policy(backend, **kwargs)

        return attach_policy_once

    wrap(OrganizationsBackend, "attach_policy", refusing_duplicates)


@extension
def declarative_policies_for_ec2() -> None:
    """The DECLARATIVE_POLICY_EC2 policy type (Dec 2024), which moto 5.2.5 does not know: it can
    be enabled on the root, and its policies created, attached and listed like any management
    policy. What such a policy does to EC2 is in ec2.py."""
    from moto.organizations.models import FakePolicy, FakeRoot

    for known in (FakePolicy.SUPPORTED_POLICY_TYPES, FakeRoot.SUPPORTED_POLICY_TYPES):
        if DECLARATIVE_POLICY_EC2 not in known:
            known.append(DECLARATIVE_POLICY_EC2)

    def declarative(init):
        def init_declarative(policy, organization, **kwargs) -> None:
            if kwargs.get("Type") != DECLARATIVE_POLICY_EC2:
                init(policy, organization, **kwargs)
                return
            # moto builds every other management policy the same way; only the ARN differs.
            init(policy, organization, **{**kwargs, "Type": "TAG_POLICY"})
            policy.type = DECLARATIVE_POLICY_EC2
            policy._arn_format = _DECLARATIVE_POLICY_ARN

        return init_declarative

    wrap(FakePolicy, "__init__", declarative)


@extension
def policy_names_unique_per_type() -> None:
    """CreatePolicy refuses a name already used by a policy of the same type
    (DuplicatePolicyException, "A policy with the specified name and type already exists."), as
    AWS does; moto refused a name used by a policy of any type."""
    from moto.organizations.exceptions import OrganizationsClientError
    from moto.organizations.models import FakePolicy, OrganizationsBackend

    def create_policy(self, **kwargs) -> dict:
        if any(p.name == kwargs["Name"] and p.type == kwargs["Type"] for p in self.policies):
            raise OrganizationsClientError(
                "DuplicatePolicyException",
                "A policy with the specified name and type already exists.",
            )
        policy = FakePolicy(self.org, **kwargs)
        self.policies.append(policy)
        return policy.describe()

    OrganizationsBackend.create_policy = create_policy


# The account states AWS answers (Account.State); `Status` was retired on 9 September 2026.
CLOSED = "CLOSED"


@extension
def account_state() -> None:
    """Accounts answer `State` and no longer `Status` (DescribeAccount, ListAccounts,
    ListAccountsForParent), and an account closed with CloseAccount is CLOSED (AWS passes
    through PENDING_CLOSURE first; SUSPENDED is a suspension by AWS), as AWS answers since it
    retired `Status`. moto answered both, and SUSPENDED for a closed account."""
    from moto.organizations.models import FakeAccount

    def without_status(describe):
        def describe_state_only(self) -> dict:
            return {key: value for key, value in describe(self).items() if key != "Status"}

        return describe_state_only

    def closed(close):
        def close_account(self) -> None:
            close(self)
            self.state = CLOSED

        return close_account

    wrap(FakeAccount, "describe", without_status)
    wrap(FakeAccount, "close", closed)


def trusting_organization(account_id: str, partition: str, service_principal: str):
    """The organizations backend of the organization `account_id` manages, if it has trusted
    access for `service_principal` enabled; None otherwise (no organization, a member account,
    or no trusted access)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account_id][partition]
    principals = [s["ServicePrincipal"] for s in backend.services]
    return backend if backend.org is not None and service_principal in principals else None


def organization_of(account_id: str, partition: str = "aws"):
    """(the organizations backend, whether `account_id` is its management account) for the
    organization the account is in; None for an account in no organization."""
    from moto.organizations.models import organizations_backends

    if account_id in organizations_backends.master_accounts:
        management_id, partition = organizations_backends.master_accounts[account_id]
        return organizations_backends[management_id][partition], False
    if account_id in organizations_backends and partition in organizations_backends[account_id]:
        backend = organizations_backends[account_id][partition]
        if backend.org is not None:
            return backend, True
    return None


def policies_in_effect(backend, account_id: str, policy_type: str) -> list[list[dict]] | None:
    """The documents of `policy_type` attached at each level, from the root down (the root, each
    OU, the account); None when the type is not enabled on the root, where AWS enforces none."""
    import json

    by_id = {target.id: target for target in [*backend.ou, *backend.accounts]}
    chain = []
    target = by_id.get(account_id)
    while target is not None:
        chain.append(target)
        target = None if target.type == "ROOT" else by_id.get(target.parent_id)
    root = chain[-1] if chain and chain[-1].type == "ROOT" else None
    if root is None or policy_type not in [kind["Type"] for kind in root.policy_types]:
        return None
    return [
        [json.loads(p.content) for p in level.attached_policies if p.type == policy_type]
        for level in reversed(chain)
    ]
