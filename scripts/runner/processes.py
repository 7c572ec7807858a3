"""Terraform as a child process that Ctrl-C never kills half-way: one in the terminal's process
group waits for terraform to stop by itself; those run at once get exactly one Ctrl-C each."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from scripts.console import UserError


class TerraformInterrupted(KeyboardInterrupt):
    """Ctrl-C reached a running terraform, which stopped by itself: it wrote its state and
    released the lock before this was raised."""


def run_until_terraform_exits(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run, except that Ctrl-C never kills terraform. The terminal delivers Ctrl-C
    to terraform as well (same process group), which then stops gracefully: it writes the
    state and releases the lock, which on real AWS takes longer than subprocess.run waits
    before killing it. A second Ctrl-C reaches terraform the same way and makes it stop at
    once. The interruption is raised once terraform has exited."""
    if options.pop("capture_output", False):
        options.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process = subprocess.Popen(command, **options)
    interrupted = False
    while True:
        try:
            stdout, stderr = process.communicate()
            break
        except KeyboardInterrupt:
            if not interrupted:
                print(
                    "\nCtrl-C: waiting for terraform to write its state and release the lock "
                    "(Ctrl-C again stops it at once).",
                    file=sys.stderr,
                    flush=True,
                )
            interrupted = True
    if interrupted:
        raise TerraformInterrupted
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


_own_group_processes: set[subprocess.Popen] = set()
_own_group_lock = threading.Lock()
_interrupted = threading.Event()


def run_in_own_process_group(command: list[str], **options) -> subprocess.CompletedProcess:
    """subprocess.run, but the child does not get the terminal's Ctrl-C itself: in_parallel
    forwards exactly one (a second one would make terraform abandon its state)."""
    with _own_group_lock:
        if _interrupted.is_set():
            raise UserError("Interrupted: nothing more was started.")
        process = subprocess.Popen(
            command,
            process_group=0,
            stdin=subprocess.DEVNULL,
            **(
                {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
                if options.pop("capture_output", False)
                else {}
            ),
            **options,
        )
        _own_group_processes.add(process)
    try:
        stdout, stderr = process.communicate()
    finally:
        with _own_group_lock:
            _own_group_processes.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _forward_interrupt() -> bool:
    """Ctrl-C to every terraform running in a group of its own; whether any was."""
    with _own_group_lock:
        _interrupted.set()
        for process in _own_group_processes:
            process.send_signal(signal.SIGINT)
        return bool(_own_group_processes)
