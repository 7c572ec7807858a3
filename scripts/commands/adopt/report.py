"""The table `make adopt` prints."""

from __future__ import annotations

from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, MANAGED, Adoption
from scripts.console import say

TABLE_RESOURCE_WIDTH = 56  # longer names push their row's last column out


def report(adoption: Adoption) -> None:
    shown = [f for f in adoption.findings if f.action != MANAGED]
    managed = len(adoption.findings) - len(shown)
    if shown:
        width = min(max(len(f.what) for f in shown), TABLE_RESOURCE_WIDTH)
        say(f"\n  {'ACTION':<9} {'RESOURCE':<{width}}  IMPORT ID / WHY")
        for f in shown:
            detail = " · ".join(part for part in (f.import_id, f.why) if part)
            say(f"  {f.action:<9} {f.what:<{width}}  {detail}".rstrip())
    counts = {action: len(adoption.with_action(action)) for action in (IMPORT, CREATE, CONFLICT)}
    say(
        f"\n{counts[IMPORT]} to import, {counts[CREATE]} to create, {counts[CONFLICT]} "
        f"conflict(s)" + (f", {managed} already managed." if managed else ".")
    )
    for notice in adoption.notices:
        say(f"\nNOTE: {notice}")
