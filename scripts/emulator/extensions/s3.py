"""S3: bucket policies evaluated with their conditions; a suspended bucket's delete markers
deletable."""

from __future__ import annotations

import fnmatch
import json

from scripts.emulator.extensions.registry import extension


def _request_is_secure() -> bool:
    """Whether the request being served came over TLS (in-process mocks count as TLS)."""
    from flask import has_request_context, request

    return request.is_secure if has_request_context() else True


_OPERATORS = {
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
}


def condition_holds(condition: dict, context: dict[str, str]) -> bool:
    """IAM condition evaluation for the operators bucket policies here use. A key missing from
    the request context fails the test (…IfExists: passes); an unknown operator fails too."""
    for operator, tests in condition.items():
        name, if_exists = (
            (operator[:-8], True) if operator.endswith("IfExists") else (operator, False)
        )
        compare = _OPERATORS.get(name)
        for key, expected in tests.items():
            expected_values = expected if isinstance(expected, list) else [expected]
            if key not in context:
                if if_exists:
                    continue
                return False
            if compare is None or not any(compare(context[key], str(e)) for e in expected_values):
                return False
    return True


@extension
def evaluate_bucket_policy_conditions() -> None:
    """S3 bucket policies: a statement applies only when its Condition holds.

    moto treats any statement whose condition it cannot match as an explicit deny, so the
    foundation's `Deny s3:* unless aws:SecureTransport` blocked every object request. Here
    conditions are evaluated against the request (aws:SecureTransport from the connection)."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(bucket, action: str, resource: str):
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(bucket.policy)["Statement"]
        context = {"aws:SecureTransport": "true" if _request_is_secure() else "false"}
        result = PermissionResult.NEUTRAL
        for statement in statements if isinstance(statements, list) else [statements]:
            if not condition_holds(statement.get("Condition", {}), context):
                continue
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            permission = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if permission == PermissionResult.DENIED:
                return permission
            if permission == PermissionResult.PERMITTED:
                result = permission
        return result

    FakeBucket.get_permission = get_permission


@extension
def delete_markers_removable_once_versioning_is_suspended() -> None:
    """Deleting a key whose versions include a delete marker, in a bucket whose versioning is
    suspended, works as on AWS
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectsfromVersioningSuspendedBuckets.html).
    A destroy suspends the versioning before `force_destroy` empties the bucket, and moto 5.2.5
    then disposes of every version of the key, which a delete marker cannot (AttributeError,
    answered 500; the provider repeats it for minutes): a delete marker holds no data, so
    disposing of it is nothing to do."""
    from moto.s3.models import FakeDeleteMarker

    FakeDeleteMarker.dispose = lambda marker, garbage=False: None
