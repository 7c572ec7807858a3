"""The synth wrapper (scripts/runner/synth.py): synthesizes only when an input changed, and a failed
synth never replaces or damages the previous output.

One real synth runs as a subprocess (the way `make synth` runs it); the other cases replace the
subprocess with main.py run in this process, or with a stand-in that writes stacks, so the swap
and skip logic is exercised without another ~35 s synth each.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from foundation.config import ConfigError, environment_path, load
from foundation.model import EMULATOR_PORT_VARIABLE
from foundation.paths import REPO_ROOT
from scripts.console import UserError
from scripts.runner import synth as synth_module
from scripts.runner.synth import (
    HASH_FILE_NAME,
    OUTPUT_HASH_FILE_NAME,
    input_hash,
    output_hash,
    synth,
)
from tests.helpers import IMPORT_REPORT_VARIABLE, imported_modules, write_env

STATE_BUCKET = 'bucket = "acme-terraform-state-example"'
OUR_STATE_BUCKET = "synth-cache-test-state"  # proves the subprocess read our file
RETENTION = "retention_days = 365"


def tree(directory: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and directory (None) under `directory`."""
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(directory.rglob("*"))
    }


def leftovers(out_dir: Path) -> list[Path]:
    """Staging or previous-output directories a synth may leave beside `out_dir`."""
    return [
        *out_dir.parent.glob(f".{out_dir.name}-*"),
        *out_dir.parent.glob(f"{out_dir.name}.previous"),
    ]


def stand_in(stacks: dict[str, str], returncode: int = 0, stderr: str = ""):
    """A subprocess.run replacement that writes `stacks` where main.py would; records calls."""
    calls: list[dict] = []

    def run(command, *, env, **kwargs):
        calls.append(env)
        for name, text in stacks.items():
            stack_dir = Path(env["CDKTF_OUTDIR"]) / "stacks" / name
            stack_dir.mkdir(parents=True)
            (stack_dir / "cdk.tf.json").write_text(text)
        return subprocess.CompletedProcess(command, returncode, "", stderr)

    return run, calls


@pytest.fixture(scope="module")
def synth_process(tmp_path_factory):
    """(config, out_dir, the synth subprocess's result): one real synth of an example copy,
    through the subprocess, with Python reporting each module it imports (on stderr)."""
    directory = tmp_path_factory.mktemp("synth-cache")
    config = load(write_env(directory / "env", (STATE_BUCKET, f'bucket = "{OUR_STATE_BUCKET}"')))
    out_dir = directory / "cdktf.out"
    results, run = [], subprocess.run

    def run_and_keep(*args, **kwargs):
        results.append(run(*args, **kwargs))
        return results[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(IMPORT_REPORT_VARIABLE, "1")
        patch.setattr(synth_module.subprocess, "run", run_and_keep)
        assert synth(config, out_dir) is True
    return config, out_dir, results[0]


@pytest.fixture(scope="module")
def synthesized(synth_process):
    """(config, out_dir) of the real synth."""
    config, out_dir, _ = synth_process
    return config, out_dir


@pytest.fixture
def previous_output(synthesized, tmp_path):
    """A private copy of the real synth output, for tests that try to change it."""
    config, out_dir = synthesized
    copy = tmp_path / "cdktf.out"
    shutil.copytree(out_dir, copy)
    return config, copy


# --- the real synth --------------------------------------------------------------------------


def test_a_synth_loads_no_helper_module(synth_process):
    """What the synth process (main.py) imported: no helper, boto3 or emulator."""
    _, _, result = synth_process
    loaded = imported_modules(result.stderr)
    assert {"cdktf", "modules.stacks"} <= loaded  # the report covers what main.py imports
    assert sorted(m for m in loaded if m.split(".")[0] in ("scripts", "boto3", "moto")) == []


def test_synth_writes_every_stack_and_the_input_hash(synthesized):
    config, out_dir = synthesized
    stacks = out_dir / "stacks"
    assert sorted(p.name for p in stacks.iterdir()) == sorted(config.stack_names)
    for name in config.stack_names:
        backend = json.loads((stacks / name / "cdk.tf.json").read_text())["terraform"]["backend"]
        assert backend["s3"]["bucket"] == OUR_STATE_BUCKET
    assert (out_dir / HASH_FILE_NAME).read_text() == input_hash(config)
    assert leftovers(out_dir) == []


def test_unchanged_inputs_are_not_synthesized_again(synthesized, monkeypatch):
    config, out_dir = synthesized
    run, calls = stand_in({})
    monkeypatch.setattr(synth_module.subprocess, "run", run)
    before = tree(out_dir)
    assert synth(config, out_dir) is False
    assert synth(load(config.source), out_dir) is False  # loading again changes nothing
    assert calls == [] and tree(out_dir) == before


# --- failures leave the previous output byte for byte ----------------------------------------


def test_bad_env_file_is_refused_before_synth(previous_output, tmp_path):
    config, out_dir = previous_output
    before = tree(out_dir)
    bad = write_env(tmp_path / "bad", (RETENTION, "retention_days = -1"), source=config.source)
    with pytest.raises(ConfigError) as caught:
        load(bad)
    assert caught.value.problems == [
        "key 'trail.retention_days': expected a positive whole number of days, got -1"
    ]
    assert tree(out_dir) == before


def test_env_file_broken_after_loading_fails_synth_and_keeps_output(
    previous_output, tmp_path, monkeypatch
):
    """main.py itself refuses the file (run here in-process instead of as a subprocess)."""
    import main

    config, out_dir = previous_output
    config = load(write_env(tmp_path / "env", source=config.source))
    config.source.write_text(config.source.read_text().replace(RETENTION, "retention_days = -1"))

    def main_in_process(command, *, env, **kwargs):
        assert command[-1] == str(REPO_ROOT / "main.py")
        monkeypatch.setenv(main.ENV_VARIABLE, env[main.ENV_VARIABLE])
        monkeypatch.setenv("CDKTF_OUTDIR", env["CDKTF_OUTDIR"])
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            code = main.main()
        return subprocess.CompletedProcess(command, code, "", stderr.getvalue())

    monkeypatch.setattr(synth_module.subprocess, "run", main_in_process)
    before = tree(out_dir)
    with pytest.raises(UserError) as caught:
        synth(config, out_dir)
    message = str(caught.value)
    assert message.startswith(f"Synth of 'example' failed; {out_dir.name}/ was left as it was.")
    assert f"{config.source}: 1 problem(s)" in message and "trail.retention_days" in message
    assert tree(out_dir) == before
    assert leftovers(out_dir) == []


def test_failed_synth_never_leaves_partial_output(previous_output, monkeypatch):
    config, out_dir = previous_output
    run, calls = stand_in({"management": '{"half": '}, returncode=1, stderr="jsii crashed")
    monkeypatch.setattr(synth_module.subprocess, "run", run)
    before = tree(out_dir)
    with pytest.raises(UserError, match="(?s)left as it was.*jsii crashed"):
        synth(config, out_dir, force=True)
    assert len(calls) == 1
    assert tree(out_dir) == before
    assert leftovers(out_dir) == []


# --- success swaps the whole output; the hash decides the next run ---------------------------


def test_new_output_replaces_the_old_and_later_runs_follow_the_hash(previous_output, monkeypatch):
    config, out_dir = previous_output
    run, calls = stand_in({"management": '{"new": true}'})
    monkeypatch.setattr(synth_module.subprocess, "run", run)

    assert synth(config, out_dir, force=True) is True
    assert tree(out_dir) == {
        HASH_FILE_NAME: input_hash(config).encode(),
        OUTPUT_HASH_FILE_NAME: output_hash(out_dir).encode(),
        "stacks": None,
        "stacks/management": None,
        "stacks/management/cdk.tf.json": b'{"new": true}',
    }
    assert leftovers(out_dir) == []
    assert calls[0]["FOUNDATION_ENV"] == str(config.source)

    assert synth(config, out_dir) is False and len(calls) == 1
    config.source.write_text(config.source.read_text().replace(RETENTION, "retention_days = 30"))
    assert synth(load(config.source), out_dir) is True and len(calls) == 2


# --- the output the hash vouches for --------------------------------------------------------


@pytest.mark.parametrize(
    "behind_the_back",
    [
        lambda stacks: (stacks / "management" / "cdk.tf.json").write_text('{"other": "env"}'),
        lambda stacks: shutil.rmtree(stacks / "dev"),
        lambda stacks: shutil.copytree(stacks / "dev", stacks / "extra"),
        lambda stacks: (stacks.parent / "manifest.json").write_text("{}"),
    ],
    ids=["stack-rewritten", "stack-removed", "stack-added", "manifest-rewritten"],
)
def test_output_written_behind_the_back_is_synthesized_again(
    previous_output, monkeypatch, behind_the_back, capsys
):
    """`FOUNDATION_ENV=example python main.py` or `cdktf synth` rewrote cdktf.out/ without
    touching the input hash: the cache must not vouch for that output."""
    config, out_dir = previous_output
    run, calls = stand_in({"management": '{"fresh": true}', "dev": "{}"})
    monkeypatch.setattr(synth_module.subprocess, "run", run)
    assert synth(config, out_dir, force=True) is True  # inputs and output as synth wrote them
    behind_the_back(out_dir / "stacks")
    assert synth(config, out_dir) is True and len(calls) == 2
    assert "written by something other than `make synth`" in capsys.readouterr().out
    assert synth(config, out_dir) is False and len(calls) == 2


def test_terraform_files_beside_the_stacks_do_not_invalidate_the_output(
    previous_output, monkeypatch
):
    config, out_dir = previous_output
    run, calls = stand_in({"management": "{}"})
    monkeypatch.setattr(synth_module.subprocess, "run", run)
    assert synth(config, out_dir, force=True) is True
    stack = out_dir / "stacks" / "management"
    (stack / ".terraform").mkdir()
    (stack / ".terraform.lock.hcl").write_text("# lock\n")
    (stack / "foundation.tfplan").write_bytes(b"plan")
    assert synth(config, out_dir) is False and len(calls) == 1


# --- input_hash --------------------------------------------------------------------------------


def test_input_hash_is_stable_for_unchanged_inputs(tmp_path):
    config = load(write_env(tmp_path))
    assert input_hash(config) == input_hash(config) == input_hash(load(config.source))


def test_input_hash_follows_the_env_file_and_resolved_values(tmp_path, monkeypatch):
    config = load(write_env(tmp_path))
    changed = load(write_env(tmp_path / "changed", (RETENTION, "retention_days = 30")))
    assert input_hash(changed) != input_hash(config)

    local = write_env(tmp_path / "local", source=environment_path("local"))
    monkeypatch.setenv(EMULATOR_PORT_VARIABLE, "4601")
    first = input_hash(load(local))
    monkeypatch.setenv(EMULATOR_PORT_VARIABLE, "4602")  # same file, another endpoint
    assert input_hash(load(local)) != first


@pytest.fixture
def fake_root(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's synth inputs, used by input_hash in place of the real one."""
    root = tmp_path / "repo"
    for pattern in synth_module._INPUT_GLOBS:
        for path in REPO_ROOT.glob(pattern):
            target = root / path.relative_to(REPO_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    monkeypatch.setattr(synth_module, "REPO_ROOT", root)
    return root


def append(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")


def add_test_file(root: Path) -> None:
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("")


@pytest.mark.parametrize(
    ("change", "changes_hash"),
    [
        (lambda root: append(root / "modules" / "organization.py"), True),
        (lambda root: (root / "modules" / "new_construct.py").write_text("X = 1\n"), True),
        (lambda root: (root / "modules" / "hardened_bucket.py").unlink(), True),
        (lambda root: append(root / "foundation" / "config.py"), True),
        (lambda root: append(root / "main.py"), True),
        (lambda root: (root / "README.md").write_text("# docs\n"), False),
        (add_test_file, False),
    ],
    ids=[
        "module-edited",
        "module-added",
        "module-removed",
        "config-loader-edited",
        "main-edited",
        "readme-added",
        "test-added",
    ],
)
def test_input_hash_follows_the_code_that_builds_the_stacks(
    tmp_path, fake_root, change, changes_hash
):
    config = load(write_env(tmp_path / "env"))
    before = input_hash(config)
    change(fake_root)
    assert (input_hash(config) != before) is changes_hash


def test_fake_root_hashes_like_the_repository(tmp_path, fake_root, monkeypatch):
    """The copy above is faithful: same files, hashed by their path relative to the root."""
    config = load(write_env(tmp_path / "env"))
    copied = input_hash(config)
    monkeypatch.setattr(synth_module, "REPO_ROOT", REPO_ROOT)
    assert input_hash(config) == copied


def _repository_imports(path: Path) -> set[Path]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
        for name in names:
            module = REPO_ROOT / (name.replace(".", "/") + ".py")
            package = REPO_ROOT / name.replace(".", "/") / "__init__.py"
            found |= {p for p in (module, package) if p.is_file()}
    return found


def test_code_imported_by_main_and_the_constructs_is_hashed():
    """A helper module that main.py or a construct imports shapes the output: a change to it
    must trigger a new synth."""
    builders = [REPO_ROOT / "main.py", *sorted((REPO_ROOT / "modules").glob("**/*.py"))]
    hashed = {p for pattern in synth_module._INPUT_GLOBS for p in REPO_ROOT.glob(pattern)}
    imported = set().union(*(_repository_imports(p) for p in builders))
    missing = sorted(
        str(p.relative_to(REPO_ROOT)) for p in imported - hashed if p.name != "__init__.py"
    )
    assert missing == [], f"imported while building the stacks but not in input_hash: {missing}"
