"""What a caller of the dev reset made in the account itself (`make demo`'s click-ops), so that
the reset deletes that unasked and leaves the rest to whoever made it: the person is asked about
it at a terminal, and without one it is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from scripts.commands import nuke_config
from scripts.console import Aborted, confirm, say
from scripts.guard import approval


class Printed(Protocol):
    """A resource as aws-nuke prints it (scripts/commands/dev_reset.py `Listed`)."""

    region: str
    resource_type: str
    name: str


@dataclass(frozen=True)
class MadeBy:
    """What `who` (such as "make demo") made, each as (aws-nuke resource type, the last part of
    the name aws-nuke prints: a queue's, topic's or user's own name)."""

    who: str
    resources: frozenset[tuple[str, str]]

    def made(self, listed: Printed) -> bool:
        return (listed.resource_type, re.split(r"[/:]", listed.name)[-1]) in self.resources

    def spared(self, doomed: list, alias: str, account_id: str) -> list:
        """What of `doomed` `who` did not make and the person does not want deleted: asked at a
        terminal (typing the alias deletes it too), all of it without one."""
        others = [listed for listed in doomed if not self.made(listed)]
        if not others:
            return []
        say(f"      {len(others)} of them were not made by {self.who}:")
        for listed in others:
            say(f"        {listed.region}  {listed.resource_type}  {listed.name}")
        if not approval.at_a_terminal():
            say(
                "      No terminal to ask whether to delete them too, so they are kept; "
                "`make dev-reset` deletes them (it asks first)."
            )
            return others
        try:
            confirm(
                f"Delete these {len(others)} too? Enter keeps them.",
                alias,
                also=account_id,
                asked="the account alias",
                auto_approve=False,
                skipped="",
                unchanged="they are kept",
            )
        except Aborted:
            say(f"      Kept: the {len(others)} resource(s) not made by {self.who}.")
            return others
        return []

    def keep(self, listed: Printed) -> nuke_config.Keep:
        """An aws-nuke filter keeping `listed`: by the name aws-nuke prints, or, for a type it
        prints no name for, the whole type (aws-nuke then matches every one of them)."""
        reason = f"not made by {self.who}: kept"
        if listed.name:
            return nuke_config.Keep(listed.resource_type, listed.name, reason)
        return nuke_config.Keep(listed.resource_type, "*", reason, "glob")
