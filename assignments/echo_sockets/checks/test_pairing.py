"""Your client talking to your server, on the two messages of the original tests.

When the pair fails, the grader's own client then tries the same message on your
server, so the report can say which side is at fault instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable

from echo_helpers import (
    LONG,
    SHORT,
    explain_crash,
    judge_reply,
    probe_echo,
    record_reply,
    repro_client,
    repro_server,
    settle,
)

from grader.harness.config import RunConfig
from grader.harness.plugin import Check, Servers
from grader.harness.student import ClientCall, StudentServer

RunClient = Callable[..., tuple[ClientCall, int]]


def _pair(
    msg: str, label: str, servers: Servers, run_client: RunClient, check: Check, cfg: RunConfig
) -> None:
    server = servers.start(check, port=cfg.default_port)
    try:
        told = server.port if cfg.client_accepts_port else None
        call, port = run_client(msg, serve=lambda _port: server.proc.pid, port=told)
        record_reply(check, call, msg, msg, label=label, traffic=None)
        check.commands(repro_server(cfg), repro_client(msg, cfg.files["client"]))
        if port != server.port and call.ended != "returned":
            given = (
                f"the grader gave your server port {server.requested_port} (argv[1] and ECHO_PORT)"
            )
            check.explain(
                "server_other_port",
                (
                    f"{given} and it listened there"
                    if server.port == server.requested_port
                    else f"{given}; it listened on {server.port} instead, which is fine on its own"
                )
                + f"; your client connected to {port}",
                server_port=server.port,
                client_port=port,
            )
            check.fail(
                f"your client connects to port {port}, but your server listens on "
                f"{server.port}: use the same port on both sides."
            )
        server_ok = True
        if call.ended != "returned" or call.text != msg:
            server_ok = _server_alone(check, server, msg, cfg)
        judge_reply(
            check,
            call,
            msg,
            msg,
            traffic=None,
            filename=cfg.files["client"],
            serve=repro_server(cfg),
            guess=server_ok,
        )
    finally:
        check.output(*server.outputs())
        server.stop()


def _server_alone(check: Check, server: StudentServer, msg: str, cfg: RunConfig) -> bool:
    """Try the message on the student's server with the grader's client: is it sound?"""
    settle(server)
    if not server.proc.alive():
        explain_crash(check, server)
        return False
    if server.port not in server.proc.listening_ports():
        return False  # it stopped after one client: the server checks say so
    echo = probe_echo(
        check,
        server,
        msg.encode(),
        "then the same message from the grader's client to your server",
        config=cfg,
    )
    return echo.ok


def test_pair_short_message(
    servers: Servers, run_client: RunClient, check: Check, run_config: RunConfig
) -> None:
    _pair(SHORT, "a 14-byte message", servers, run_client, check, run_config)


def test_pair_long_message(
    servers: Servers, run_client: RunClient, check: Check, run_config: RunConfig
) -> None:
    _pair(LONG, "the 52-byte long message", servers, run_client, check, run_config)
