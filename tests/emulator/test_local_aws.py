"""The local emulator's process: its certificate and its subdomain tunnel (the tunnel against
the session's real server)."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scripts import aws
from scripts.emulator import certificate, server


def test_certificate_without_bucket_subdomains_is_made_again(tmp_path, monkeypatch):
    from cryptography import x509

    monkeypatch.setattr(certificate, "CA_BUNDLE", tmp_path / "certificate.pem")
    monkeypatch.setattr(certificate, "TLS_KEY", tmp_path / "key.pem")
    with monkeypatch.context() as before_subdomains:
        before_subdomains.setattr(certificate, "CERTIFICATE_NAMES", ("localhost",))
        certificate.ensure_certificate()
    certificate.ensure_certificate()
    names = (
        x509.load_pem_x509_certificate(certificate.CA_BUNDLE.read_bytes())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "*.127.0.0.1"]


def _start_with_the_certificate(directory: str) -> None:
    """What an emulator's start needs: the pair made or found, and usable together."""
    import ssl

    certificate.CA_BUNDLE = Path(directory) / "certificate.pem"
    certificate.TLS_KEY = Path(directory) / "key.pem"
    certificate.ensure_certificate()
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        certificate.CA_BUNDLE, certificate.TLS_KEY
    )
    ssl.create_default_context(cafile=str(certificate.CA_BUNDLE))


def test_emulators_started_at_once_on_a_fresh_clone_share_one_certificate(tmp_path):
    """One emulator per test worker, all starting at once: without the lock, some read a
    certificate half written or paired with another's key (measured: 2 to 4 of 6 failed)."""
    import multiprocessing

    starts = [
        multiprocessing.Process(target=_start_with_the_certificate, args=(str(tmp_path),))
        for _ in range(6)
    ]
    for start in starts:
        start.start()
    for start in starts:
        start.join()
    assert [start.exitcode for start in starts] == [0] * 6


@pytest.mark.parametrize(
    "target",
    [
        "example.com:443",
        "127.0.0.1:{port}",
        "123456789012.127.0.0.1:{other}",
        "a.b.127.0.0.1:{port}",
        "Upper.127.0.0.1:{port}",
    ],
)
def test_subdomain_tunnel_connects_only_emulator_subdomains_to_it(emulator, target):
    port = emulator.emulator.port
    tunnel = urlsplit(emulator.emulator.tunnel_url)

    def connect(host_port: str) -> bytes:
        with socket.create_connection((tunnel.hostname, tunnel.port), timeout=10) as client:
            client.sendall(f"CONNECT {host_port} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
            return client.recv(1024).split(b"\r\n", 1)[0]

    for allowed in (f"123456789012.127.0.0.1:{port}", f"my-bucket.127.0.0.1:{port}"):
        assert connect(allowed) == b"HTTP/1.1 200 Connection established"
    assert connect(target.format(port=port, other=port + 2)) == b"HTTP/1.1 403 Forbidden"


def test_virtual_hosted_bucket_address_through_the_tunnel(emulator):
    """What aws-sdk-go v1 (aws-nuke) does: no name server knows <bucket>.127.0.0.1, so the
    request goes through the tunnel and moto reads the bucket from the Host header."""
    import ssl

    import urllib3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from foundation.paths import EMULATOR_CA_BUNDLE as CA_BUNDLE

    s3, bucket = aws.client(emulator, "s3"), "virtual-hosted"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="greeting", Body=b"hello")
    try:
        url = f"https://{bucket}.{urlsplit(emulator.emulator.endpoint_url).netloc}/greeting"
        request = AWSRequest("GET", url)
        SigV4Auth(Credentials(*aws.FAKE_CREDENTIALS.values()), "s3", emulator.region).add_auth(
            request
        )
        trust = ssl.create_default_context(cafile=str(CA_BUNDLE))
        proxy = urllib3.ProxyManager(emulator.emulator.tunnel_url, ssl_context=trust)
        response = proxy.request("GET", url, headers=dict(request.headers.items()), retries=False)
        assert (response.status, response.data) == (200, b"hello")
    finally:
        s3.delete_object(Bucket=bucket, Key="greeting")
        s3.delete_bucket(Bucket=bucket)


def test_local_down_on_the_wrong_port_names_the_one_that_runs(emulator, monkeypatch, capsys):
    from foundation import config as config_module
    from foundation import model
    from tests.helpers import free_port

    monkeypatch.setenv(model.EMULATOR_PORT_VARIABLE, str(free_port()))
    server.stop(config_module.load("local"))
    said = capsys.readouterr().out
    assert "nothing to stop" in said
    assert str(emulator.emulator.port) in said.split("It runs on port", 1)[1]


def test_a_request_repeated_for_a_lost_answer_is_answered_as_the_first_time(emulator):
    """An SDK repeats a request whose answer it lost with the same invocation id: the create is
    carried out once and the repeat gets its answer; a new request (an id of its own) still
    meets AWS's rule against a second user of the name."""
    from botocore.exceptions import ClientError

    iam = aws.client(emulator, "iam", aws.session(emulator))
    invocation = {"id": "repeated-create-user"}

    def same_invocation(request, **_):
        request.headers["amz-sdk-invocation-id"] = invocation["id"]

    iam.meta.events.register("before-send.iam.CreateUser", same_invocation)
    first = iam.create_user(UserName="repeated-once")["User"]
    again = iam.create_user(UserName="repeated-once")["User"]
    assert again["UserId"] == first["UserId"]
    assert [u["UserName"] for u in iam.list_users()["Users"]].count("repeated-once") == 1
    invocation["id"] = "a-new-request"
    with pytest.raises(ClientError, match="EntityAlreadyExists"):
        iam.create_user(UserName="repeated-once")
    iam.delete_user(UserName="repeated-once")
