"""What adopt decides for each resource of the management stack."""

from __future__ import annotations

from dataclasses import dataclass, field

IMPORT = "import"
CREATE = "create"
CONFLICT = "conflict"
MANAGED = "managed"


@dataclass(frozen=True)
class Finding:
    address: str
    what: str
    action: str
    import_id: str | None = None
    why: str = ""


@dataclass
class Adoption:
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def with_action(self, action: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.action == action]
