"""Shared fixtures (shared helpers: tests/helpers.py). A first synth costs ~15 s (jsii
starts Node and loads the AWS bindings), so each config is synthesized once per run, shared by
the workers (`synthesize`), and no test module imports cdktf or the constructs at its top: every
worker collects every module.

A test that uses the emulator (directly or through `foundation`) is marked `emulator` here, from
the fixtures it asks for, so no test module repeats the marker and none can forget it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import pytest

from foundation import config as config_module
from foundation import model
from foundation.contract import (
    DEFAULT_ROLE_NAME,
    MANAGEMENT_STACK,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from foundation.paths import held
from scripts.runner.pool import as_memory_allows
from tests.helpers import free_port, terraform_or_skip

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


EMULATOR_FIXTURES = {"emulator", "foundation", "own_emulator"}


def pytest_addoption(parser):
    parser.addoption(
        "--snapshot-update",
        action="store_true",
        help="rewrite tests/snapshots/ from the current synth (review the diff)",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.emulator)


# `-n auto` (the make targets' default). Measured on 2 cores: make test took 428 s with one
# worker per core, 315 s with two, 327 s with three (again with 725 tests: 324 s with two,
# 340 s with three, one after the other on one host); the emulator tests wait — lifecycle
# waiters, Budgets' read delays — and leave a core idle otherwise; each worker (its emulator,
# its terraform and providers) peaked at ~2.5 GB (2.2 GB with GOGC=400, before terraform's
# garbage collection was held off further), so the memory available bounds them too.
# Without the emulator nothing waits: make test-fast took 66 s with one per core, 84 s with two.
WORKERS_PER_CORE_WITH_EMULATOR = 2
MEMORY_PER_WORKER = 3 * 2**30


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    from tests.scheduling import without_emulator

    cores = os.cpu_count() or 1
    if without_emulator(config):
        return cores
    return as_memory_allows(WORKERS_PER_CORE_WITH_EMULATOR * cores, MEMORY_PER_WORKER)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`-n N --dist loadfile` (the make targets): by module, costliest first (scheduling.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests import scheduling

    cache = getattr(config, "cache", None)
    recorded = cache.get(DURATIONS_KEY, {}) if cache else {}
    return scheduling.CostliestModuleFirst(config, log, recorded)


# What each test took in the last run that ran it, for scheduling the next (.pytest_cache).
DURATIONS_KEY = "aws-personal-foundation/test-durations"
_durations: dict[str, float] = {}


def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    """Record what each test took (set-up, call, tear-down) for the next run's scheduling; in
    the process that saw every report (not an xdist worker)."""
    config = session.config
    if hasattr(config, "workerinput") or getattr(config, "cache", None) is None or not _durations:
        return
    recorded = config.cache.get(DURATIONS_KEY, {})
    recorded.update({nodeid: round(seconds, 2) for nodeid, seconds in _durations.items()})
    config.cache.set(DURATIONS_KEY, recorded)


@pytest.fixture(scope="session", autouse=True)
def adoption_records(tmp_path_factory):
    """What `make adopt` records goes to a directory of this session, never the repository's
    `.adopt/`: no test reads a developer's own decisions, none leaves any behind."""
    from scripts.runner import imports

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imports, "STATE_DIR", tmp_path_factory.mktemp("adopt"))
        yield imports.STATE_DIR


@pytest.fixture(scope="module")
def own_emulator():
    """A fresh emulator for one test module that needs one nobody else has touched (the session
    one holds the applied foundation)."""
    with fresh_emulator() as config:
        yield config


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory):
    """synthesize(config) -> directory holding stacks/<name>/cdk.tf.json. Terraform runs in it
    only for a config no other worker has (an emulator's, whose port is part of it); any other
    test copies the stacks first.

    One synth per config for the whole run: the xdist workers share the output, so a worker that
    needs only what another one synthesized reads it and never loads the AWS bindings (~13 s of
    CPU each). A synth is written aside and renamed into place, so a half-written one is never
    read and a failed one is tried again by the next test."""
    from scripts.runner.synth import input_hash

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own

    def run(config: model.Config) -> Path:
        outdir = shared / f"synth-{config.env_name}-{input_hash(config)[:16]}"
        with held(outdir.with_name(outdir.name + ".lock")):
            if not outdir.is_dir():
                from main import (
                    build_app,  # loads the AWS bindings: only where a synth runs
                )

                staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=shared))
                build_app(config, staging).synth()
                staging.rename(outdir)
        return outdir

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


@pytest.fixture
def mocked_aws(fake_aws_credentials):
    """In-process moto with the project's extensions (installed in every test, so no result
    depends on which test ran first); yields a client factory. boto3's default session is new
    in each test (credentials from this test's environment) but shares the parsed service
    models (scripts/aws.py new_session)."""
    import boto3
    from moto import mock_aws

    from scripts import aws
    from scripts.emulator import extensions

    extensions.install()
    with mock_aws():
        # mock_aws starts without a default session (and puts the one before back at its end)
        boto3.DEFAULT_SESSION = aws.new_session()
        yield lambda service, region="us-east-1": boto3.client(service, region_name=region)


@pytest.fixture
def mocked_example(mocked_aws, example_config, monkeypatch):
    """In-process moto, with clients defaulting to the example environment's home region."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", example_config.region)
    return mocked_aws


@pytest.fixture
def moto_organization(mocked_example, example_config) -> dict[str, str]:
    """An organization with IAM trusted access, the example's member accounts, and the state of
    an applied management workspace naming them; returns the member ids by account name."""
    organizations = mocked_example("organizations")
    organizations.create_organization(FeatureSet="ALL")
    organizations.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    ids = {
        account.name: organizations.create_account(AccountName=account.name, Email=account.email)[
            "CreateAccountStatus"
        ]["AccountId"]
        for account in example_config.accounts
    }
    outputs = {
        OUTPUT_MEMBER_ACCOUNT_IDS: ids,
        OUTPUT_MEMBER_ROLE_ARNS: {
            name: f"arn:aws:iam::{account_id}:role/{DEFAULT_ROLE_NAME}"
            for name, account_id in ids.items()
        },
    }
    s3 = mocked_example("s3", example_config.region)
    s3.create_bucket(
        Bucket=example_config.state_bucket,
        CreateBucketConfiguration={"LocationConstraint": example_config.region},
    )
    s3.put_object(
        Bucket=example_config.state_bucket,
        Key=example_config.state_key(MANAGEMENT_STACK),
        Body=json.dumps({"outputs": {name: {"value": value} for name, value in outputs.items()}}),
    )
    return ids


@contextlib.contextmanager
def fresh_emulator():
    """A fresh local AWS (moto server over TLS) on a free port; yields the `local` environment's
    config pointed at it, and stops the server afterwards."""
    from scripts.emulator import server

    terraform_or_skip()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(model.EMULATOR_PORT_VARIABLE, str(free_port()))
        config = config_module.load("local")
        server.start(config)
        try:
            yield config
        finally:
            server.stop(config)


@pytest.fixture(scope="session")
def emulator():
    """The session's emulator, shared by every test that only needs one (see fresh_emulator)."""
    with fresh_emulator() as config:
        yield config


@pytest.fixture(scope="session")
def bootstrapped(emulator):
    """The session's emulator with the state bucket, which the runner asks for before any
    stack's init."""
    from scripts.commands.bootstrap import bootstrap

    bootstrap(emulator)
    return emulator


@pytest.fixture(scope="session")
def foundation(bootstrapped, synthesize):
    """The local foundation applied on the session's emulator: state bucket, management, then
    every member workspace. Yields (config, stacks directory)."""
    from scripts.runner.terraform import Terraform

    emulator = bootstrapped
    stacks = synthesize(emulator) / "stacks"
    for stack in emulator.stack_names:
        Terraform(emulator, stack, stacks=stacks).apply(auto_approve=True)
    return emulator, stacks


@pytest.fixture
def with_management_outputs(foundation):
    """with_management_outputs(bucket, change) -> the same environment reading its state from
    `bucket`, which holds the real management state with its outputs passed through
    `change(outputs)`. The bucket is removed afterwards."""
    import dataclasses

    from scripts import aws, workspaces

    config, _ = foundation
    s3 = aws.client(config, "s3")
    created = []

    def make(bucket: str, change) -> model.Config:
        state = json.loads(workspaces.read_state(config, MANAGEMENT_STACK))
        change(state["outputs"])
        s3.create_bucket(Bucket=bucket)
        created.append(bucket)
        s3.put_object(
            Bucket=bucket, Key=config.state_key(MANAGEMENT_STACK), Body=json.dumps(state).encode()
        )
        return dataclasses.replace(config, state_bucket=bucket)

    yield make
    for bucket in created:
        s3.delete_object(Bucket=bucket, Key=config.state_key(MANAGEMENT_STACK))
        s3.delete_bucket(Bucket=bucket)
