"""Installing the extensions (scripts/emulator/extensions/__init__.py)."""

from __future__ import annotations

from scripts.emulator import extensions


def test_installing_twice_changes_nothing(organization_with_member, organization_trail):
    """Tests install the extensions before each test: wrappers must not stack up."""
    _, member_session = organization_with_member
    organization_trail()
    extensions.install()
    assert (
        len(
            member_session.client("cloudtrail", region_name="us-east-1").describe_trails()[
                "trailList"
            ]
        )
        == 1
    )
