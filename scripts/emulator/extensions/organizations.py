"""AWS Organizations: trusted access as AWS knows it today."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension

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
