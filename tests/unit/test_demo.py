"""`make demo`'s parts that need no emulator: every missing tool named before anything starts,
and what the demo's reset may delete unasked (what the demo made) against what it asks about
(everything else), at a terminal and without one."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from foundation.paths import REPO_ROOT
from scripts.commands.demo import CLICK_OPS
from scripts.commands.dev_reset import Listed
from scripts.guard import approval
from scripts.guard.reset import NUKE_INSTALL


def tools_dir(tmp_path, *tools: str):
    """A directory holding only `tools` (links to the real ones), for PATH."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for tool in tools:
        (directory / tool).symlink_to(shutil.which(tool))
    return directory


def test_a_demo_without_aws_nuke_fails_at_once_naming_the_install(tmp_path):
    if not (shutil.which("terraform") and shutil.which("node")):
        pytest.skip("needs terraform and node on PATH, to leave only aws-nuke missing")
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/python"), "-m", "scripts.cli", "demo", "--env", "local"],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": str(tools_dir(tmp_path, "terraform", "node"))},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert "`make demo` needs what this machine lacks; nothing was started" in result.stderr
    assert f"aws-nuke: no aws-nuke on PATH: {NUKE_INSTALL}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "starting the local AWS emulator" not in result.stdout


def test_every_missing_tool_is_named_at_once(tmp_path):
    result = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/python"), "-m", "scripts.cli", "demo", "--env", "local"],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": str(tools_dir(tmp_path))},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    for tool in ("terraform: Terraform CLI not found", "node: not on PATH", "aws-nuke:"):
        assert f"  - {tool}" in result.stderr


def listed(resource_type: str, name: str, region: str = "us-east-1") -> Listed:
    return Listed(region, resource_type, name, {}, "would remove")


DEMOS = [
    listed("SQSQueue", "https://127.0.0.1:4566/222222222222/clicked-queue"),
    listed("SNSTopic", "TopicARN: arn:aws:sns:us-east-1:222222222222:clicked-topic"),
    listed("IAMUser", "clicked-user"),
]
MINE = [
    listed("SQSQueue", "https://127.0.0.1:4566/222222222222/my-clicked-queue-2"),
    listed("S3Bucket", "s3://clicked-user"),
    listed("EC2KeyPair", ""),
]


def test_what_the_demo_made_is_told_apart_from_the_rest():
    assert all(CLICK_OPS.made(each) for each in DEMOS)
    assert not any(CLICK_OPS.made(each) for each in MINE)


def test_without_a_terminal_the_rest_is_kept(monkeypatch, capsys):
    monkeypatch.setattr(approval, "at_a_terminal", lambda: False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked without a terminal"))
    assert CLICK_OPS.spared(DEMOS + MINE, "local-dev", "222222222222") == MINE
    assert "so they are kept" in capsys.readouterr().out
    assert CLICK_OPS.spared(DEMOS, "local-dev", "222222222222") == []


@pytest.mark.parametrize("answer, kept", [("", MINE), ("local-dev", []), ("222222222222", [])])
def test_at_a_terminal_the_person_decides(monkeypatch, answer, kept):
    monkeypatch.setattr(approval, "at_a_terminal", lambda: True)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)
    assert CLICK_OPS.spared(DEMOS + MINE, "local-dev", "222222222222") == kept
    assert "Enter keeps them" in prompts[0]


def test_what_is_kept_becomes_an_aws_nuke_filter():
    by_name, nameless = CLICK_OPS.keep(MINE[0]), CLICK_OPS.keep(MINE[2])
    assert by_name.matches(MINE[0].name, {}) and not by_name.matches(DEMOS[0].name, {})
    assert (nameless.resource_type, nameless.match, nameless.value) == ("EC2KeyPair", "glob", "*")
    assert "not made by make demo" in by_name.reason
