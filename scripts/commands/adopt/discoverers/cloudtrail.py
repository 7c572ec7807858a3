"""CloudTrail: the organization trail."""

from __future__ import annotations

from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CREATE, IMPORT, Finding


def _trail(d: Discovery, address: str, body: dict) -> Finding:
    name = body["name"]
    what = f"trail {name}"
    ours = next((t for t in d.trails if t["TrailARN"] == d.our_trail_arn()), None)
    if ours is None:
        return Finding(address, what, CREATE)
    changed = "" if ours.get("IsOrganizationTrail") else "becomes the organization trail"
    return Finding(address, what, IMPORT, ours["TrailARN"], why=changed)


discovers("aws_cloudtrail")(_trail)
