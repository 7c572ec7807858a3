"""Each member account's alias and reset choices, and the alternate contacts: read, and every
mistake reported with its key."""

from __future__ import annotations

import pytest

from foundation.config import load
from tests.helpers import EXAMPLE, write_env
from tests.unit.config_cases import (
    EMAIL,
    NAME_PREFIX,
    Unknown,
    add_account,
    problems_of,
)

# --- account aliases, alternate contacts ---------------------------------------------------

DEV_ALIAS = '# alias = "acme-dev"'
SECURITY_PHONE_AND_AFTER = 'email = "aws-security@example.com"\nphone = "+1 555 0100"'
ALIAS = (
    "an IAM account alias: 3-63 lowercase letters, digits and hyphens, not starting or "
    "ending with a hyphen, no two hyphens in a row"
)
# aws-nuke's own rule: ValidateAccount in pkg/config/config.go of rebuy-de/aws-nuke (2.x,
# "but it has the substring 'prod' in it. Aborting.") and of ekristen/aws-nuke (v3, its default
# blocklist term "prod"), both on the alias in lower case.
NO_PROD = (
    "an alias without 'prod' in it (in any letter case): aws-nuke refuses an account whose "
    "alias contains it, so every `make dev-reset` of the account would fail"
)


def test_alias_defaults_to_prefix_and_account_name_and_can_be_set(tmp_path, example_config):
    assert example_config.account("dev").alias == f"{example_config.name_prefix}-dev"
    config = load(write_env(tmp_path, (DEV_ALIAS, 'alias = "my-learning-dev"')))
    assert config.account("dev").alias == "my-learning-dev"


def test_control_regions_are_the_home_region_then_the_other_allowed_ones(example_config):
    assert example_config.control_regions == ("eu-west-1", "us-east-1")


def example_with_contacts(tables: str) -> str:
    """example.toml with `tables` in place of its contact tables."""
    text = EXAMPLE.read_text()
    return text[: text.index("[contacts.billing]")] + tables


def test_contacts_load_by_aws_type_and_are_optional(tmp_path, example_config):
    security = example_config.contacts.security
    assert (security.email, security.phone) == ("aws-security@example.com", "+1 555 0100")
    assert sorted(example_config.contacts.by_type()) == ["BILLING", "OPERATIONS", "SECURITY"]
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts(""))
    assert load(path).contacts.by_type() == {}


def test_one_contact_type_is_enough(tmp_path):
    text = EXAMPLE.read_text()
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts(text[text.index("[contacts.security]") :]))
    assert list(load(path).contacts.by_type()) == ["SECURITY"]


def test_contacts_without_any_contact_or_as_a_value_are_refused(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(example_with_contacts("[contacts]\n"))
    assert problems_of(path) == [
        "key 'contacts': expected at least one of the tables [contacts.billing], "
        "[contacts.operations], [contacts.security] (or no [contacts] at all), got {}"
    ]
    path.write_text(example_with_contacts('[contacts]\nsecurity = "alice@example.com"\n'))
    assert (
        problems_of(path)[0] == "key 'contacts.security': expected a table, got 'alice@example.com'"
    )


CONTACT_AND_ALIAS_CASES = {
    **{
        f"alias-{case}": (
            [(DEV_ALIAS, f'alias = "{alias}"')],
            [f"key 'accounts.dev.alias': expected {ALIAS}, got {alias!r}"],
        )
        for case, alias in [
            ("uppercase", "Acme-Dev"),
            ("too-short", "ab"),
            ("too-long", "a" * 64),
            ("leading-hyphen", "-acme"),
            ("trailing-hyphen", "acme-"),
            ("double-hyphen", "acme--dev"),
            ("underscore", "acme_dev"),
        ]
    },
    "alias-not-string": (
        [(DEV_ALIAS, "alias = 7")],
        [f"key 'accounts.dev.alias': expected a string ({ALIAS}), got 7"],
    ),
    "alias-default-invalid": (
        [(NAME_PREFIX, 'name_prefix = "acme-"')],
        [
            f"key 'accounts.dev.alias': expected {ALIAS}; the default '<name_prefix>-<account "
            "name>' is not one here, so set alias, got 'acme--dev'"
        ],
    ),
    "alias-with-prod": (
        [(DEV_ALIAS, 'alias = "my-Prod-sandbox"')],
        [
            f"key 'accounts.dev.alias': expected {ALIAS}, got 'my-Prod-sandbox'",
            f"key 'accounts.dev.alias': expected {NO_PROD}; set another alias, got "
            "'my-Prod-sandbox'",
        ],
    ),
    "alias-prod": (
        [(DEV_ALIAS, 'alias = "acme-prod-copy"')],
        [f"key 'accounts.dev.alias': expected {NO_PROD}; set another alias, got 'acme-prod-copy'"],
    ),
    "alias-default-with-prod": (
        [(NAME_PREFIX, 'name_prefix = "product"')],
        [
            f"key 'accounts.dev.alias': expected {NO_PROD}; the default '<name_prefix>-<account "
            "name>' has it here, so set alias, got 'product-dev'"
        ],
    ),
    "alias-twice": (
        [
            (DEV_ALIAS, 'alias = "shared-alias"'),
            add_account("test", "aws-test@example.com"),
            ("[accounts.test]\n", '[accounts.test]\nalias = "shared-alias"\n'),
        ],
        [
            "key 'accounts.test.alias': expected an alias not already used by 'accounts.dev' (an "
            "account alias is unique across all of AWS), got 'shared-alias'"
        ],
    ),
    "contact-missing-key": (
        [('phone = "+1 555 0100"\n\n[contacts.operations]', "\n[contacts.operations]")],
        ["key 'contacts.billing.phone': missing (required)"],
    ),
    "contact-typo": (
        [
            (
                'title = "Owner"\nemail = "aws-billing@example.com"',
                'titel = "Owner"\nemail = "aws-billing@example.com"',
            )
        ],
        [
            "key 'contacts.billing.title': missing (required)",
            Unknown("contacts.billing.titel", "title"),
        ],
    ),
    "contact-unknown-type": (
        [("[contacts.security]", "[contacts.secrity]")],
        [Unknown("contacts.secrity", "security")],
    ),
    "contact-email": (
        [('email = "aws-security@example.com"', 'email = "security.example.com"')],
        [f"key 'contacts.security.email': expected {EMAIL}, got 'security.example.com'"],
    ),
    "contact-phone-letters": (
        [(SECURITY_PHONE_AND_AFTER, 'email = "aws-security@example.com"\nphone = "call me"')],
        [
            "key 'contacts.security.phone': expected a phone number of digits, spaces, +, -, "
            "( and ), got 'call me'"
        ],
    ),
    "contact-phone-too-long": (
        [(SECURITY_PHONE_AND_AFTER, f'email = "aws-security@example.com"\nphone = "{"1" * 26}"')],
        [
            f"key 'contacts.security.phone': expected 1 to 25 characters (AWS limit), got "
            f"{'1' * 26!r}"
        ],
    ),
    "contact-name-empty": (
        [
            (
                'name = "Alice Example"\ntitle = "Owner"\nemail = "aws-security@example.com"',
                'name = ""\ntitle = "Owner"\nemail = "aws-security@example.com"',
            )
        ],
        ["key 'contacts.security.name': expected 1 to 64 characters (AWS limit), got ''"],
    ),
    "contact-title-too-long": (
        [
            (
                'title = "Owner"\nemail = "aws-security@example.com"',
                f'title = "{"t" * 51}"\nemail = "aws-security@example.com"',
            )
        ],
        [
            f"key 'contacts.security.title': expected 1 to 50 characters (AWS limit), got "
            f"{'t' * 51!r}"
        ],
    ),
}


@pytest.mark.parametrize(
    "edits, expected", CONTACT_AND_ALIAS_CASES.values(), ids=CONTACT_AND_ALIAS_CASES.keys()
)
def test_invalid_alias_and_contact_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected


# --- the dev reset's choices -------------------------------------------------------------------

DEV_RESET_VPC = "# reset_default_vpc = false"
DEV_RESET_KEEP = "# reset_keep = []"
RESET_KEEP = (
    'a list of resource names or ARNs to keep, such as ["my-notes-bucket"] (each '
    "3-2048 of letters, digits and +=,.@_/:#*-, each once)"
)


def test_reset_keeps_the_default_vpc_and_nothing_chosen_by_default(example_config):
    dev = example_config.account("dev")
    assert (dev.reset_default_vpc, dev.reset_keep) == (False, ())


def test_reset_choices_are_read(tmp_path):
    config = load(
        write_env(
            tmp_path,
            (DEV_RESET_VPC, "reset_default_vpc = true"),
            (
                DEV_RESET_KEEP,
                'reset_keep = ["my-notes", "arn:aws:sns:eu-west-1:222222222222:alerts"]',
            ),
        )
    )
    dev = config.account("dev")
    assert dev.reset_default_vpc is True
    assert dev.reset_keep == ("my-notes", "arn:aws:sns:eu-west-1:222222222222:alerts")


RESET_CASES = {
    "vpc-not-bool": (
        [(DEV_RESET_VPC, 'reset_default_vpc = "yes"')],
        ["key 'accounts.dev.reset_default_vpc': expected true or false, got 'yes'"],
    ),
    "keep-not-list": (
        [(DEV_RESET_KEEP, 'reset_keep = "my-notes"')],
        [f"key 'accounts.dev.reset_keep': expected {RESET_KEEP}, got 'my-notes'"],
    ),
    "keep-space": (
        [(DEV_RESET_KEEP, 'reset_keep = ["my notes"]')],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 'my notes'"],
    ),
    "keep-too-short": (
        [(DEV_RESET_KEEP, 'reset_keep = ["ab"]')],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 'ab'"],
    ),
    "keep-not-string": (
        [(DEV_RESET_KEEP, "reset_keep = [7]")],
        [f"key 'accounts.dev.reset_keep[0]': expected {RESET_KEEP}, got 7"],
    ),
    "keep-twice": (
        [(DEV_RESET_KEEP, 'reset_keep = ["my-notes", "my-notes"]')],
        ["key 'accounts.dev.reset_keep[1]': expected each name or ARN once, got 'my-notes'"],
    ),
}


@pytest.mark.parametrize("edits, expected", RESET_CASES.values(), ids=RESET_CASES.keys())
def test_invalid_reset_keys_name_key_and_expectation(tmp_path, edits, expected):
    assert problems_of(write_env(tmp_path, *edits)) == expected
