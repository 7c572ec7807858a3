"""cdktf app: synthesize the `management` stack and one stack per member account.

The environment is chosen by FOUNDATION_ENV (a name under environments/ or a .toml path);
cdktf's CDKTF_OUTDIR chooses where the JSON goes. `make synth` is the usual way in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.config import ConfigError, load
from foundation.model import Config

if TYPE_CHECKING:
    from cdktf import App

ENV_VARIABLE = "FOUNDATION_ENV"
DEFAULT_ENV = "local"


def build_app(config: Config, outdir: str | Path | None = None) -> App:
    # Imported here, not at the top: they load the AWS bindings (~13 s), which a broken
    # environment file (refused by main() before this) or a test importing main need not wait for.
    from cdktf import App

    from modules.stacks import ManagementStack, MemberAccountStack

    app = App(outdir=str(outdir)) if outdir else App()
    ManagementStack(app, config)
    for account in config.accounts:
        MemberAccountStack(app, config, account)
    return app


def main() -> int:
    try:
        config = load(os.environ.get(ENV_VARIABLE, DEFAULT_ENV))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    build_app(config).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
