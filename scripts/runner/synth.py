"""Synthesize the stacks only when an input changed, and never leave a broken cdktf.out behind.

One synth costs ~15-40 s (jsii starts Node and loads the AWS bindings), so a hash of everything
it reads is kept beside the output, with a hash of the output itself: a synth done behind this
wrapper's back (`python main.py`, `cdktf synth`) leaves the first stale and changes the second,
and is redone. The new output is written to a temporary directory and swapped in only when synth
succeeded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from foundation.model import Config
from foundation.paths import OUT_DIR, REPO_ROOT
from scripts.console import UserError, say

HASH_FILE_NAME = ".inputs.sha256"
OUTPUT_HASH_FILE_NAME = ".output.sha256"
MANIFEST = "manifest.json"
# Everything main.py imports from this repository, plus what pins the bindings.
_INPUT_GLOBS = (
    "main.py",
    "cdktf.json",
    "requirements.txt",
    "modules/**/*.py",
    "foundation/**/*.py",
)


def input_hash(config: Config) -> str:
    digest = hashlib.sha256()
    digest.update(repr(config).encode())  # resolved values, including environment overrides
    digest.update(config.source.read_bytes())
    for pattern in _INPUT_GLOBS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def output_hash(out_dir: Path) -> str:
    """A hash of what synth wrote: the manifest and every stack's JSON (terraform's own files
    in the stack directories do not count)."""
    digest = hashlib.sha256()
    written = [out_dir / MANIFEST, *sorted(stacks_dir(out_dir).glob("*/cdk.tf.json"))]
    for path in written:
        if path.is_file():
            digest.update(str(path.relative_to(out_dir)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _up_to_date(out_dir: Path, wanted: str, report: Callable[[str], None]) -> bool:
    hash_file, output_file = out_dir / HASH_FILE_NAME, out_dir / OUTPUT_HASH_FILE_NAME
    if not hash_file.is_file() or hash_file.read_text() != wanted:
        return False
    if not output_file.is_file() or output_file.read_text() != output_hash(out_dir):
        report(
            f"{out_dir.name}/ was written by something other than `make synth` (main.py or "
            "cdktf?): synthesizing again."
        )
        return False
    return True


def stacks_dir(out_dir: Path = OUT_DIR) -> Path:
    return out_dir / "stacks"


def synth(
    config: Config,
    out_dir: Path = OUT_DIR,
    *,
    force: bool = False,
    report: Callable[[str], None] = say,
) -> bool:
    """Synthesize `config` into `out_dir`; returns False when it was already up to date.
    `report` says what happened (another thread's caller collects it instead of printing)."""
    wanted = input_hash(config)
    if not force and _up_to_date(out_dir, wanted, report):
        report(f"Synth up to date for '{config.env_name}' ({out_dir.name}/ unchanged).")
        return False
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        env = dict(
            os.environ,
            FOUNDATION_ENV=str(config.source),
            CDKTF_OUTDIR=str(staging),
            JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        )
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "main.py")],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise UserError(
                f"Synth of '{config.env_name}' failed; {out_dir.name}/ was left as it "
                f"was.\n{result.stderr.strip()[-3000:]}"
            )
        (staging / HASH_FILE_NAME).write_text(wanted)
        (staging / OUTPUT_HASH_FILE_NAME).write_text(output_hash(staging))
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report(
        f"Synthesized '{config.env_name}' into {out_dir.name}/stacks/: "
        + ", ".join(sorted(p.name for p in stacks_dir(out_dir).iterdir()))
    )
    return True


def _swap_in(staging: Path, out_dir: Path) -> None:
    previous = out_dir.with_name(out_dir.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(previous)
    staging.rename(out_dir)
    shutil.rmtree(previous, ignore_errors=True)
