"""The embedded local AWS: moto's server on 127.0.0.1, run in the background with a pid file.

`python -m scripts.cli local-serve --port N` is the server process itself (moto plus the few
extensions in scripts/emulator/extensions.py, and the subdomain tunnel on port N + 1);
`start`/`stop` manage it for `make local-up/down`. State lives as long as the server process.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import select
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from foundation.config import EMULATOR_PORT_VARIABLE, Config, subdomain_tunnel_port
from foundation.paths import LOCAL_AWS_DIR, REPO_ROOT, held
from scripts.console import UserError, say

STATE_DIR = LOCAL_AWS_DIR
CA_BUNDLE = STATE_DIR / "tls" / "certificate.pem"
TLS_KEY = STATE_DIR / "tls" / "key.pem"
SERVE_COMMAND = ("-m", "scripts.cli", "local-serve")
START_TIMEOUT_SECONDS = 60
# Terraform attaches AWS managed policies (AdministratorAccess, Billing); moto loads them only
# when asked.
SERVER_ENVIRONMENT = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def _pid_file(port: int) -> Path:
    return STATE_DIR / f"moto-{port}.pid"


def log_file(port: int) -> Path:
    return STATE_DIR / f"moto-{port}.log"


def _emulator_port(config: Config) -> int:
    if not config.emulator:
        raise UserError(f"Environment '{config.env_name}' is real AWS (no [emulator] section); "
                        "the local emulator is for ENV=local.")
    return config.emulator.port


def answers(port: int) -> bool:
    if not CA_BUNDLE.is_file():
        return False
    context = ssl.create_default_context(cafile=str(CA_BUNDLE))
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/moto-api/", timeout=2,
                                    context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def running_ports() -> list[int]:
    """The ports of every emulator started from this checkout that is still running."""
    ports = sorted(int(path.stem.removeprefix("moto-")) for path in STATE_DIR.glob("moto-*.pid"))
    return [port for port in ports if _running_pid(port) is not None]


def _running_pid(port: int) -> int | None:
    """The pid from our pid file, if that process is alive and is our server."""
    try:
        pid = int(_pid_file(port).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if SERVE_COMMAND[-1] in cmdline.split("\0") else None


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent (a test session that started it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def start(config: Config) -> None:
    port = _emulator_port(config)
    if _running_pid(port) and answers(port):
        say(f"Local AWS already running on 127.0.0.1:{port} (log: {log_file(port)}).")
        return
    if answers(port):
        raise UserError(f"Something else already answers on 127.0.0.1:{port}. Stop it, or pick "
                        "another port with LOCAL_AWS_PORT=<port>.")
    ensure_certificate()
    with open(log_file(port), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, *SERVE_COMMAND, "--port", str(port)], cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **SERVER_ENVIRONMENT}, start_new_session=True)
    _pid_file(port).write_text(str(process.pid))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _pid_file(port).unlink(missing_ok=True)
            raise UserError(f"Local AWS did not start on 127.0.0.1:{port}; see {log_file(port)}.")
        time.sleep(0.2)
    say(f"Local AWS running on 127.0.0.1:{port} (pid {process.pid}, log: {log_file(port)}).")


def stop(config: Config) -> None:
    port = _emulator_port(config)
    pid = _running_pid(port)
    if pid is None:
        _pid_file(port).unlink(missing_ok=True)
        others = [other for other in running_ports() if other != port]
        say(f"Local AWS is not running on port {port}; nothing to stop." + (
            f" It runs on port {', '.join(map(str, others))}: "
            f"`make local-down {EMULATOR_PORT_VARIABLE}={others[0]}`." if others else ""))
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _pid_file(port).unlink(missing_ok=True)
    say(f"Local AWS on port {port} stopped (pid {pid}); its state is gone.")


def ensure_certificate() -> None:
    """A self-signed certificate for 127.0.0.1/localhost, made once and shared by every port.

    The emulator speaks TLS so that the buckets' deny-non-TLS policies hold for real; clients
    trust this certificate through AWS_CA_BUNDLE (set by scripts/aws.py), nothing else. It also
    names *.127.0.0.1, the hosts clients call through the subdomain tunnel; one made before
    that is made again."""
    # Emulators start at once (one per test worker): one makes the pair, the others wait for it.
    with held(CA_BUNDLE.parent / ".certificate.lock"):
        if not (CA_BUNDLE.is_file() and TLS_KEY.is_file() and _names_all(CA_BUNDLE)):
            _make_certificate()


def _make_certificate() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-aws emulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([
            *(x509.DNSName(name) for name in CERTIFICATE_NAMES),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    TLS_KEY.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    TLS_KEY.chmod(0o600)
    CA_BUNDLE.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


# The subdomains are the hosts clients reach through the subdomain tunnel.
CERTIFICATE_NAMES = ("localhost", "*.127.0.0.1")


def _names_all(certificate: Path) -> bool:
    from cryptography import x509

    names = x509.load_pem_x509_certificate(certificate.read_bytes()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    return set(CERTIFICATE_NAMES) <= set(names.get_values_for_type(x509.DNSName))


# What the tunnel lets through: CONNECT to <account id or bucket>.127.0.0.1 on the emulator's own
# port (one DNS label: the certificate's wildcard covers no more).
_SUBDOMAIN = re.compile(rb"^CONNECT [a-z0-9][a-z0-9-]{0,62}\.127\.0\.0\.1:(\d+) HTTP/1\.[01]\r?\n$")
_TUNNEL_IDLE_SECONDS = 300


def subdomain_tunnel(port: int) -> socketserver.ThreadingTCPServer:
    """An HTTPS proxy on 127.0.0.1 that connects `CONNECT <name>.127.0.0.1:<port>` (an account
    id for S3 Control, a bucket for virtual-hosted S3) to the emulator on 127.0.0.1:<port> and
    refuses anything else. TLS stays end to end: the client checks the emulator's certificate
    for the prefixed name, and moto serves the bucket the Host header names."""

    class Tunnel(socketserver.StreamRequestHandler):
        rbufsize = 0  # unbuffered: any byte after the headers belongs to the tunnel

        def handle(self) -> None:
            request = self.rfile.readline(512)
            while self.rfile.readline(8192).strip():  # the request's headers, unused
                pass
            match = _SUBDOMAIN.match(request)
            if not match or int(match[1]) != port:
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", port)) as upstream:
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                _relay(self.connection, upstream)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    return Server(("127.0.0.1", subdomain_tunnel_port(port)), Tunnel)


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until one side closes or both stay idle."""
    other = {client: upstream, upstream: client}
    while True:
        readable, _, _ = select.select(list(other), [], [], _TUNNEL_IDLE_SECONDS)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            other[source].sendall(data)


# Longer than any client keeps an idle connection (Go's default is 90 s), so that the client,
# never the server, closes one: a request sent on a connection the server is closing fails.
IDLE_CONNECTION_SECONDS = 300


def serve(port: int) -> None:
    """Run moto's server over TLS in this process until SIGTERM or SIGINT.

    cheroot serves it, not werkzeug's development server: that one closes the connection after
    every response, and under load (a test suite on two cores) the provider saw some of those
    connections fail after moto had carried the request out; it sent the request again and a
    create failed as a duplicate (CreateRole, CreateBudget, EnablePolicyType: two to four
    repeated requests per loaded management apply, none with cheroot's kept-alive connections).
    """
    os.environ.update(SERVER_ENVIRONMENT)
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        create_backend_app,
    )

    from scripts.emulator import extensions

    extensions.install()
    ensure_certificate()
    server = wsgi.Server(("127.0.0.1", port), DomainDispatcherApplication(create_backend_app),
                         numthreads=16, timeout=IDLE_CONNECTION_SECONDS)
    server.ssl_adapter = BuiltinSSLAdapter(str(CA_BUNDLE), str(TLS_KEY))
    tunnel = subdomain_tunnel(port)
    threading.Thread(target=tunnel.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    print(f"moto server listening on https://127.0.0.1:{port} (subdomain tunnel on port "
          f"{subdomain_tunnel_port(port)})", flush=True)
    server.safe_start()
