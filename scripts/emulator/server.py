"""The embedded local AWS: moto's server on 127.0.0.1, run in the background with a pid file.

`python -m scripts.cli local-serve --port N` is the server process itself (moto plus the few
extensions in scripts/emulator/extensions/, and the subdomain tunnel on port N + 1);
`start`/`stop` manage it for `make local-up/down`. State lives as long as the server process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from foundation.model import EMULATOR_PORT_VARIABLE, Config, subdomain_tunnel_port
from foundation.paths import (
    EMULATOR_CA_BUNDLE,
    EMULATOR_TLS_KEY,
    LOCAL_AWS_DIR,
    REPO_ROOT,
)
from scripts.console import UserError, say
from scripts.emulator.certificate import ensure_certificate
from scripts.emulator.repeated_requests import RepeatsAnsweredOnce
from scripts.emulator.tunnel import subdomain_tunnel

STATE_DIR = LOCAL_AWS_DIR
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
        raise UserError(
            f"Environment '{config.env_name}' is real AWS (no [emulator] section); "
            "the local emulator is for ENV=local."
        )
    return config.emulator.port


def answers(port: int) -> bool:
    if not EMULATOR_CA_BUNDLE.is_file():
        return False
    context = ssl.create_default_context(cafile=str(EMULATOR_CA_BUNDLE))
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{port}/moto-api/", timeout=2, context=context
        ) as response:
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
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


def start(config: Config) -> None:
    port = _emulator_port(config)
    if _running_pid(port) and answers(port):
        say(f"Local AWS already running on 127.0.0.1:{port} (log: {log_file(port)}).")
        return
    if answers(port):
        raise UserError(
            f"Something else already answers on 127.0.0.1:{port}. Stop it, or pick "
            "another port with LOCAL_AWS_PORT=<port>."
        )
    ensure_certificate()
    with open(log_file(port), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, *SERVE_COMMAND, "--port", str(port)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **SERVER_ENVIRONMENT},
            start_new_session=True,
        )
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
        say(
            f"Local AWS is not running on port {port}; nothing to stop."
            + (
                f" It runs on port {', '.join(map(str, others))}: "
                f"`make local-down {EMULATOR_PORT_VARIABLE}={others[0]}`."
                if others
                else ""
            )
        )
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _pid_file(port).unlink(missing_ok=True)
    say(f"Local AWS on port {port} stopped (pid {pid}); its state is gone.")


# Longer than any client keeps an idle connection (Go's default is 90 s), so that the client,
# never the server, closes one: a request sent on a connection the server is closing fails.
IDLE_CONNECTION_SECONDS = 300


def serve(port: int) -> None:
    """Run moto's server over TLS in this process until SIGTERM or SIGINT.

    cheroot serves it, not werkzeug's development server: that one closes the connection after
    every response, and under load (a test suite on two cores) the provider saw some of those
    connections fail after moto had carried the request out; it sent the request again and a
    create failed as a duplicate (CreateRole, CreateBudget, EnablePolicyType: two to four
    repeated requests per loaded management apply; cheroot's kept-alive connections made it
    rare, not impossible: one in a loaded benchmark run). A request repeated all the same is
    answered as the first time (repeated_requests.py).
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
    server = wsgi.Server(
        ("127.0.0.1", port),
        RepeatsAnsweredOnce(DomainDispatcherApplication(create_backend_app)),
        numthreads=16,
        timeout=IDLE_CONNECTION_SECONDS,
    )
    server.ssl_adapter = BuiltinSSLAdapter(str(EMULATOR_CA_BUNDLE), str(EMULATOR_TLS_KEY))
    tunnel = subdomain_tunnel(port)
    threading.Thread(target=tunnel.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    print(
        f"moto server listening on https://127.0.0.1:{port} (subdomain tunnel on port "
        f"{subdomain_tunnel_port(port)})",
        flush=True,
    )
    server.safe_start()
