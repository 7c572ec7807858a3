"""What aws-nuke printed, read back: each resource with its last state, and the resource types
it could not list.

rebuy-de's 2.x prints `region - Type - name - [properties] - state` lines on stdout and its errors
(`Listing <Type> failed: ...`, no region) through logrus on stderr (cmd/queue.go, cmd/scan.go).
ekristen's v3, run with `--log-format json`, prints one JSON object a line: `owner` (the region),
`type`, `name`, `prop:<property>` and the state as `msg` for a resource, `resource_type` and
`owner` with a `listing failed` error (libnuke pkg/queue/item.go, pkg/scanner/scanner.go).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

WOULD_REMOVE = "would remove"
REMOVED = "removed"
FILTERED_BY_CONFIG = "filtered by config"
# v3 says "filtered: <reason>" where 2.x says the reason alone.
_V3_FILTERED = "filtered: "
_REGION = re.compile(r"[a-z]+(-[a-z]+)*(-\d)?")
_PROPERTY = re.compile(r'([\w:./@+=-]+): "((?:[^"\\]|\\.)*)"')
_LISTING_FAILED_2 = re.compile(r"Listing (\w+) failed:(?:\\n|\s)+(?:\\t|\s)*([\w.-]+)")
_STATES = (WOULD_REMOVE, REMOVED, "failed", "triggered remove", "waiting")


@dataclass(frozen=True)
class Listed:
    """One resource line of aws-nuke's output."""

    region: str
    resource_type: str
    name: str
    properties: dict[str, str] = field(hash=False, compare=False)
    status: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.region, self.resource_type, self.name

    @property
    def kept(self) -> bool:
        return not any(self.status.startswith(state) for state in _STATES)


@dataclass
class Run:
    """One aws-nuke run read back: every resource at its last state, and (type, region or "",
    error code) of each listing that failed."""

    resources: dict[tuple[str, str, str], Listed] = field(default_factory=dict)
    listing_failures: set[tuple[str, str, str]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @property
    def doomed(self) -> list[Listed]:
        return [r for r in self.resources.values() if r.status.startswith(WOULD_REMOVE)]

    @property
    def kept(self) -> list[Listed]:
        return [r for r in self.resources.values() if r.kept]

    @property
    def removed(self) -> list[Listed]:
        return [r for r in self.resources.values() if r.status == REMOVED]

    @property
    def left(self) -> list[Listed]:
        """What a deletion run did not get to remove."""
        return [r for r in self.resources.values() if not r.kept and r.status != REMOVED]

    def read(self, line: str, *, v3: bool) -> str | None:
        """Take in one line of stdout or stderr; returns a progress message worth showing."""
        if v3 and line.startswith("{"):
            return self._read_json(line)
        if "level=" in line:
            failed = _LISTING_FAILED_2.search(line)
            if failed:
                self.listing_failures.add((failed[1], "", failed[2]))
            elif "level=error" in line:
                self.errors.append(_message(line))
            return None
        self._read_text(line.rstrip("\n"))
        return line.strip() if line.startswith(("Removal requested", "Nuke complete")) else None

    def _read_text(self, line: str) -> None:
        parts = line.split(" - ")
        if len(parts) < 3 or not _REGION.fullmatch(parts[0]):
            return
        properties: dict[str, str] = {}
        middle = parts[2:-1]
        if middle and middle[-1].startswith("["):
            properties = dict(_PROPERTY.findall(middle[-1]))
            middle = middle[:-1]
        self._take(Listed(parts[0], parts[1], " - ".join(middle), properties, parts[-1]))

    def _read_json(self, line: str) -> str | None:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            return None
        message = str(entry.get("msg", ""))
        if "resource_type" in entry and message.startswith("listing failed"):
            error = str(entry.get("error", message))
            # aws-sdk-go v2 says "… api error <Code>: …", v1 "<Code>: …".
            code = re.search(r"api error (\w+)", error) or re.search(r"([A-Z]\w+):", error)
            self.listing_failures.add(
                (entry["resource_type"], entry.get("owner", ""), code[1] if code else "error")
            )
            return None
        if entry.get("level") == "error":
            self.errors.append(message)
            return None
        if "type" in entry and "owner" in entry and "state" in entry:
            properties = {
                key.removeprefix("prop:"): str(value)
                for key, value in entry.items()
                if key.startswith("prop:")
            }
            name = str(entry.get("name") or properties.get("Name") or properties.get("ID", ""))
            status = message.removeprefix(_V3_FILTERED)
            self._take(Listed(entry["owner"], entry["type"], name, properties, status))
            return None
        return message if message.startswith(("Removal requested", "Nuke complete")) else None

    def _take(self, listed: Listed) -> None:
        self.resources[listed.key] = listed


def _message(logrus_line: str) -> str:
    """The msg of a logrus text line, unescaped."""
    found = re.search(r'msg="((?:[^"\\]|\\.)*)"', logrus_line)
    text = found[1] if found else logrus_line
    return text.replace("\\n", " ").replace('\\"', '"').strip()
