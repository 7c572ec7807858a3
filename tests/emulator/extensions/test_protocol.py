"""What every service answers (scripts/emulator/extensions/protocol.py)."""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from foundation.paths import EMULATOR_CA_BUNDLE
from scripts import aws


@pytest.mark.parametrize(
    ("service", "operation", "arguments"),
    [
        ("sts", "DecodeAuthorizationMessage", {"EncodedMessage": "x"}),  # query protocol
        ("ec2", "DescribeCapacityBlockOfferings", {"CapacityDurationHours": 24}),  # ec2
        (
            "budgets",
            "DescribeBudgetPerformanceHistory",  # json
            {"AccountId": "123456789012", "BudgetName": "dev"},
        ),
        ("lambda", "GetAccountSettings", {}),  # rest-json, a path moto has no route for
        ("route53", "GetCheckerIpRanges", {}),  # rest-xml, likewise
    ],
)
def test_unimplemented_action_fails_at_once(emulator, monkeypatch, service, operation, arguments):
    """Over TLS against the real server, with botocore's default retry configuration."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    client = aws.session(emulator).client(
        service, endpoint_url=emulator.emulator.endpoint_url, verify=str(EMULATOR_CA_BUNDLE)
    )
    method = getattr(client, xform_name(operation))
    started = time.monotonic()
    with pytest.raises(ClientError) as raised:
        method(**arguments)
    seconds = time.monotonic() - started
    error, metadata = raised.value.response["Error"], raised.value.response["ResponseMetadata"]
    assert (metadata["HTTPStatusCode"], error["Code"], metadata["RetryAttempts"]) == (
        501,
        "NotImplemented",
        0,
    )
    assert error["Message"].startswith(f"{service}:{operation} is not implemented by the local AWS")
    assert seconds < 10


def test_a_path_that_is_no_operation_stays_not_found(emulator):
    request = urllib.request.Request(
        f"{emulator.emulator.endpoint_url}/2015-03-31/no-such-path",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/"
            "aws4_request, SignedHeaders=host, Signature=0"
        },
    )
    context = ssl.create_default_context(cafile=str(EMULATOR_CA_BUNDLE))
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10, context=context)
    assert raised.value.code == 404


def test_last_page_has_no_token(mocked_aws):
    ssm = mocked_aws("ssm")
    ssm.create_document(
        Name="learner-runbook",
        DocumentType="Command",
        Content=json.dumps(
            {
                "schemaVersion": "2.2",
                "mainSteps": [
                    {
                        "action": "aws:runShellScript",
                        "name": "hi",
                        "inputs": {"runCommand": ["echo hi"]},
                    }
                ],
            }
        ),
    )
    page = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}], MaxResults=50)
    assert [d["Name"] for d in page["DocumentIdentifiers"]] == ["learner-runbook"]
    assert "NextToken" not in page
