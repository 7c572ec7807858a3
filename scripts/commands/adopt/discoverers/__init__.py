"""One discoverer per resource type of the management stack, one module per AWS service: each
decides, read-only, whether a resource of its type already exists (`discovers` registers it for
its types where it is written)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from scripts.commands.adopt.context import Discovery
from scripts.commands.adopt.findings import Finding

Discoverer = Callable[[Discovery, str, dict], Finding]
DISCOVERERS: dict[str, Discoverer] = {}


def discovers(*resource_types: str) -> Callable[[Discoverer], Discoverer]:
    """Registers a discoverer for `resource_types` (Terraform resource types)."""

    def register(discoverer: Discoverer) -> Discoverer:
        for resource_type in resource_types:
            DISCOVERERS[resource_type] = discoverer
        return discoverer

    return register


def loaded() -> dict[str, Discoverer]:
    """Every discoverer, by the resource type it decides."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return DISCOVERERS
