"""`make local-up` and `make local-down`: the embedded local AWS in the background; `local-serve`
is the server process itself."""

from __future__ import annotations

from scripts.commands import Command, Flag
from scripts.emulator import server

COMMANDS = (
    Command(
        "local-up",
        "start the local AWS emulator in the background",
        lambda config, args: server.start(config),
    ),
    Command("local-down", "stop the local AWS emulator", lambda config, args: server.stop(config)),
    Command(
        "local-serve",
        "serve the local AWS emulator in the foreground (local-up runs this in the background)",
        lambda config, args: server.serve(args.port),
        (Flag(("--port",), dict(type=int, required=True, help="port on 127.0.0.1")),),
        needs_environment=False,
    ),
)
