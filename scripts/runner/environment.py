"""What terraform runs with: the binary (its version checked), the provider mirror, the plugin
cache and the process environment (the emulator's endpoint and credentials, less garbage
collection)."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from foundation.model import Config
from foundation.paths import TERRAFORM_CLI_DIR
from scripts import aws
from scripts.console import UserError

MINIMUM_VERSION = (1, 10)  # S3 native state locking (use_lockfile)
MIRROR_VARIABLE = "TF_PROVIDER_MIRROR"

# Where machine images ship an offline provider mirror; used when TF_PROVIDER_MIRROR is unset
# and no Terraform CLI config of the user's own exists.
KNOWN_MIRRORS = (Path("/opt/tf-plugins"),)
MIRRORED_PROVIDER = "registry.terraform.io/hashicorp/aws"
CLI_CONFIG = TERRAFORM_CLI_DIR / "provider-mirror.tfrc"
PLUGIN_CACHE_VARIABLE = "TF_PLUGIN_CACHE_DIR"

# One unpacked copy of each provider for every stack, instead of one per stack directory.
PLUGIN_CACHE = TERRAFORM_CLI_DIR / "plugin-cache"

# An init whose stack has no lock file yet (every new stack) otherwise installs the provider into
# the cache again, even when it is there, under the feet of the other stacks' running providers;
# with this it links what the cache holds. The lock file then records only this platform's
# checksum: cdktf.out is generated, never committed.
PLUGIN_CACHE_AS_IS_VARIABLE = "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"

# Terraform and the AWS provider are Go programs whose CPU time is a third garbage collection
# at Go's default (GOGC=100). No collection until a process's heap reaches 512 MiB cut a plan's
# CPU by about 30 % for about 110 MB more per provider process and 310 MB more for terraform
# (docs/performance.md, "How the runner keeps a plan cheap"); either variable of the user's own
# leaves both.
GARBAGE_COLLECTION = {"GOGC": "off", "GOMEMLIMIT": "512MiB"}


@functools.cache
def terraform_binary() -> str:
    """The terraform on PATH, its version checked once per process."""
    binary = shutil.which("terraform")
    if binary is None:
        raise UserError(
            "Terraform CLI not found on PATH. Install Terraform "
            f"{'.'.join(map(str, MINIMUM_VERSION))} or newer, then run this again."
        )
    output = subprocess.run([binary, "version", "-json"], capture_output=True, text=True).stdout
    version = json.loads(output or "{}").get("terraform_version", "0.0.0")
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MINIMUM_VERSION:
        raise UserError(
            f"Terraform {version} is too old: S3 native state locking needs "
            f"{'.'.join(map(str, MINIMUM_VERSION))} or newer."
        )
    return binary


def provider_mirror() -> Path | None:
    """The provider mirror to use: TF_PROVIDER_MIRROR, else a known one unless the user
    configured Terraform themselves."""
    if os.environ.get(MIRROR_VARIABLE):
        mirror = Path(os.environ[MIRROR_VARIABLE])
        if not (mirror / MIRRORED_PROVIDER).is_dir():
            raise UserError(f"{MIRROR_VARIABLE}={mirror} holds no {MIRRORED_PROVIDER} provider.")
        return mirror
    own_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if (own_config and Path(own_config).is_file()) or Path.home().joinpath(
        ".terraformrc"
    ).is_file():
        return None
    return next((m for m in KNOWN_MIRRORS if (m / MIRRORED_PROVIDER).is_dir()), None)


def cli_environment(config: Config) -> dict[str, str]:
    env = aws.process_environment(config)
    env["TF_IN_AUTOMATION"] = "1"
    if not GARBAGE_COLLECTION.keys() & env.keys():
        env.update(GARBAGE_COLLECTION)
    mirror = provider_mirror()
    if mirror is not None:
        _write_atomically(
            CLI_CONFIG,
            (
                "provider_installation {\n"
                f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
                f'    include = ["{MIRRORED_PROVIDER}"]\n  }}\n'
                f'  direct {{\n    exclude = ["{MIRRORED_PROVIDER}"]\n  }}\n}}\n'
            ),
        )
        env["TF_CLI_CONFIG_FILE"] = str(CLI_CONFIG)
    env[PLUGIN_CACHE_VARIABLE] = str(plugin_cache_dir())
    env.setdefault(PLUGIN_CACHE_AS_IS_VARIABLE, "1")
    return env


def plugin_cache_dir() -> Path:
    """TF_PLUGIN_CACHE_DIR as the user set it, else ours; terraform needs it to exist."""
    cache = Path(os.environ.get(PLUGIN_CACHE_VARIABLE) or PLUGIN_CACHE)
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _write_atomically(path: Path, text: str) -> None:
    """Concurrent runners may rewrite the file while a terraform reads it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text() == text:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(text)
    partial.replace(path)
