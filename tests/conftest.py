"""Shared fixtures. Synthesis costs ~15-40 s, so each environment is synthesized once per session
(in this process: jsii's Node runtime starts once and serves every later synth)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from scripts import config as config_module

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def pytest_addoption(parser):
    parser.addoption("--snapshot-update", action="store_true",
                     help="rewrite tests/snapshots/ from the current synth (review the diff)")


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory):
    """synthesize(config) -> directory holding stacks/<name>/cdk.tf.json; cached per config."""
    from main import build_app  # imports cdktf; only tests that synthesize pay for it

    cache: dict = {}

    def run(config: config_module.Config) -> Path:
        if config not in cache:
            outdir = tmp_path_factory.mktemp(f"synth-{config.env_name}")
            build_app(config, outdir).synth()
            cache[config] = outdir
        return cache[config]

    return run


@pytest.fixture(scope="session")
def example_config():
    return config_module.load("example")


@pytest.fixture(scope="session")
def example_stacks(synthesize, example_config) -> dict[str, dict]:
    """The example environment's synthesized stacks, parsed: {stack name: JSON}."""
    stacks = synthesize(example_config) / "stacks"
    return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted(stacks.iterdir())}


@pytest.fixture
def fake_aws_credentials(monkeypatch):
    """Fixed fake credentials for in-process moto; nothing of the user's identity leaks in."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def resources(stack: dict, resource_type: str) -> list[dict]:
    return list(stack.get("resource", {}).get(resource_type, {}).values())


def terraform_or_skip() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform CLI not on PATH: install Terraform >= 1.10 to run this test")
    return binary


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def emulator():
    """A fresh local AWS (moto server over TLS) on a free port for this session; yields the
    `local` environment's config pointed at it."""
    from scripts import local_aws

    terraform_or_skip()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.EMULATOR_PORT_VARIABLE, str(free_port()))
        config = config_module.load("local")
        local_aws.start(config)
        try:
            yield config
        finally:
            local_aws.stop(config)


@pytest.fixture(scope="session")
def foundation(emulator, synthesize):
    """The local foundation applied on the session's emulator: state bucket, management, then
    every member workspace. Yields (config, stacks directory)."""
    from scripts.bootstrap import bootstrap
    from scripts.terraform import Terraform

    stacks = synthesize(emulator) / "stacks"
    bootstrap(emulator)
    for stack in emulator.stack_names:
        Terraform(emulator, stack, stacks=stacks).apply(auto_approve=True)
    return emulator, stacks
