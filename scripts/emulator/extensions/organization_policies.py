"""AWS Organizations' authorization policies, enforced: every request a member account's
principal makes is evaluated against the service control policies (SCPs) in effect for its
account, and every request to a member account's resource against the resource control policies
(RCPs), before moto serves it, as AWS's policy evaluation logic does. An action moto lacks is
denied too: the request never reaches moto.

AWS's rules, each with its page (IAM User Guide unless said otherwise):
- SCPs restrict the principals of member accounts only: not the management account's, not
  service-linked roles (Organizations User Guide, "Service control policies (SCPs)").
- An explicit deny anywhere wins; otherwise every level, from the root through each OU to the
  account, must allow the action, as AWS's FullAWSAccess does where it is attached
  (Organizations User Guide, "SCP evaluation"; "Policy evaluation logic").
- RCPs restrict requests to the resources of member accounts, of the services they support
  (here those whose resource a request names: S3, SQS, KMS, Secrets Manager, STS AssumeRole),
  whoever makes them; never the management account's resources, never service-linked roles
  (Organizations User Guide, "Resource control policies (RCPs)").
- Action/NotAction and Resource/NotResource match case-insensitively (ARNs: case-sensitively,
  each of the six parts on its own) with `*` and `?` anywhere ("IAM JSON policy elements: Action";
  "SCP syntax": full IAM language since Sept 2025).
- A condition key absent from the request fails a condition, but a negated operator
  (StringNotEquals, ArnNotLike, ...) then holds, and so does any ...IfExists; several values of
  one key are ORed, NORed for a negated operator ("IAM JSON policy elements: Condition
  operators"; "Conditions with multiple context keys or values").
- The keys a request carries: aws:PrincipalArn (the role, not the session, for a role session),
  aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalType, aws:PrincipalIsAWSService,
  aws:userid (a role session's "<role id>:<session name>", a user's id, the root user's account),
  aws:RequestedRegion (the region the request is signed for), aws:SecureTransport, and
  aws:AssumedRoot in a root session only ("AWS global condition context keys").
- sts:GetCallerIdentity needs no permission and no policy denies it (STS API reference).
- A denial names the principal, the action, the resource when known and the policy type: "User:
  ARN is not authorized to perform: ACTION [on resource: ARN] with an explicit deny in a service
  control policy", or "because no service control policy allows the ACTION action"
  ("Troubleshoot access denied error messages").

How the emulator knows who asks: credentials that belong to an IAM user or a role session (moto
makes both) are theirs; any other credentials act as the root user of the account they land in
(moto's default account, or the one `x-moto-account-id` names, as in moto itself).

Of moto it reuses the access keys (who asks), the service router and S3's ACTION_MAP (what is
asked) and the serializer (the denial's format); not the statement matching of
moto/iam/access_control.py, which takes a condition it cannot meet for a deny and matches actions
case-sensitively, without `?`.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import dataclass, field

from scripts.emulator.extensions.organizations import organization_of, policies_in_effect
from scripts.emulator.extensions.registry import extension, wrap

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
_POLICY_NAMES = {SCP: "service control policy", RCP: "resource control policy"}
EXPLICIT, IMPLICIT = "explicit", "implicit"
DENIED_STATUS = 403

# Signing names whose IAM action prefix differs (Service Authorization Reference).
_IAM_PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "s3control": "s3"}
# S3 operations whose permission has another name ("Required permissions for Amazon S3 API
# operations", S3 User Guide), where moto's own ACTION_MAP (below) does not give it.
_S3_PERMISSIONS = {"HeadBucket": "ListBucket"}
_S3_CONTROL_PERMISSIONS = {
    "GetPublicAccessBlock": "GetAccountPublicAccessBlock",
    "PutPublicAccessBlock": "PutAccountPublicAccessBlock",
    "DeletePublicAccessBlock": "PutAccountPublicAccessBlock",
}
_S3_CONTROL_PATH = "v20180820/"
_FREE_FOR_EVERYONE = {"sts:GetCallerIdentity"}
_SERVICE_LINKED_ROLE = ":role/aws-service-role/"


@dataclass(frozen=True)
class Principal:
    account: str
    arn: str  # aws:PrincipalArn
    caller: str  # what a denial names: the session of a role
    kind: str  # aws:PrincipalType: Account (the root user), User, AssumedRole
    service_linked: bool = False
    userid: str = ""  # aws:userid


@dataclass(frozen=True)
class Request:
    action: str
    resource: str | None  # its ARN, when the emulator knows it
    context: dict[str, str] = field(default_factory=dict)


# --- evaluation ----------------------------------------------------------------------------------


def decision(levels: list[list[dict]], request: Request) -> str | None:
    """None when the policies of every level allow the request; EXPLICIT when a statement denies
    it; IMPLICIT when some level allows it nowhere."""
    statements = [
        [s for document in level for s in _listed(document["Statement"])] for level in levels
    ]
    if any(s["Effect"] == "Deny" and applies(s, request) for level in statements for s in level):
        return EXPLICIT
    if not all(
        any(s["Effect"] == "Allow" and applies(s, request) for s in level) for level in statements
    ):
        return IMPLICIT
    return None


def applies(statement: dict, request: Request) -> bool:
    if statement.get("Principal", "*") not in ("*", {"AWS": "*"}):
        raise NotImplementedError(f"a policy Principal other than '*': {statement['Principal']}")
    if "NotAction" in statement:
        acts = not _any_match(statement["NotAction"], request.action, ignore_case=True)
    else:
        acts = _any_match(statement["Action"], request.action, ignore_case=True)
    if "NotResource" in statement:
        on = request.resource is not None and not any(
            _arn_like(request.resource, p) for p in _listed(statement["NotResource"])
        )
    else:
        patterns = _listed(statement.get("Resource", "*"))
        on = "*" in patterns or (
            request.resource is not None and any(_arn_like(request.resource, p) for p in patterns)
        )
    return acts and on and conditions_hold(statement.get("Condition", {}), request.context)


def conditions_hold(condition: dict, context: dict[str, str]) -> bool:
    """Every operator, every key of it, holds (IAM condition evaluation)."""
    return all(
        _holds(operator, key, expected, context)
        for operator, tests in condition.items()
        for key, expected in tests.items()
    )


def _holds(operator: str, key: str, expected, context: dict[str, str]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(expected)]
    if name == "Null":
        return (key not in context) == (values[0].lower() == "true")
    negated = name in _NEGATIONS
    match = _MATCHERS.get(_NEGATIONS.get(name, name))
    if match is None:
        raise NotImplementedError(f"the condition operator {operator}")
    if key not in context:
        return if_exists or negated
    actual = _listed(context[key])
    if qualifier == "ForAllValues":
        matched = all(any(match(a, v) for v in values) for a in actual)
    else:
        matched = any(match(a, v) for a in actual for v in values)
    return matched != negated


def _any_match(patterns, text: str, *, ignore_case: bool = False) -> bool:
    return any(_wildcard(p, ignore_case).fullmatch(text) for p in _listed(patterns))


@functools.cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def _arn_like(arn: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    parts, wanted = arn.split(":", 5), pattern.split(":", 5)
    return len(parts) == len(wanted) == 6 and all(
        _wildcard(w, False).fullmatch(p) for p, w in zip(parts, wanted, strict=True)
    )


_MATCHERS = {
    "StringEquals": lambda actual, value: actual == value,
    "StringEqualsIgnoreCase": lambda actual, value: actual.lower() == value.lower(),
    "StringLike": lambda actual, value: bool(_wildcard(value, False).fullmatch(actual)),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda actual, value: actual.lower() == value.lower(),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def denial_message(
    principal: Principal | None, request: Request, policy_type: str, how: str
) -> str:
    who = principal.caller if principal else "anonymous"
    on = f" on resource: {request.resource}" if request.resource else ""
    name = _POLICY_NAMES[policy_type]
    why = (
        f"with an explicit deny in a {name}"
        if how == EXPLICIT
        else f"because no {name} allows the {request.action} action"
    )
    return f"User: {who} is not authorized to perform: {request.action}{on} {why}"


# --- the request, as the emulator sees it -----------------------------------------------------


def caller(access_key: str, account_header: str | None) -> Principal:
    """Who signs with `access_key`: an IAM user, a role session, else the account's root user."""
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    account = account_header or get_account_id_from(access_key)
    key = iam_backends[account]["aws"].access_keys.get(access_key)
    if key is not None and key.role_arn:
        session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        role = key.role_arn.split("/")[-1]
        session_name = session.session_name if session else role
        return Principal(
            account,
            key.role_arn,
            f"arn:aws:sts::{account}:assumed-role/{role}/{session_name}",
            "AssumedRole",
            service_linked=_SERVICE_LINKED_ROLE in key.role_arn,
            userid=session.user_id if session else "",
        )
    users = iam_backends[account]["aws"].users
    if key is not None and key.user_name:
        arn = f"arn:aws:iam::{account}:user/{key.user_name}"
        user = users.get(key.user_name)
        return Principal(account, arn, arn, "User", userid=user.id if user else "")
    root = f"arn:aws:iam::{account}:root"
    return Principal(account, root, root, "Account", userid=account)


def signature(request) -> tuple[str, str, str] | None:
    """(access key, region, signing service) of a SigV4 request, in its header or its URL."""
    header = request.headers.get("Authorization", "")
    found = re.search(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/", header)
    if found is None:
        credential = request.args.get("X-Amz-Credential", "").split("/")
        return (credential[0], credential[2], credential[3]) if len(credential) == 5 else None
    return found.group(1), found.group(2), found.group(3)


def iam_action(service: str, signing_service: str, request) -> str:
    """The IAM action a request asks for: <prefix>:<API operation>, S3's from moto's ACTION_MAP."""
    prefix = _IAM_PREFIXES.get(signing_service, signing_service)
    if service == "s3":
        return f"s3:{_s3_permission(request)}"
    request.get_data(cache=True)  # kept for moto, which reads the body after the form
    operation = (
        request.values.get("Action") or request.headers.get("X-Amz-Target", "").split(".")[-1]
    )
    if not operation:
        from moto.core.responses import BaseResponse
        from moto.core.routing import NotFound, get_service_router

        try:
            found, _ = get_service_router(BaseResponse(service).boto3_service_name).match(request)
            operation = found.name
        except (NotFound, NotImplementedError):
            operation = f"{request.method} {request.path}"
    if service == "s3control":
        operation = _S3_CONTROL_PERMISSIONS.get(operation, operation)
    return f"{prefix}:{operation}"


def _s3_bucket_and_key(request) -> tuple[str | None, str]:
    """The bucket and key of an S3 request, path-style or virtual-hosted (`<bucket>.127.0.0.1`,
    through the subdomain tunnel); no bucket for an S3 Control request, which reaches moto's S3
    the same way (`<account id>.127.0.0.1`)."""
    host = request.host.split(":")[0]
    path = request.path.lstrip("/")
    if path.startswith(_S3_CONTROL_PATH):
        return None, ""
    if host.count(".") > 3 or not re.fullmatch(r"[\d.]+|localhost", host):  # virtual-hosted
        return host.split(".")[0], path
    bucket, _, key = path.partition("/")
    return bucket or None, key


def _s3_permission(request) -> str:
    from moto.s3.responses import ACTION_MAP

    bucket, key = _s3_bucket_and_key(request)
    if request.path.lstrip("/").startswith(_S3_CONTROL_PATH):
        by_path = ACTION_MAP["CONTROL"].get(request.method, {})
        action = next((a for part, a in by_path.items() if part in request.path), None)
        return _S3_CONTROL_PERMISSIONS.get(action, action or request.method)
    if bucket is None:
        return "ListAllMyBuckets"
    if request.method == "POST" and not key:
        return "DeleteObject" if "delete" in request.args else "PutObject"
    by_query = ACTION_MAP["KEY" if key else "BUCKET"].get(request.method, {})
    action = next((a for q, a in by_query.items() if q in request.args), by_query.get("DEFAULT"))
    return _S3_PERMISSIONS.get(action, action or f"{request.method}Object")


def resource_of(service: str, request, account: str, region: str) -> tuple[str | None, str | None]:
    """(the resource's ARN, the account owning it) where the request names one the emulator can
    place: an S3 bucket or object, an SQS queue, a KMS key, a secret, a role."""
    if service == "s3":
        from moto.s3.models import s3_backends

        bucket, key = _s3_bucket_and_key(request)
        if bucket is None:
            return None, None
        owner = s3_backends.bucket_accounts.get(bucket, (None, account))[1]
        return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else ""), owner
    params = {**request.values.to_dict(), **_json_body(request)}
    if service == "sqs" and params.get("QueueUrl"):
        owner, name = params["QueueUrl"].rstrip("/").split("/")[-2:]
        return f"arn:aws:sqs:{region}:{owner}:{name}", owner
    if service == "sqs" and params.get("QueueName"):
        return f"arn:aws:sqs:{region}:{account}:{params['QueueName']}", account
    named = params.get(
        {"kms": "KeyId", "secretsmanager": "SecretId", "sts": "RoleArn"}.get(service, "")
    )
    if named and named.startswith("arn:"):
        return named, named.split(":")[4]
    if named and service == "kms":
        return f"arn:aws:kms:{region}:{account}:key/{named}", account
    if named and service == "secretsmanager":
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{named}", account
    if service == "iam" and params.get("RoleName"):
        return f"arn:aws:iam::{account}:role/{params['RoleName']}", account
    return None, None


def _json_body(request) -> dict:
    if "json" not in (request.content_type or ""):
        return {}
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# --- enforcement ---------------------------------------------------------------------------------


def _levels_for(account: str, policy_type: str) -> tuple[list[list[dict]] | None, str | None]:
    """The policies of `policy_type` in effect for a member account, and the account's
    organization id; (None, id) for the management account or a type not enabled."""
    found = organization_of(account)
    if found is None:
        return None, None
    backend, is_management = found
    levels = None if is_management else policies_in_effect(backend, account, policy_type)
    return levels, backend.org.id


def denial(service: str, request) -> tuple[str, str, Principal | None, Request] | None:
    """(policy type, EXPLICIT or IMPLICIT, principal, request) when an SCP or an RCP denies the
    request being served; None when none does."""
    signed = signature(request)
    principal = caller(signed[0], request.headers.get("x-moto-account-id")) if signed else None
    region, signing_service = (signed[1], signed[2]) if signed else ("us-east-1", service)
    scps, organization_id = (None, None)
    if principal is not None:
        scps, organization_id = _levels_for(principal.account, SCP)
        if principal.service_linked:
            scps = None
    covered_by_rcps = service in ("s3", "sqs", "kms", "secretsmanager", "sts")
    if scps is None and not covered_by_rcps:
        return None
    context = {"aws:RequestedRegion": region, "aws:SecureTransport": str(request.is_secure).lower()}
    if principal is not None:
        context |= {
            "aws:PrincipalArn": principal.arn,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalType": principal.kind,
            "aws:PrincipalIsAWSService": "false",
            "aws:userid": principal.userid,
        }
        context |= {"aws:PrincipalOrgID": organization_id} if organization_id else {}
    action = iam_action(service, signing_service, request)
    if action in _FREE_FOR_EVERYONE:
        return None
    resource, owner = resource_of(service, request, principal.account if principal else "", region)
    asked = Request(action, resource, context)
    if scps is not None and (how := decision(scps, asked)):
        return SCP, how, principal, asked
    if covered_by_rcps and owner and not (principal and principal.service_linked):
        rcps, _ = _levels_for(owner, RCP)
        if rcps is not None and (how := decision(rcps, asked)):
            return RCP, how, principal, asked
    return None


def _denied_response(service: str, found: tuple):
    """The denial in the service's own error format (moto's serializer), HTTP 403: code
    UnauthorizedOperation for EC2, AccessDeniedException for JSON protocols, AccessDenied
    otherwise, as those services answer."""
    from flask import request
    from moto.core.exceptions import ServiceException
    from moto.core.request import normalize_request
    from moto.core.responses import ActionResult, BaseResponse
    from moto.core.utils import get_service_model

    response = BaseResponse(service_name=service)
    protocol = get_service_model(response.boto3_service_name).protocol
    code = {"ec2": "UnauthorizedOperation", "json": "AccessDeniedException"}.get(
        protocol.removeprefix("rest-"), "AccessDenied"
    )
    message = denial_message(*found[2:], *found[:2])

    class Denied(ServiceException):
        pass

    print(f"{DENIED_STATUS} {code}: {message}", file=sys.stderr, flush=True)
    response.setup_class(normalize_request(request))
    _, headers, body = response.serialized(ActionResult(Denied(code, message)))
    return body, DENIED_STATUS, headers


@extension
def organization_policies_enforced() -> None:
    """Every request the server serves is first evaluated against the organization's SCPs and
    RCPs (see this module's docstring); a denied one answers 403 before moto handles it, in the
    service's error format, and the server log gets the same line."""
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    registering = threading.Lock()

    def enforcing(get_application):
        def get_enforcing_application(dispatcher, environ):
            app = get_application(dispatcher, environ)
            with registering:
                if not getattr(app, "enforces_organization_policies", False):
                    app.before_request(functools.partial(_enforce, app.service))
                    app.enforces_organization_policies = True
            return app

        return get_enforcing_application

    wrap(DomainDispatcherApplication, "get_application", enforcing)


def _enforce(service: str):
    from flask import request

    found = denial(service, request)
    return _denied_response(service, found) if found else None
