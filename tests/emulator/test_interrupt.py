"""Ctrl-C during an apply on a fresh emulator: the terminal's SIGINT reaches the whole process
group (the runner and its terraform); the runner waits while terraform stops gracefully, so the
state is written and the lock released, and a re-run converges."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from foundation.contract import MANAGEMENT_STACK
from foundation.paths import REPO_ROOT
from scripts import aws
from scripts.commands.bootstrap import bootstrap
from scripts.runner.terraform import PLAN_NO_CHANGES, Terraform
from tests.helpers import sigint_as_at_a_terminal

APPLY = """
import sys
from pathlib import Path
from foundation import config
from scripts.runner.terraform import Terraform
Terraform(config.load("local"), sys.argv[1], Path(sys.argv[2]), log=Path(sys.argv[3])).apply(
    auto_approve=True)
"""


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_ctrl_c_during_apply_leaves_no_lock_and_a_rerun_converges(
    own_emulator, synthesize, tmp_path
):
    config = own_emulator
    stacks = synthesize(config) / "stacks"
    bootstrap(config)
    log = tmp_path / "apply.log"
    apply = subprocess.Popen(
        [sys.executable, "-c", APPLY, MANAGEMENT_STACK, str(stacks), str(log)],
        cwd=REPO_ROOT,
        start_new_session=True,
        preexec_fn=sigint_as_at_a_terminal,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    # Interrupted resources are saved as tainted, to be replaced on the next apply: wait for
    # the lifecycle configuration's 55 s waiter, when the buckets it needs (prevent_destroy,
    # which a replacement would hit) are done.
    _wait_for(
        lambda: log.is_file()
        and re.search(r"aws_s3_bucket_lifecycle_configuration\S*: Still creating", log.read_text()),
        240,
        "the apply to wait for the log bucket's lifecycle configuration",
    )
    os.killpg(apply.pid, signal.SIGINT)  # what a terminal does on Ctrl-C

    _, stderr = apply.communicate(timeout=300)

    output = log.read_text()
    assert apply.returncode != 0
    assert "Gracefully shutting down" in output or "Interrupt received" in output, output[-2000:]
    assert "waiting for terraform to write its state" in stderr
    s3 = aws.client(config, "s3")
    key = config.state_key(MANAGEMENT_STACK)
    listed = s3.list_objects_v2(Bucket=config.state_bucket, Prefix=key).get("Contents", [])
    assert [item["Key"] for item in listed] == [key], "state written, no .tflock left behind"

    terraform = Terraform(config, MANAGEMENT_STACK, stacks, log=tmp_path / "rerun.log")
    terraform.apply(auto_approve=True)
    assert terraform.plan(detailed_exitcode=True) == PLAN_NO_CHANGES
