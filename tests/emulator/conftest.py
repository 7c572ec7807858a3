"""Fixtures of the emulator tests beyond tests/conftest.py's."""

from __future__ import annotations

import pytest

from scripts.commands import dev_reset


@pytest.fixture(scope="module")
def reset_logs(tmp_path_factory):
    """The resets' logs, aws-nuke's config and the last reset's time in a directory of this
    module (another module's reset of the same environment writes the repository's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dev_reset, "LOG_DIR", tmp_path_factory.mktemp("reset-logs"))
        yield dev_reset.LOG_DIR
