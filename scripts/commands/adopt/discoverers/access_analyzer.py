"""IAM Access Analyzer: analyzers by name."""

from __future__ import annotations

from scripts import aws
from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.discoverers import discovers
from scripts.commands.adopt.findings import CONFLICT, CREATE, IMPORT, Finding


def _analyzer(d: Discovery, address: str, body: dict) -> Finding:
    name = body["analyzer_name"]
    found = aws.unless_missing(
        lambda: d.client("accessanalyzer").get_analyzer(analyzerName=name),
        "ResourceNotFoundException",
    )
    if found and found["analyzer"]["type"] != body["type"]:
        return Finding(
            address,
            f"access analyzer {name}",
            CONFLICT,
            why=(
                f"it exists with type {found['analyzer']['type']}, not {body['type']}: Terraform "
                "would replace it; delete or rename it, then run adopt again"
            ),
        )
    return Finding(
        address, f"access analyzer {name}", IMPORT if found else CREATE, name if found else None
    )


discovers("aws_accessanalyzer_analyzer")(_analyzer)
