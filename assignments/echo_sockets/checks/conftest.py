"""Fixtures of the echo_sockets checks (trusted code of the assignment).

The generic fixtures (`check`, `servers`, `student_server`, `run_client`,
`trusted_server`, `relay`) come from the grader's harness; the messages and verdict
helpers live in messages.py, server_side.py and client_side.py.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from diagnoses import CATALOGUE
from server_side import expect_echo

from grader.harness import (
    HOST,
    Catalogue,
    Check,
    HarnessError,
    Netns,
    Relay,
    RunConfig,
    Serve,
    Served,
    StudentServer,
    TrustedServer,
    free_port,
    listening_ports,
    wait_until,
)

Echo = Callable[..., None]


@pytest.fixture
def catalogue() -> Catalogue:
    """Every diagnosis of this assignment (diagnoses.py); the harness looks codes up here."""
    return CATALOGUE


@pytest.fixture
def echo(check: Check, run_config: RunConfig) -> Echo:
    def run(server: StudentServer, payload: bytes, label: str, **kwargs: object) -> None:
        expect_echo(check, server, payload, label, config=run_config, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture
def reference_server(
    run_config: RunConfig, relay: Callable[[int, Callable[[], socket.socket]], Relay]
) -> Iterator[Serve]:
    """The assignment's reference server (trusted code, not sandboxed), in a network of
    its own behind the grader's relay: the relay records what crossed the wire, and the
    reference's pid lets a client that hangs against it be told from a slow server."""
    procs: list[subprocess.Popen[bytes]] = []
    nets: list[Netns] = []

    def start(port: int) -> Served:
        ref = Path(run_config.reference_dir or "") / "echo_server.py"
        # Without network namespaces it shares the machine's network, on a port of its
        # own (the relay holds the one the client uses), and is ready when it answers.
        ns = Netns.fresh() if run_config.policy.netns else None
        own = port if ns is not None else free_port()
        with ns.entered() if ns is not None else contextlib.nullcontext():
            # -S: the reference needs only the standard library, and skipping `site`
            # (site-packages' .pth files) halves the start of each one (~20 ms of CPU).
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(ref), str(own)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            procs.append(proc)
            if ns is not None:
                nets.append(ns)
                listening = wait_until(lambda: own in listening_ports(proc.pid), 5.0)
            else:
                listening = wait_until(lambda: _answers(own), 5.0)
        if not listening:
            raise HarnessError(f"the reference server did not listen on port {own}")

        def upstream() -> socket.socket:
            with ns.entered() if ns is not None else contextlib.nullcontext():
                return socket.create_connection((HOST, own), timeout=2.0)

        return Served.of(relay(port, upstream), proc.pid)

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()
    for ns in nets:
        ns.close()


def _answers(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def echo_with(trusted_server: Callable[..., TrustedServer]) -> Callable[..., Serve]:
    """Build a `serve(port)` for run_client from TrustedServer options."""

    def make(**kwargs: object) -> Serve:
        def serve(port: int) -> Served:
            return Served.of(trusted_server(port, **kwargs))

        return serve

    return make
