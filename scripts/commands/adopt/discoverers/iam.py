"""IAM: users, groups, roles, policies, memberships, centralized root access, the password
policy."""

from __future__ import annotations

from collections.abc import Callable

from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, Finding


def _named_iam(
    kind: str,
    read: Callable[[Discovery, str], object],
    missing: str = "NoSuchEntity",
    why: str = "",
) -> Callable[[Discovery, str, dict], Finding]:
    """An IAM entity imported by its name, when the read finds it."""

    def discover(d: Discovery, address: str, body: dict) -> Finding:
        name = body["name"]
        found = aws.unless_missing(lambda: read(d, name), missing)
        return Finding(
            address,
            f"{kind} {name}",
            IMPORT if found else CREATE,
            name if found else None,
            why if found else "",
        )

    return discover


def _policy_attachment(owner: str) -> Callable[[Discovery, str, dict], Finding]:
    """A managed policy attached to a group or role (`owner`), imported as
    `<owner name>/<policy ARN>` when IAM lists it among the owner's attached policies."""

    def discover(d: Discovery, address: str, body: dict) -> Finding:
        holder, arn = d.label(body[owner], "name"), d.value(body["policy_arn"])
        what = f"policy {d.label(body['policy_arn'], 'name')} on {owner} {holder}"
        if not (d.exists(body[owner]) and arn):
            return Finding(address, what, CREATE)
        attached = {
            policy["PolicyArn"]
            for page in d.client("iam")
            .get_paginator(f"list_attached_{owner}_policies")
            .paginate(**{f"{owner.capitalize()}Name": holder})
            for policy in page["AttachedPolicies"]
        }
        return (
            Finding(address, what, IMPORT, f"{holder}/{arn}")
            if arn in attached
            else Finding(address, what, CREATE)
        )

    return discover


def _managed_policy(d: Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    what = f"IAM policy {name}"
    pages = d.client("iam").get_paginator("list_policies").paginate(Scope="Local")
    listed = next((p for page in pages for p in page["Policies"] if p["PolicyName"] == name), None)
    if listed is None:
        return Finding(address, what, CREATE)
    # ListPolicies never answers a policy's description; GetPolicy does.
    found = d.client("iam").get_policy(PolicyArn=listed["Arn"])["Policy"]
    wanted = (body.get("path", "/"), body.get("description", ""))
    if (found.get("Path", "/"), found.get("Description", "")) != wanted:
        return Finding(
            address,
            what,
            CONFLICT,
            why=(
                f"{found['Arn']} exists with another path or description, which Terraform can "
                "only change by replacing the policy (detaching it from its groups meanwhile): "
                "delete it or rename it, then run adopt again"
            ),
        )
    return Finding(address, what, IMPORT, found["Arn"], why="its document is replaced by ours")


def _inline_policy(owner: str, read: str) -> Callable[[Discovery, str, dict], Finding]:
    """An inline policy of a group or role (`owner`), imported as `<owner name>:<policy name>`
    when IAM's `read` (get_group_policy, get_role_policy) finds it."""

    def discover(d: Discovery, address: str, body: dict) -> Finding:
        holder, name = d.label(body[owner], "name"), body["name"]
        what = f"inline policy {name} of {owner} {holder}"
        found = d.exists(body[owner]) and aws.unless_missing(
            lambda: getattr(d.client("iam"), read)(
                **{f"{owner.capitalize()}Name": holder, "PolicyName": name}
            ),
            "NoSuchEntity",
        )
        return (
            Finding(address, what, IMPORT, f"{holder}:{name}", why="its document is replaced")
            if found
            else Finding(address, what, CREATE)
        )

    return discover


def _group_membership(d: Discovery, address: str, body: dict) -> Finding:
    user = d.value(body["user"])
    groups = [d.value(group) for group in body["groups"]]
    what = f"group memberships of {user}"
    if not d.exists(body["user"]):
        return Finding(address, what, CREATE)
    joined = {
        group["GroupName"]
        for page in d.client("iam").get_paginator("list_groups_for_user").paginate(UserName=user)
        for group in page["Groups"]
    }
    ours = [group for group in groups if group in joined]
    if not ours:
        return Finding(address, what, CREATE)
    added = [group for group in groups if group not in joined]
    return Finding(
        address,
        what,
        IMPORT,
        "/".join([user, *ours]),
        why=f"joins {', '.join(added)} too" if added else "",
    )


def _organizations_features(d: Discovery, address: str, body: dict) -> Finding:
    what = "centralized root access"
    if not d.our_organization:
        return Finding(address, what, CREATE)
    found = aws.unless_missing(
        lambda: d.client("iam").list_organizations_features(),
        "ServiceAccessNotEnabledException",
        "OrganizationNotFoundException",
    )
    if found and found.get("EnabledFeatures"):
        return Finding(
            address,
            what,
            IMPORT,
            d.organization["Id"],
            why=f"enabled: {', '.join(found['EnabledFeatures'])}",
        )
    return Finding(address, what, CREATE)


def _service_linked_role(d: Discovery, address: str, body: dict) -> Finding:
    service = body["aws_service_name"]
    what = f"service-linked role of {service}"
    pages = (
        d.client("iam")
        .get_paginator("list_roles")
        .paginate(PathPrefix=f"/aws-service-role/{service}/")
    )
    found = next((role for page in pages for role in page["Roles"]), None)
    return Finding(address, what, IMPORT, found["Arn"]) if found else Finding(address, what, CREATE)


def _password_policy(d: Discovery, address: str, body: dict) -> Finding:
    found = aws.unless_missing(
        lambda: d.client("iam").get_account_password_policy(), "NoSuchEntity"
    )
    return Finding(
        address,
        "account password policy",
        IMPORT if found else CREATE,
        "iam-account-password-policy" if found else None,
        "replaced by the CIS policy" if found else "",
    )


discovers("aws_iam_organizations_features")(_organizations_features)
discovers("aws_iam_user")(
    _named_iam(
        "IAM user",
        lambda d, name: d.client("iam").get_user(UserName=name),
        why="its password, access keys and MFA stay as they are",
    )
)
discovers("aws_iam_group")(
    _named_iam("IAM group", lambda d, name: d.client("iam").get_group(GroupName=name))
)
discovers("aws_iam_role")(
    _named_iam(
        "IAM role",
        lambda d, name: d.client("iam").get_role(RoleName=name),
        why="its trust policy is replaced by ours",
    )
)
discovers("aws_iam_policy")(_managed_policy)
discovers("aws_iam_group_policy")(_inline_policy("group", "get_group_policy"))
discovers("aws_iam_role_policy")(_inline_policy("role", "get_role_policy"))
discovers("aws_iam_group_policy_attachment")(_policy_attachment("group"))
discovers("aws_iam_role_policy_attachment")(_policy_attachment("role"))
discovers("aws_iam_user_group_membership")(_group_membership)
discovers("aws_iam_service_linked_role")(_service_linked_role)
discovers("aws_iam_account_password_policy")(_password_policy)
