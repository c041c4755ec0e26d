"""Commands that reproduce a check at home: for a POSIX shell, in the student's
repository, two terminals. The student's programs run without arguments, as the
template's contract has it (port 10000 unless their code says otherwise); the grader's
side is `grade-peer` (grader/cli/peer.py), which runs the same code as the checks."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from messages import EXPRESSIONS

from grader.harness import RunConfig, StudentServer

PEER = "grade-peer"


def _port_option(port: int, config: RunConfig) -> str:
    return "" if port == config.default_port else f" --port {port}"


def send(
    port: int, payload: bytes, config: RunConfig, *, pieces: int = 1, pause_s: float = 0.0
) -> str:
    """The grader's client sending payload, as a command."""
    options = _port_option(port, config)
    if pieces > 1:
        options += f" --pieces {pieces} --pause {pause_s:g}"
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and payload not in EXPRESSIONS:
        return f"{PEER} send{options} {shlex.quote(text)}   # terminal 2: the grader's client"
    expression = EXPRESSIONS.get(payload, repr(payload).replace("'", '"'))
    writer = shlex.quote(f"import sys; sys.stdout.buffer.write({expression})")
    return f"python -c {writer} | {PEER} send{options} -   # terminal 2: the grader's client"


def server_port(server: StudentServer, config: RunConfig) -> int:
    """The port the student's server uses at home, started without arguments."""
    if server.port not in (None, server.requested_port):
        return server.port
    return config.default_port


def serve(config: RunConfig, *, scramble: int = 0, trickle: int = 0, pause_s: float = 0.0) -> str:
    """The grader's server for the student's client, as a command."""
    port = config.client_port_literal or config.default_port
    options = _port_option(port, config)
    if scramble:
        options += f" --scramble {scramble}"
    if trickle:
        options += f" --trickle {trickle} --pause {pause_s:g}"
    return f"{PEER} serve{options}   # terminal 1: the grader's server (Ctrl-C stops it)"


def client(msg: str, filename: str, note: str = "terminal 2: your client") -> str:
    module = Path(filename).stem
    literal = json.dumps(msg, ensure_ascii=False)  # a Python str literal in double quotes
    code = f"from {module} import client; print(repr(client({literal})))"
    return f"python -c {shlex.quote(code)}   # {note}"


def server(config: RunConfig) -> str:
    staged = config.file("server")
    return f"python {staged.name if staged else 'echo_server.py'}   # terminal 1: your server"
