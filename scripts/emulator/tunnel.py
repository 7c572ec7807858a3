"""The subdomain tunnel: how clients reach <account id or bucket>.127.0.0.1 on the emulator."""

from __future__ import annotations

import re
import select
import socket
import socketserver

from foundation.model import subdomain_tunnel_port

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
