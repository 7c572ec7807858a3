"""Where things live in the repository; every module that needs a path takes it from here."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
# Synthesized Terraform JSON: OUT_DIR/stacks/<stack>/cdk.tf.json (not committed).
OUT_DIR = REPO_ROOT / "cdktf.out"
# The local emulator's pid files, logs and TLS certificate; clients trust the certificate, and
# nothing else, for the emulator (AWS_CA_BUNDLE).
LOCAL_AWS_DIR = REPO_ROOT / ".local-aws"
EMULATOR_CA_BUNDLE = LOCAL_AWS_DIR / "tls" / "certificate.pem"
EMULATOR_TLS_KEY = LOCAL_AWS_DIR / "tls" / "key.pem"
# Logs of terraform runs (demo, concurrent stacks, the dev-* loops) and of aws-nuke (with its
# generated configs), on real AWS as on the emulator.
LOG_DIR = REPO_ROOT / ".logs"
# Progress and printed checklists of `make root-steps`.
ROOT_STEPS_DIR = REPO_ROOT / ".root-steps"
# The Terraform CLI configuration the runner writes (provider mirror).
TERRAFORM_CLI_DIR = REPO_ROOT / ".terraform-cli"
# What `make adopt` decided to import, per environment, until the first apply.
ADOPT_DIR = REPO_ROOT / ".adopt"


@contextmanager
def held(lock_file: Path) -> Iterator[None]:
    """`lock_file` locked for the block, against other threads and processes (flock)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
