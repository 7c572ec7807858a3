"""What every stack's `terraform init` needs, asked before terraform starts."""

from __future__ import annotations

from foundation.model import Config
from scripts import aws
from scripts.console import UserError

_prerequisites_met: set[tuple] = set()


def check_credentials_and_state_bucket(config: Config) -> None:
    """What every stack's `terraform init` needs, asked first (once per process), so that a
    missing piece is one sentence naming the command that fixes it, not terraform's raw error:
    credentials that work (STS) and the state bucket, in the caller's own account."""
    wanted = (config.env_name, config.state_bucket, config.emulator and config.emulator.port)
    if wanted in _prerequisites_met:
        return
    try:
        account = aws.account_id(config)
        status = aws.bucket_status(aws.s3_client_of_owner(config, account), config.state_bucket)
    except aws.ERRORS as error:
        raise UserError(
            f"Terraform cannot start for '{config.env_name}': an AWS call failed "
            f"({aws.explain(error)}). {aws.next_step(config, error)}"
        ) from None
    if status == "missing":
        raise UserError(
            f"The state bucket '{config.state_bucket}' does not exist yet: create it "
            f"with `make bootstrap ENV={config.env_name}`, then run this again."
        )
    if status == "foreign":
        raise UserError(
            f"The state bucket '{config.state_bucket}' is not in account {account} "
            "(these credentials' account): pick another `state_bucket` in "
            f"{config.source.name}, or the management account's credentials."
        )
    _prerequisites_met.add(wanted)
