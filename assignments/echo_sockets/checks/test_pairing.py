"""Your client talking to your server, on the two messages of the original tests.

The server runs in a network of its own and the grader's relay stands where it listens,
so the verdict comes from what crossed the wire: your server must have received the
message and echoed it, and your client must have returned exactly that echo. When the
pair fails, the grader's own client then tries the same message on your server, so the
report can say which side is at fault instead of guessing.

Without network namespaces (an unsandboxed self-check) the pair meets directly, and only
client()'s reply can be judged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import commands
import pytest
from client_side import Met, judge_reply, record_reply
from messages import LONG, SHORT
from server_side import explain_crash, probe_echo, settle

from grader.harness import (
    Check,
    Ended,
    Netns,
    Relay,
    RunClient,
    RunConfig,
    Served,
    Servers,
    StudentServer,
    Traffic,
    Upstream,
)

MakeRelay = Callable[[int, Upstream], Relay]


@pytest.fixture
def own_server_network(run_config: RunConfig) -> Iterator[Netns | None]:
    """A network for the student's server apart from the check's own (None without
    namespaces)."""
    if not run_config.policy.netns:
        yield None
        return
    ns = Netns.fresh()
    yield ns
    ns.close()


def _pair(msg: str, label: str, servers: Servers, run_client: RunClient, relay: MakeRelay,
          ns: Netns | None, check: Check, cfg: RunConfig) -> None:  # fmt: skip
    server = servers.start(cfg.default_port, netns=ns)
    assert server.port is not None

    def serve(_port: int) -> Served:
        if ns is None:
            return Served(Traffic(), [], server.proc.pid)
        return Served.of(relay(server.port or 0, lambda: server.connect(2.0)), server.proc.pid)

    told = server.port if cfg.client_accepts_port else None
    call, served, port = run_client(msg, serve=serve, port=told)
    met = Met(served.connections, port) if ns is not None else _assumed(msg, port)
    record_reply(check, call, msg, msg, label=label, met=met)
    check.commands(commands.server(cfg), commands.client(msg, _client_file(cfg)))
    if port != server.port and call.ended is not Ended.RETURNED:
        _ports_differ(check, server, port)
    talk = met.carried(msg)
    echoed = talk is not None and bytes(talk.answer) == msg.encode()
    if not echoed or call.ended is not Ended.RETURNED or call.text != msg:
        _server_alone(check, server, msg, cfg)
    judge_reply(check, call, msg, met=met, filename=_client_file(cfg), serve=commands.server(cfg))
    if not echoed:
        sent = talk.sent_n if talk is not None else 0
        check.fail(
            f"your server sent back {sent} bytes, not the {len(msg.encode())}-byte message it "
            "received, and your client returned that."
        )


def _assumed(msg: str, port: int) -> Met:
    """Without a relay, assume the server got the message and echoed it faithfully."""
    talk = Traffic()
    talk.took(msg.encode())
    talk.owe(msg.encode())
    return Met([talk], port)


def _ports_differ(check: Check, server: StudentServer, port: int) -> None:
    given = f"the grader gave your server port {server.requested_port} (argv[1] and ECHO_PORT)"
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


def _server_alone(check: Check, server: StudentServer, msg: str, cfg: RunConfig) -> None:
    """Try the message on the student's server with the grader's client: is it sound?
    What that shows (a crash, a server that stops) is in the report as evidence."""
    settle(server)
    if not server.proc.alive():
        explain_crash(check, server)
        return
    if not server.listening():
        return  # it stopped after one client: the server checks say so
    with server.netns.entered() if server.netns else contextlib.nullcontext():
        probe_echo(
            check,
            server,
            msg.encode(),
            "then the same message from the grader's client to your server",
            config=cfg,
        )


def _client_file(cfg: RunConfig) -> str:
    staged = cfg.file("client")
    assert staged is not None  # the check's `needs` made sure
    return staged.name


def test_pair_short_message(
    servers: Servers,
    run_client: RunClient,
    relay: MakeRelay,
    own_server_network: Netns | None,
    check: Check,
    run_config: RunConfig,
) -> None:
    _pair(SHORT, "a 14-byte message", servers, run_client, relay, own_server_network, check,
          run_config)  # fmt: skip


def test_pair_long_message(
    servers: Servers,
    run_client: RunClient,
    relay: MakeRelay,
    own_server_network: Netns | None,
    check: Check,
    run_config: RunConfig,
) -> None:
    _pair(LONG, "the 52-byte long message", servers, run_client, relay, own_server_network,
          check, run_config)  # fmt: skip
