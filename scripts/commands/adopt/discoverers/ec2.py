"""EC2: EBS encryption by default, a setting of each region."""

from __future__ import annotations

from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CREATE, IMPORT, Finding


def _ebs_encryption_by_default(d: Discovery, address: str, body: dict) -> Finding:
    """On, it is imported (the provider's id is the region); off, the apply turns it on."""
    what = f"EBS encryption by default in {d.region}"
    enabled = d.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
    return Finding(address, what, IMPORT, d.region) if enabled else Finding(address, what, CREATE)


discovers("aws_ebs_encryption_by_default")(_ebs_encryption_by_default)
