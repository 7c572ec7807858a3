"""The imports `make adopt` decided, written for terraform: recorded outside cdktf.out, in
`.adopt/<env>.json`, with a fingerprint of the synthesized stack they were made for (a synth
with changed inputs replaces the whole of cdktf.out, which holds whichever environment was
synthesized last). The runner writes `cdktf.out/stacks/<stack>/imports.tf.json` from the record
before every plan and apply, and refuses when the stack changed since adopt ran (the decisions
may no longer hold). A successful apply of the stack removes both the record and the file: its
imports are then in the state (Terraform skips an import block whose address is already in the
state, so an apply that fails half-way can simply be run again)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from foundation.model import Config
from foundation.paths import ADOPT_DIR
from scripts.console import UserError

STATE_DIR = ADOPT_DIR
IMPORTS_FILE = "imports.tf.json"


def _records(config: Config) -> dict:
    path = record_path(config)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise UserError(
            f"{path} is not a record `make adopt` wrote; delete it and run "
            f"`make adopt ENV={config.env_name}` again."
        ) from None


def fingerprint(stack_dir: Path) -> str:
    return hashlib.sha256((stack_dir / "cdk.tf.json").read_bytes()).hexdigest()


def record_path(config: Config) -> Path:
    return STATE_DIR / f"{config.env_name}.json"


def record(config: Config, stack_dir: Path, imports: list[dict[str, str]]) -> int:
    """Record `imports` ({"to": address, "id": import id} each) for the stack in `stack_dir`
    (none: forget it) and write its imports file; returns how many imports there are."""
    records = _records(config)
    if imports:
        records[stack_dir.name] = {"fingerprint": fingerprint(stack_dir), "imports": imports}
    else:
        records.pop(stack_dir.name, None)
    _save(config, records)
    place_imports(config, stack_dir)
    return len(imports)


def _save(config: Config, records: dict) -> None:
    path = record_path(config)
    if records:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=2) + "\n")
    else:
        path.unlink(missing_ok=True)


def place_imports(config: Config, stack_dir: Path) -> int:
    """Write the stack's imports file from the record (remove it when there is none); refuse
    when the stack changed since the record was made. Returns how many imports it holds."""
    target = stack_dir / IMPORTS_FILE
    found = _records(config).get(stack_dir.name)
    if not found:
        target.unlink(missing_ok=True)
        return 0
    if found["fingerprint"] != fingerprint(stack_dir):
        target.unlink(missing_ok=True)
        raise UserError(
            f"The {stack_dir.name} stack changed since `make adopt` decided what to import "
            f"(environment file or code), so those decisions may no longer hold; nothing was "
            f"run. Run `make adopt ENV={config.env_name}` again."
        )
    text = (
        json.dumps(
            {
                "//": f"Written from {record_path(config)} by `make adopt`; removed "
                "after the first successful apply.",
                "import": found["imports"],
            },
            indent=2,
        )
        + "\n"
    )
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)
    return len(found["imports"])


def forget_imports(config: Config, stack_dir: Path) -> None:
    """After a successful apply: the imports are in the state; drop the record and the file."""
    records = _records(config)
    if records.pop(stack_dir.name, None) is not None:
        _save(config, records)
    (stack_dir / IMPORTS_FILE).unlink(missing_ok=True)
