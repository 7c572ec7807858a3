"""AWS Organizations: the organization, its accounts, policies and their attachments."""

from __future__ import annotations

from scripts import aws
from scripts.commands.adopt.context import ROOT_LABEL, Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, Finding

_INACTIVE_ACCOUNT_STATES = {"SUSPENDED", "PENDING_CLOSURE", "CLOSED"}


def _organization(d: Discovery, address: str, body: dict) -> Finding:
    what = "organization"
    org = d.organization
    if org is None:
        return Finding(address, what, CREATE, why="these credentials are in no organization")
    if not d.our_organization:
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"account {d.caller} is a member of organization {org['Id']}, whose management "
                f"account is {org['MasterAccountId']}: run adopt and apply with the management "
                "account's credentials (and set [management] account_id to it), or leave that "
                "organization first"
            ),
        )
    if org["FeatureSet"] != "ALL":
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"{org['Id']} has consolidated billing only; service control policies and the "
                "organization trail need all features: enable them (Organizations console → "
                "Settings), then run adopt again"
            ),
        )
    organizations = d.client("organizations")
    trusted = {
        service["ServicePrincipal"]
        for page in organizations.get_paginator(
            "list_aws_service_access_for_organization"
        ).paginate()
        for service in page["EnabledServicePrincipals"]
    }
    policy_types = {
        policy_type["Type"]
        for root in organizations.list_roots()["Roots"]
        for policy_type in root.get("PolicyTypes", [])
        if policy_type.get("Status") == "ENABLED"
    }
    extra = sorted(trusted - set(body.get("aws_service_access_principals", []))) + sorted(
        policy_types - set(body.get("enabled_policy_types", []))
    )
    if extra:
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"{org['Id']} also has {', '.join(extra)} enabled, which this foundation does not "
                "manage: its first apply would disable them (trusted access and policy types are "
                "set as a whole), breaking what uses them. Disable them yourself if nothing does, "
                "then run adopt again"
            ),
        )
    missing = sorted(set(body.get("aws_service_access_principals", [])) - trusted)
    return Finding(
        address,
        what,
        IMPORT,
        org["Id"],
        why=(f"trusted access for {', '.join(missing)} is added" if missing else ""),
    )


def _account(d: Discovery, address: str, body: dict) -> Finding:
    email, name = body["email"], body["name"]
    member = next(a for a in d.config.accounts if a.email == email)
    key = f"accounts.{member.name}.email"
    what = f"member account {email}"
    if not d.our_organization:
        return Finding(address, what, CREATE, why="created in the new organization")
    same = [a for a in d.accounts if a["Email"].lower() == email.lower()]
    if same:
        account = same[0]
        state = aws.account_state(account)
        if account["Email"] != email:
            return Finding(
                address,
                what,
                CONFLICT,
                why=(
                    f"account {account['Id']} has the e-mail {account['Email']}: write it exactly "
                    f"so as {key} in {d.config.source.name} (Terraform compares e-mails as "
                    "written; a difference would replace the account)"
                ),
            )
        if state in _INACTIVE_ACCOUNT_STATES:
            return Finding(
                address,
                what,
                CONFLICT,
                why=(
                    f"account {account['Id']} with this e-mail is {state}: a closed account cannot "
                    "be adopted, and its e-mail cannot be used for a new one; choose another "
                    f"address for {key}"
                ),
            )
        kept = f"keeps its name '{account['Name']}'" if account["Name"] != name else ""
        invited = (
            (
                "; it was invited, so it has the role "
                f"{member.role_name} only if someone created it (the {member.name} "
                "workspace assumes it)"
            )
            if account.get("JoinedMethod") == "INVITED"
            else ""
        )
        return Finding(address, what, IMPORT, account["Id"], why=kept + invited)
    named = [a for a in d.accounts if a["Name"] in (name, member.name)]
    if named:
        account = named[0]
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"account {account['Id']} is named '{account['Name']}' but has the e-mail "
                f'{account["Email"]}: set {key} = "{account["Email"]}" to adopt it; as the file '
                "stands, a second account would be created beside it"
            ),
        )
    failed = [
        s
        for s in d.failed_creations
        if s.get("AccountName") == name and s.get("FailureReason") == "EMAIL_ALREADY_EXISTS"
    ]
    if failed:
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"creating '{name}' failed before with EMAIL_ALREADY_EXISTS: {email} belongs to an "
                "AWS account outside this organization (or one closed recently). Use another "
                f"address for {key}, or invite that account into the organization"
            ),
        )
    return Finding(
        address,
        what,
        CREATE,
        why=(
            "no account of the organization has this e-mail. Whether an AWS account outside the "
            "organization uses it, no read-only API can tell: AWS then refuses the creation "
            "(EMAIL_ALREADY_EXISTS) during the apply"
        ),
    )


# How the table names each policy type of Organizations.
POLICY_KINDS = {
    "SERVICE_CONTROL_POLICY": "service control policy",
    "RESOURCE_CONTROL_POLICY": "resource control policy",
    "AISERVICES_OPT_OUT_POLICY": "AI services opt-out policy",
    "TAG_POLICY": "tag policy",
    "BACKUP_POLICY": "backup policy",
    "DECLARATIVE_POLICY_EC2": "EC2 declarative policy",
}


def _kind(policy_type: str) -> str:
    return POLICY_KINDS.get(policy_type, policy_type)


def _policy(d: Discovery, address: str, body: dict) -> Finding:
    """A policy by its name among the policies of its type (names are unique per type)."""
    name = body["name"]
    what = f"{_kind(body['type'])} {name}"
    if not d.our_organization:
        return Finding(address, what, CREATE)
    pages = d.client("organizations").get_paginator("list_policies").paginate(Filter=body["type"])
    found = next((p for page in pages for p in page["Policies"] if p["Name"] == name), None)
    return (
        Finding(address, what, IMPORT, found["Id"], why="its content is replaced by ours")
        if found
        else Finding(address, what, CREATE)
    )


def _policy_attachment(d: Discovery, address: str, body: dict) -> Finding:
    policy_id, target = d.value(body["policy_id"]), d.value(body["target_id"])
    policy = d.referenced(body["policy_id"])
    target_label = d.label(body["target_id"], "email")
    on = target_label if target_label == ROOT_LABEL else f"account {target_label}"
    what = f"{_kind(policy['type'])} {policy['name']} on {on}"
    if not (policy_id and target):
        return Finding(address, what, CREATE)
    pages = (
        d.client("organizations")
        .get_paginator("list_targets_for_policy")
        .paginate(PolicyId=policy_id)
    )
    attached = {t["TargetId"] for page in pages for t in page["Targets"]}
    return (
        Finding(address, what, IMPORT, f"{target}:{policy_id}")
        if target in attached
        else Finding(address, what, CREATE)
    )


discovers("aws_organizations_organization")(_organization)
discovers("aws_organizations_account")(_account)
discovers("aws_organizations_policy")(_policy)
discovers("aws_organizations_policy_attachment")(_policy_attachment)
