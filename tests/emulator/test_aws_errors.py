"""Every botocore failure becomes a CANNOT CHECK row or one line with the next command, against
real servers: the emulator (moto's server, not in-process moto), a stopped emulator, and an
endpoint answering an HTML error page; the next command for a credentials failure says which
credentials work when, and an `aws` command a helper hands out runs where the helper ran."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, NoCredentialsError

from foundation import model
from foundation.contract import (
    DEFAULT_ROLE_NAME,
    MANAGEMENT_STACK,
    OUTPUT_MEMBER_ACCOUNT_IDS,
    OUTPUT_MEMBER_ROLE_ARNS,
)
from scripts import aws, cli
from scripts.commands import root_verify
from scripts.commands.root_verify import CANNOT_CHECK, EMULATOR
from tests.helpers import free_port

DEV_ID = "210987654321"


class _HtmlErrorPage(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def html_error_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlErrorPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_html_error_page_is_one_of_the_errors_and_explained_in_one_line(html_error_endpoint):
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=html_error_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=BotoConfig(retries={"max_attempts": 1}),
    )
    with pytest.raises(aws.ERRORS) as raised:
        sts.get_caller_identity()
    explained = aws.explain(raised.value)
    assert "\n" not in explained and "<" not in explained
    assert "HTTP 500" in explained


def test_root_verify_against_a_stopped_emulator_names_make_local_up(monkeypatch, capsys):
    port = free_port()  # nothing listens there
    monkeypatch.setenv(model.EMULATOR_PORT_VARIABLE, str(port))
    assert cli.main(["root-verify", "--env", "local"]) == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1
    assert "make local-up ENV=local" in error and f"LOCAL_AWS_PORT={port}" in error


def test_root_verify_on_the_emulator_server_cannot_check_assume_root(emulator, capsys):
    """The server (not in-process moto) lacks sts:AssumeRoot: the member row says so."""
    config = dataclasses.replace(emulator, state_bucket="root-verify-errors-state")
    s3 = aws.client(config, "s3")
    s3.create_bucket(Bucket=config.state_bucket)
    key = config.state_key(MANAGEMENT_STACK)
    outputs = {
        OUTPUT_MEMBER_ACCOUNT_IDS: {"dev": DEV_ID},
        OUTPUT_MEMBER_ROLE_ARNS: {"dev": f"arn:aws:iam::{DEV_ID}:role/{DEFAULT_ROLE_NAME}"},
    }
    s3.put_object(
        Bucket=config.state_bucket,
        Key=key,
        Body=json.dumps(
            {"outputs": {name: {"value": value} for name, value in outputs.items()}}
        ).encode(),
    )
    try:
        checks = root_verify.verify(config)
    finally:
        s3.delete_object(Bucket=config.state_bucket, Key=key)
        s3.delete_bucket(Bucket=config.state_bucket)
    member = next(check for check in checks if check.name == "member dev: root credentials")
    assert member.status == CANNOT_CHECK
    assert f"no root session in {DEV_ID}" in member.detail and "AssumeRoot" in member.detail
    assert "Traceback" not in capsys.readouterr().out
    # What the emulator cannot hold is said, never a FAIL pointing to a console it lacks.
    root_mfa = next(check for check in checks if check.name == "root user: MFA enabled")
    assert (root_mfa.status, root_mfa.detail) == (EMULATOR, "emulator: cannot hold root MFA")


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "HeadBucket")


def test_credentials_failures_say_which_credentials_work_when(example_config):
    for error in (NoCredentialsError(), client_error("InvalidClientTokenId")):
        hint = aws.next_step(example_config, error)
        assert "MFA session" in hint and "get-session-token --profile" in hint
        assert (
            "AWS_SESSION_TOKEN" in hint and "docs/real-aws.md#credentials-the-mfa-session" in hint
        )
        assert "works only until the first apply" in hint
    assert aws.next_step(example_config, client_error("ExpiredToken")).startswith(
        "The MFA session has expired (it lasts 12 hours): start a new one."
    )
    assert "force-MFA policy" in aws.next_step(example_config, client_error("AccessDenied"))


def test_an_aws_command_handed_out_on_the_emulator_goes_to_the_emulator(example_config):
    from foundation import config as config_module

    local = config_module.load("local")
    assert aws.cli_hint(example_config, "sts get-caller-identity") == "aws sts get-caller-identity"
    hint = aws.cli_hint(local, "sts get-caller-identity")
    assert hint.startswith("AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws ")
    assert f"--endpoint-url {local.emulator.endpoint_url} --ca-bundle " in hint
    assert hint.endswith(f"--region {local.region} sts get-caller-identity")
