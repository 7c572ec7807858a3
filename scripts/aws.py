"""The one place boto3 sessions are built, for real AWS or the emulator, and identity is asked.

For an emulator environment the helper supplies fixed fake credentials and endpoint URLs, so
real credentials from the user's shell never reach the emulator.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.parsers import ResponseParserError

from foundation.model import Config
from foundation.paths import EMULATOR_CA_BUNDLE

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that would carry a user's real identity into a process talking to the emulator.
_REAL_IDENTITY_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


# Every way a botocore call can fail: ResponseParserError (an answer that is no AWS error, such
# as an HTML error page) derives from neither ClientError nor BotoCoreError.
ERRORS = (ClientError, BotoCoreError, ResponseParserError)


def explain(error: Exception) -> str:
    """One line saying what went wrong with an AWS call, without the body of an HTML page."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "?")
        message = error.response.get("Error", {}).get("Message", "")
        inner = re.search(r"<Message>(.*?)</Message>", message, re.DOTALL)
        text = inner.group(1) if inner else re.sub(r"<[^>]+>", " ", message)
        return textwrap.shorten(f"{error.operation_name} answered {code}: {text}", 200)
    if isinstance(error, ResponseParserError):
        status = re.search(r"\b([45]\d\d)\b", str(error))
        return "the endpoint answered something that is not an AWS response" + (
            f" (HTTP {status.group(1)})" if status else ""
        )
    return textwrap.shorten(str(error) or type(error).__name__, 200)


# Which credentials work when: docs/real-aws.md, "Credentials: the MFA session".
MFA_SESSION = (
    "Every command runs as an admin of the management account in an MFA session: `aws sts "
    "get-session-token --profile <admin profile> --serial-number <MFA device ARN> --token-code "
    "<code>`, its three values exported as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
    "AWS_SESSION_TOKEN (docs/real-aws.md#credentials-the-mfa-session). A profile without MFA "
    "(AWS_PROFILE) works only until the first apply attaches the force-MFA policy."
)


def next_step(config: Config, error: Exception) -> str:
    """The command that most likely fixes `error`, as a sentence."""
    if isinstance(error, EndpointConnectionError) and config.emulator:
        return (
            f"Is the emulator running? Start it with `make local-up ENV={config.env_name}` "
            f"(LOCAL_AWS_PORT={config.emulator.port})."
        )
    code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    if code == "ExpiredToken":
        return f"The MFA session has expired (it lasts 12 hours): start a new one. {MFA_SESSION}"
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)) or code in (
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    ):
        return f"Set credentials for the management account. {MFA_SESSION}"
    if code in ("AccessDenied", "AccessDeniedException") and not config.emulator:
        return (
            "If these credentials are an admin's access key without MFA: after the first apply "
            f"the force-MFA policy denies it everything but setting up MFA. {MFA_SESSION}"
        )
    if isinstance(error, EndpointConnectionError):
        return "Check the network connection to AWS, then run this again."
    return "Run this again; if it keeps failing, the line above says what AWS refused."


def cli_hint(config: Config, command: str) -> str:
    """`aws <command>` as a person types it for this environment: on the emulator with its
    endpoint, its certificate and the fake credentials it takes."""
    if not config.emulator:
        return f"aws {command}"
    credentials = " ".join(f"{name}={value}" for name, value in FAKE_CREDENTIALS.items())
    return (
        f"{credentials} aws --endpoint-url {config.emulator.endpoint_url} --ca-bundle "
        f"{EMULATOR_CA_BUNDLE} --region {config.region} {command}"
    )


def process_environment(config: Config, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess (terraform) acting as the management account."""
    env = dict(os.environ if base is None else base)
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = config.region
    if config.emulator:
        for name in _REAL_IDENTITY_VARIABLES:
            env.pop(name, None)
        env.update(FAKE_CREDENTIALS)
        env["AWS_CA_BUNDLE"] = str(EMULATOR_CA_BUNDLE)  # the emulator's own TLS certificate
        # Every service at the emulator (modules/aws_settings.py says why not in the stacks); no
        # service-specific endpoint of the caller's environment overrides it.
        for name in [name for name in env if name.startswith(f"{ENDPOINT_VARIABLE}_")]:
            env.pop(name)
        env[ENDPOINT_VARIABLE] = config.emulator.endpoint_url
    return env


_BOTO3_DATA_PATH = str(Path(boto3.__file__).parent / "data")
_shared_loader: botocore.loaders.Loader | None = None


def new_session(**arguments) -> boto3.Session:
    """boto3.Session(**arguments), sharing one botocore loader with every session made here: a
    fresh loader parses each service's JSON model again (~0.1-0.5 s per service and session)."""
    global _shared_loader
    core = botocore.session.get_session()
    if _shared_loader is None:
        _shared_loader = botocore.loaders.create_loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", _shared_loader)
    made = boto3.Session(botocore_session=core, **arguments)
    # boto3 appends its resource models to the loader's search paths on every session.
    paths = _shared_loader.search_paths
    while paths.count(_BOTO3_DATA_PATH) > 1:
        paths.remove(_BOTO3_DATA_PATH)
    return made


def session(config: Config) -> boto3.Session:
    """A session with the management account's credentials (fake ones for the emulator)."""
    if config.emulator:
        return new_session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=config.region,
        )
    return new_session(region_name=config.region)


def client(
    config: Config,
    service: str,
    boto_session: boto3.Session | None = None,
    *,
    region: str | None = None,
):
    """A client for `service` (in `region`, by default the session's); pointed at the emulator in
    an emulator environment."""
    boto_session = boto_session or session(config)
    if config.emulator:
        # S3 Control always calls https://<account id>.<endpoint host>: that goes by the tunnel.
        proxies = {"https": config.emulator.tunnel_url} if service == "s3control" else None
        return boto_session.client(
            service,
            region_name=region,
            endpoint_url=config.emulator.endpoint_url,
            verify=str(EMULATOR_CA_BUNDLE),
            config=BotoConfig(
                s3={"addressing_style": "path"}, retries={"max_attempts": 2}, proxies=proxies
            ),
        )
    return boto_session.client(service, region_name=region)


def s3_client_of_owner(
    config: Config, owner_account_id: str, boto_session: boto3.Session | None = None
):
    """An S3 client whose every request that takes ExpectedBucketOwner carries
    `owner_account_id`: S3 then answers 403 for a bucket of another account instead of acting on
    it (CreateBucket takes no such parameter)."""
    s3 = client(config, "s3", boto_session)

    def add_owner(params: dict, model, **_) -> None:
        if "ExpectedBucketOwner" in model.input_shape.members:
            params.setdefault("ExpectedBucketOwner", owner_account_id)

    s3.meta.events.register("provide-client-params.s3.*", add_owner)
    return s3


def bucket_status(s3, bucket: str) -> str:
    """missing, foreign (another account's, or denied: with an owner-checking client, see
    s3_client_of_owner, S3 refuses a bucket of another account) or ours."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("404", "NoSuchBucket", "NotFound"):
            return "missing"
        if code in ("403", "AccessDenied", "Forbidden"):
            return "foreign"
        raise
    return "ours"


def unless_missing(call: Callable[[], dict], *missing_codes: str) -> dict | None:
    """The response of a read, or None when AWS answers that the thing does not exist."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in missing_codes:
            return None
        raise


# The Free Tier API answers in us-east-1 only.
FREE_TIER_REGION = "us-east-1"


def account_plan(config: Config, boto_session: boto3.Session | None = None) -> dict:
    """The plan of the account these credentials land in (Free Tier API GetAccountPlanState):
    `accountPlanType` FREE or PAID, `accountPlanStatus` (NOT_STARTED, ACTIVE, EXPIRED), the
    credits left and, on the free plan, when it ends."""
    return client(
        config, "freetier", boto_session, region=FREE_TIER_REGION
    ).get_account_plan_state()


def account_state(account: dict) -> str | None:
    """An Organizations account's state: `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED,
    ...), or the `Status` it replaced (retired on 9 September 2026) where only that is answered."""
    return account.get("State") or account.get("Status")


def account_id(config: Config, boto_session: boto3.Session | None = None) -> str:
    """Which account do these credentials land in?"""
    return client(config, "sts", boto_session).get_caller_identity()["Account"]


def caller_account_or_none(config: Config, boto_session: boto3.Session | None = None) -> str | None:
    """The account these credentials land in, or None when STS cannot be asked."""
    try:
        return account_id(config, boto_session)
    except ERRORS:
        return None


def session_from_credentials(
    config: Config, credentials: dict, region: str | None = None
) -> boto3.Session:
    """A session from the temporary credentials STS hands out (AssumeRole, AssumeRoot), in the
    environment's region unless `region` is given."""
    return new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region or config.region,
    )


def assume_role(
    config: Config,
    role_arn: str,
    session_name: str,
    boto_session: boto3.Session | None = None,
    region: str | None = None,
) -> boto3.Session:
    """A session in another account, from the management credentials (or `boto_session`'s)."""
    return session_from_credentials(
        config,
        client(config, "sts", boto_session).assume_role(
            RoleArn=role_arn, RoleSessionName=session_name
        )["Credentials"],
        region,
    )


def assume_root(
    config: Config, account_id: str, task_policy_arn: str, boto_session: boto3.Session | None = None
) -> boto3.Session:
    """A root session in a member account (sts:AssumeRoot from the management account), allowed
    only what the AWS task policy allows, for at most 15 minutes."""
    return session_from_credentials(
        config,
        client(config, "sts", boto_session).assume_root(
            TargetPrincipal=account_id, TaskPolicyArn={"arn": task_policy_arn}
        )["Credentials"],
    )
