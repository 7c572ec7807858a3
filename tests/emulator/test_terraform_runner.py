"""The runner's speed-ups keep their promises: `terraform init` is skipped only while what it
depends on is unchanged, and `in_parallel` runs independent stacks bounded, shows their logs in
order, reports every failure and forwards one Ctrl-C to each terraform."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from foundation import config as config_module
from foundation.contract import (
    MANAGEMENT_STACK,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from foundation.paths import REPO_ROOT
from scripts.commands.stacks import plan_members_in_parallel
from scripts.console import UserError
from scripts.runner import environment, pool
from scripts.runner.pool import Task, in_parallel
from scripts.runner.terraform import PLAN_NO_CHANGES, SAVED_PLAN, Terraform
from tests.helpers import sigint_as_at_a_terminal, terraform_or_skip

# --- init only when needed -----------------------------------------------------------------


@pytest.fixture
def dev_stack(synthesize, example_config, tmp_path) -> Path:
    terraform_or_skip()
    stacks = tmp_path / "stacks"
    shutil.copytree(synthesize(example_config) / "stacks" / "dev", stacks / "dev")
    return stacks


@pytest.fixture
def terraform_commands(monkeypatch) -> list[str]:
    """The terraform subcommands the runner starts, in order."""
    started: list[str] = []
    run = Terraform.run

    def recording(self, *args, **options):
        started.append(args[0])
        return run(self, *args, **options)

    monkeypatch.setattr(Terraform, "run", recording)
    return started


def test_init_runs_again_only_when_its_inputs_change(dev_stack, example_config, terraform_commands):
    """Each runner is new, as each `make` command's is; `validate` (three provider starts)
    would add nothing here, so only the init each command begins with runs."""

    def init() -> None:
        Terraform(example_config, "dev", stacks=dev_stack).init(backend=False)

    init()
    init()
    assert terraform_commands == ["init"]

    lock_file = dev_stack / "dev" / ".terraform.lock.hcl"
    lock_file.write_text(lock_file.read_text() + "\n# edited\n")
    init()
    assert terraform_commands[1:] == ["init"]

    stack_file = dev_stack / "dev" / "cdk.tf.json"
    stack = json.loads(stack_file.read_text())
    stack["terraform"]["required_providers"]["aws"]["version"] = "~> 5.99"
    stack_file.write_text(json.dumps(stack))
    init()
    assert terraform_commands[2:] == ["init"]

    shutil.rmtree(dev_stack / "dev" / ".terraform" / "providers")
    init()
    assert terraform_commands[3:] == ["init"]
    Terraform(example_config, "dev", stacks=dev_stack).validate()  # that init serves validate
    assert terraform_commands[4:] == ["validate"]


def test_a_validate_only_init_does_not_serve_a_plan(dev_stack, example_config):
    terraform = Terraform(example_config, "dev", stacks=dev_stack)
    terraform.validate()
    assert terraform._init_is_current(backend=False)
    assert not terraform._init_is_current(backend=True)


def test_the_plugin_cache_is_ours_unless_the_user_set_one(monkeypatch, tmp_path):
    monkeypatch.delenv(environment.PLUGIN_CACHE_VARIABLE, raising=False)
    assert environment.plugin_cache_dir() == environment.PLUGIN_CACHE
    monkeypatch.setenv(environment.PLUGIN_CACHE_VARIABLE, str(tmp_path / "mine"))
    assert environment.plugin_cache_dir() == tmp_path / "mine" and (tmp_path / "mine").is_dir()


def test_stacks_at_once_are_one_per_core_as_far_as_the_memory_available_holds_them(monkeypatch):
    assert pool.available_memory() > 0  # read from this machine
    monkeypatch.setattr(pool.os, "cpu_count", lambda: 8)
    for available, jobs in ((24 * 2**30, 8), (4 * 2**30, 2), (2**29, 1)):
        monkeypatch.setattr(pool, "available_memory", lambda available=available: available)
        assert pool.default_jobs() == jobs


def test_go_garbage_collection_is_ours_unless_the_user_set_either_variable(monkeypatch):
    for variable in environment.GARBAGE_COLLECTION:
        monkeypatch.delenv(variable, raising=False)
    config = config_module.load("example")
    assert environment.cli_environment(config).items() >= environment.GARBAGE_COLLECTION.items()
    monkeypatch.setenv("GOGC", "100")
    env = environment.cli_environment(config)
    assert env["GOGC"] == "100" and "GOMEMLIMIT" not in env


def test_stacks_initialized_at_once_share_a_fresh_plugin_cache(
    dev_stack, example_config, monkeypatch, tmp_path
):
    """Terraform's plugin cache is not safe for installs at once (without the runner's lock,
    10 of 12 rounds here failed: 'mkdir …: file exists', '… still not detected in
    .terraform/providers'); the runner takes turns, across processes too. The inits here install
    into the cache, as they do where the user set PLUGIN_CACHE_AS_IS_VARIABLE themselves: with
    the runner's own setting they link what the first one installed, and 0 of 12 rounds failed
    without the lock, so the test could not have caught its loss."""
    monkeypatch.setenv(environment.PLUGIN_CACHE_AS_IS_VARIABLE, "")
    stacks = [f"member{number}" for number in range(6)]
    for name in stacks:
        shutil.copytree(dev_stack / "dev", dev_stack / name)
    for round_ in range(3):
        monkeypatch.setenv(environment.PLUGIN_CACHE_VARIABLE, str(tmp_path / f"cache{round_}"))
        for name in stacks:
            shutil.rmtree(dev_stack / name / ".terraform", ignore_errors=True)
            (dev_stack / name / ".terraform.lock.hcl").unlink(missing_ok=True)
        in_parallel(
            [
                Task(
                    name,
                    tmp_path / f"init-{name}.log",
                    lambda name=name: Terraform(
                        example_config, name, stacks=dev_stack, own_process_group=True
                    ).init(backend=False),
                )
                for name in stacks
            ],
            jobs=len(stacks),
            show=False,
        )


def test_a_captured_command_that_fails_leaves_its_error_in_the_log(
    dev_stack, example_config, tmp_path
):
    """in_parallel's summary names a failure in one line and points at the log."""
    log = tmp_path / "dev.log"
    terraform = Terraform(example_config, "dev", stacks=dev_stack, log=log)
    with pytest.raises(UserError) as failure:
        terraform.run("init", "-no-such-flag", capture=True)
    assert "-no-such-flag" in str(failure.value)
    assert "$ terraform init -no-such-flag" in log.read_text()
    assert "flag provided but not defined" in log.read_text()


def test_an_init_leaves_the_providers_already_in_the_plugin_cache_alone(
    dev_stack, example_config, monkeypatch, tmp_path
):
    """Other stacks run the provider from the cache while a new stack initializes: terraform
    installed it again into the cache (as measured) unless told to use what is there."""
    monkeypatch.setenv(environment.PLUGIN_CACHE_VARIABLE, str(tmp_path / "cache"))
    shutil.copytree(dev_stack / "dev", dev_stack / "second")
    Terraform(example_config, "dev", stacks=dev_stack).init(backend=False)
    [installed] = (tmp_path / "cache").glob("*/*/*/*/*")
    before = installed.lstat().st_mtime_ns  # a link to the mirror, where one is used
    Terraform(example_config, "second", stacks=dev_stack).init(backend=False)
    assert installed.lstat().st_mtime_ns == before


# --- in_parallel -----------------------------------------------------------------------------


def sleeping_tasks(
    tmp_path: Path, count: int, seconds: float, running: list[int], fail: set[str] = frozenset()
) -> list[Task]:
    """Tasks that write two lines to their log, `seconds` apart, counting how many run at once
    into running[1] (running[0]: now)."""
    lock = threading.Lock()

    def work(name: str, log: Path):
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        with open(log, "a") as out:
            out.write(f"{name} started\n")
        time.sleep(seconds)
        with open(log, "a") as out:
            out.write(f"{name} finished\n")
        with lock:
            running[0] -= 1
        if name in fail:
            raise UserError(f"`terraform plan` failed in stack '{name}' (exit 1).\ndetail")
        return name.upper()

    names = [f"member{i}" for i in range(count)]
    return [
        Task(name, tmp_path / f"{name}.log", lambda name=name: work(name, tmp_path / f"{name}.log"))
        for name in names
    ]


def test_in_parallel_is_bounded_and_shows_each_log_whole_and_in_order(tmp_path):
    running = [0, 0]
    out = io.StringIO()
    began = time.monotonic()
    results = in_parallel(sleeping_tasks(tmp_path, 4, 0.5, running), jobs=2, out=out)
    elapsed = time.monotonic() - began
    assert running[1] == 2
    assert 1.0 <= elapsed < 1.9  # two rounds of two, not four one after another
    assert results == {f"member{i}": f"MEMBER{i}" for i in range(4)}
    expected = "".join(
        f"== member{i} (log: {tmp_path}/member{i}.log)\nmember{i} started\nmember{i} finished\n"
        for i in range(4)
    )
    assert out.getvalue() == expected


def test_in_parallel_runs_the_others_when_one_fails_and_names_it(tmp_path):
    running = [0, 0]
    out = io.StringIO()
    with pytest.raises(UserError) as failed:
        in_parallel(sleeping_tasks(tmp_path, 3, 0.1, running, fail={"member1"}), jobs=3, out=out)
    assert str(failed.value) == (
        "1 of 3 failed (each log is above):\n"
        "  member1: `terraform plan` failed in stack 'member1' (exit 1)."
    )
    assert "member2 finished" in out.getvalue()


INTERRUPTED_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from scripts.runner.pool import Task, in_parallel
    from scripts.runner.processes import run_in_own_process_group

    CHILD = '''
    import signal, sys, time
    received = []
    signal.signal(signal.SIGINT, lambda *_: received.append(1))
    print("ready", flush=True)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"SIGINT x{len(received)}", flush=True)
    '''

    def child(log):
        with open(log, "a") as out:
            run_in_own_process_group([sys.executable, "-c", CHILD], stdout=out)

    logs = [Path(sys.argv[1]) / f"{name}.log" for name in ("a", "b", "c")]
    try:
        in_parallel([Task(log.stem, log, lambda log=log: child(log)) for log in logs], jobs=2)
    except KeyboardInterrupt:
        sys.exit(130)
""")


def test_ctrl_c_reaches_each_running_terraform_once_and_starts_nothing_more(tmp_path):
    """As at a terminal: the SIGINT goes to the whole process group of the runner."""
    runner_process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, str(tmp_path)],
        cwd=REPO_ROOT,
        start_new_session=True,
        preexec_fn=sigint_as_at_a_terminal,
        stdout=subprocess.PIPE,
        text=True,
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "c")}
    deadline = time.monotonic() + 20
    while not all(log.is_file() and "ready" in log.read_text() for log in (logs["a"], logs["b"])):
        assert time.monotonic() < deadline, "the first two children never started"
        time.sleep(0.05)
    os.killpg(runner_process.pid, signal.SIGINT)
    runner_process.communicate(timeout=20)
    assert runner_process.returncode == 130
    assert logs["a"].read_text().split() == ["ready", "SIGINT", "x1"]
    assert logs["b"].read_text().split() == ["ready", "SIGINT", "x1"]
    assert logs["c"].read_text() == ""


# --- on the emulator -------------------------------------------------------------------------


def test_member_stacks_plan_at_once_after_management(
    foundation, with_management_outputs, synthesize, tmp_path, capsys
):
    """A second member ("dev2", a twin of dev in the same emulated account): both plans run
    through in_parallel, each into its own log, and are shown in order."""
    config, _ = foundation
    dev = config.account("dev")

    def add_twin(outputs):
        for output in (OUTPUT_MEMBER_ACCOUNT_IDS, OUTPUT_MEMBER_ROLE_ARNS):
            outputs[output]["value"]["dev2"] = outputs[output]["value"]["dev"]
            kind, attributes = outputs[output]["type"]  # ["object", {name: type}]
            attributes["dev2"] = attributes["dev"]

    twins = dataclasses.replace(
        with_management_outputs("parallel-member-plans", add_twin),
        accounts=(
            dev,
            dataclasses.replace(
                dev, name="dev2", email="aws-dev2@example.com", alias=f"{config.name_prefix}-dev2"
            ),
        ),
    )
    stacks = synthesize(twins) / "stacks"
    plan_members_in_parallel(twins, ["dev", "dev2"], jobs=2, log_dir=tmp_path, stacks=stacks)
    shown = capsys.readouterr().out
    logs = [tmp_path / twins.env_name / f"{name}.log" for name in ("dev", "dev2")]
    assert shown.index(f"== dev (log: {logs[0]})") < shown.index(f"== dev2 (log: {logs[1]})")
    for name, log in zip(("dev", "dev2"), logs, strict=True):
        text = log.read_text()
        assert (
            f"$ terraform plan -input=false -lock-timeout=30s -detailed-exitcode "
            f"-out={SAVED_PLAN}   # stack {name}"
        ) in text
        assert "Plan: " in text and text in shown


def test_an_apply_after_a_clean_plan_reuses_it_and_runs_no_terraform_apply(
    foundation, terraform_commands
):
    config, stacks = foundation
    terraform = Terraform(config, "dev", stacks=stacks)
    assert terraform.plan(detailed_exitcode=True) == PLAN_NO_CHANGES
    terraform.apply(auto_approve=True)
    assert [command for command in terraform_commands if command != "init"] == ["plan"]


@pytest.mark.usefixtures("bootstrapped")
def test_an_apply_after_the_configuration_changed_plans_again(emulator, tmp_path):
    """A saved plan carries the configuration it was made from: reusing one made before an
    edit would apply the old configuration."""
    terraform_or_skip()
    configuration = tmp_path / "edited" / "cdk.tf.json"
    configuration.parent.mkdir()

    def write(value: str) -> None:
        configuration.write_text(
            json.dumps(
                {
                    "resource": {"terraform_data": {"edited": {"input": value}}},
                    "output": {"value": {"value": "${terraform_data.edited.output}"}},
                }
            )
        )

    write("before")
    terraform = Terraform(emulator, "edited", stacks=tmp_path)
    terraform.apply(auto_approve=True)
    assert terraform.plan(detailed_exitcode=True) == PLAN_NO_CHANGES
    write("after")
    terraform.apply(auto_approve=True)
    assert terraform.outputs() == {"value": "after"}


# --- the emulator's endpoint ---------------------------------------------------------------


def test_terraform_finds_the_emulator_through_its_environment_alone(monkeypatch):
    """No `endpoints` block in a local stack (modules/aws_settings.py says why): the runner
    gives terraform AWS_ENDPOINT_URL, and a caller's service-specific endpoint cannot divert a
    service elsewhere."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://elsewhere.example")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://elsewhere.example")
    config = config_module.load("local")
    env = environment.cli_environment(config)
    assert env["AWS_ENDPOINT_URL"] == config.emulator.endpoint_url
    assert not [name for name in env if name.startswith("AWS_ENDPOINT_URL_")]
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert "AWS_ENDPOINT_URL" not in environment.cli_environment(config_module.load("example"))


def test_a_local_stack_without_the_runners_endpoint_reaches_no_real_aws_host(
    bootstrapped, synthesize, tmp_path
):
    """Plain terraform in a local stack without AWS_ENDPOINT_URL: the providers' proxy is the
    emulator's tunnel, which refuses every real AWS host."""
    shutil.copytree(
        synthesize(bootstrapped) / "stacks" / MANAGEMENT_STACK,
        tmp_path / MANAGEMENT_STACK,
        ignore=shutil.ignore_patterns(".terraform*"),
    )
    configuration = tmp_path / MANAGEMENT_STACK / "cdk.tf.json"
    stack = json.loads(configuration.read_text())
    for provider in stack["provider"]["aws"]:
        provider["max_retries"] = 1  # a refused call is otherwise tried 25 times, for minutes
    configuration.write_text(json.dumps(stack))
    terraform = Terraform(bootstrapped, MANAGEMENT_STACK, stacks=tmp_path)
    terraform.init()
    del terraform.env["AWS_ENDPOINT_URL"]
    result = terraform.run(
        "plan", "-input=false", "-lock=false", "-no-color", capture=True, check=False
    )
    assert result.returncode == 1
    refused = re.findall(r'Post "https://([a-z0-9.-]+)/": Forbidden', result.stderr)
    assert refused and all(host.endswith(".amazonaws.com") for host in refused), result.stderr
