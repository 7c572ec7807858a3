"""What the local emulator adds to moto so the real stacks apply unchanged, one module per AWS
service.

Each extension is small, named after the AWS behaviour it supplies, registered where it is written
(`@extension`, registry.py), tested in tests/emulator/extensions/ under its service's name and
listed in docs/emulator.md. `install()` runs in the server process before moto serves its first
request.
"""

from __future__ import annotations

import importlib
import pkgutil

from scripts.emulator.extensions.registry import EXTENSIONS


def install() -> None:
    """Every extension of every service module, in the order the modules are named and each
    module's in the order it is written."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda found: found.name):
        importlib.import_module(f"{__name__}.{module.name}")
    for extension in EXTENSIONS:
        extension()
