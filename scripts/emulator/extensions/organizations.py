"""AWS Organizations: trusted access, policy names and account states as AWS knows them today."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension, wrap

IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"


@extension
def iam_trusted_access() -> None:
    """Organizations accepts iam.amazonaws.com for trusted access, as AWS does since centralized
    root access (Nov 2024); moto's list of trusted services predates it."""
    from moto.organizations.models import FakeServiceAccess

    if IAM_SERVICE_PRINCIPAL not in FakeServiceAccess.TRUSTED_SERVICES:
        FakeServiceAccess.TRUSTED_SERVICES.append(IAM_SERVICE_PRINCIPAL)


def trusting_organization(account_id: str, partition: str, service_principal: str):
    """The organizations backend of the organization `account_id` manages, if it has trusted
    access for `service_principal` enabled; None otherwise (no organization, a member account,
    or no trusted access)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account_id][partition]
    principals = [s["ServicePrincipal"] for s in backend.services]
    return backend if backend.org is not None and service_principal in principals else None


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
