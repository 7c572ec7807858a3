"""The organization's management policies, attached to the root so every account inherits them:
the AI services opt-out policy, the tag policy, and the EC2 declarative policy. They are not IAM
policy language: each is a document of AWS's inheritance operators (@@assign, ...) for one policy
type (Organizations User Guide, "Policy syntax and inheritance for management policy types").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_NO_CHILD_OVERRIDE = {"@@operators_allowed_for_child_policies": ["@@none"]}


def ai_services_opt_out() -> dict[str, Any]:
    """Every current and future AWS AI service ("default") opted out of storing and using the
    organization's content; no policy lower in the organization can opt back in, not even for
    one service (hence the lock on "services" itself, as in AWS's example)."""
    return {
        "services": {
            **_NO_CHILD_OVERRIDE,
            "default": {
                **_NO_CHILD_OVERRIDE,
                "opt_out_policy": {**_NO_CHILD_OVERRIDE, "@@assign": "optOut"},
            },
        }
    }


def tag_policy(tags: dict[str, Iterable[str]]) -> dict[str, Any]:
    """A tag policy fixing each key's capitalization and its allowed values ({key: values}).
    Nothing is enforced ("enforced_for" is absent): non-compliant tags are only reported."""
    return {
        "tags": {
            key.lower(): {
                "tag_key": {"@@assign": key},
                "tag_value": {"@@assign": sorted(set(values))},
            }
            for key, values in sorted(tags.items())
        }
    }


# EC2's account-level protections as AWS's declarative policy for EC2 sets them in every account
# and region of the organization ("Declarative policy syntax and examples", Organizations User
# Guide): attribute -> its settings. The hop limit of 2 is what AWS recommends beside required
# tokens (one hop more for containers on the instance).
EC2_BASELINE = {
    "image_block_public_access": {"state": "block_new_sharing"},
    "snapshot_block_public_access": {"state": "block_all_sharing"},
    "instance_metadata_defaults": {
        "http_tokens": "required",
        "http_put_response_hop_limit": "2",
        "http_endpoint": "no_preference",
        "instance_metadata_tags": "no_preference",
    },
    "serial_console_access": {"status": "disabled"},
}
EC2_EXCEPTION_MESSAGE = (
    "Refused by the organization's EC2 declarative policy (docs/guardrails.md): no public AMIs or "
    "snapshots, IMDSv2 by default, no serial console."
)


def ec2_declarative_policy() -> dict[str, Any]:
    """The EC2 baseline of every account, which no account can change (a declarative policy is
    enforced in EC2's control plane, not by IAM), with the message a refused call shows."""
    return {
        "ec2_attributes": {
            "exception_message": {"@@assign": EC2_EXCEPTION_MESSAGE},
            **{
                attribute: {name: {"@@assign": value} for name, value in settings.items()}
                for attribute, settings in EC2_BASELINE.items()
            },
        }
    }
