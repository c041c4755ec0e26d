"""Your client talking to your server, on the two messages of the original tests."""

from __future__ import annotations

from collections.abc import Callable

from echo_helpers import LONG, SHORT, expect_reply

from grader.harness.config import RunConfig
from grader.harness.plugin import Check, Servers
from grader.harness.student import ClientCall

RunClient = Callable[..., tuple[ClientCall, int]]


def _pair(
    msg: str, label: str, servers: Servers, run_client: RunClient, check: Check, cfg: RunConfig
) -> None:
    server = servers.start(check, port=cfg.default_port)
    try:
        told = server.port if cfg.client_accepts_port else None
        call, port = run_client(msg, serve=lambda _port: None, port=told)
        if port != server.port and call.ended != "returned":
            check.fail(
                f"your client connects to port {port}, but your server listens on "
                f"{server.port}: use the same port on both sides."
            )
        expect_reply(check, call, msg, msg, label=label, traffic=None, filename=cfg.files["client"])
    finally:
        check.output(*server.outputs())
        server.stop()


def test_pair_short_message(
    servers: Servers, run_client: RunClient, check: Check, run_config: RunConfig
) -> None:
    _pair(SHORT, "a 14-byte message", servers, run_client, check, run_config)


def test_pair_long_message(
    servers: Servers, run_client: RunClient, check: Check, run_config: RunConfig
) -> None:
    _pair(LONG, "the 52-byte long message", servers, run_client, check, run_config)
