"""Fixtures of the echo_sockets checks (trusted code of the assignment).

The generic fixtures (`check`, `student_server`, `servers`, `run_client`,
`trusted_server`) come from the grader's harness plugin; the messages and verdict
helpers live in echo_helpers.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from diagnoses import CATALOGUE
from echo_helpers import expect_echo

from grader.harness.config import RunConfig
from grader.harness.diagnosis import Catalogue
from grader.harness.peers import Traffic, TrustedServer
from grader.harness.plugin import Check, HarnessError, wait_until
from grader.harness.student import StudentServer
from grader.sandbox import procfs


@pytest.fixture
def catalogue() -> Catalogue:
    """Every diagnosis of this assignment (diagnoses.py); the harness looks codes up here."""
    return CATALOGUE


@pytest.fixture
def echo(check: Check, run_config: RunConfig) -> Callable[..., None]:
    def run(server: StudentServer, payload: bytes, label: str, **kwargs: object) -> None:
        expect_echo(check, server, payload, label, config=run_config, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture
def reference_server(run_config: RunConfig) -> Iterator[Callable[[int], int]]:
    """Start the assignment's reference server (trusted code, not sandboxed) on a port;
    return its pid, so a client that hangs against it can be told apart from a slow server."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(port: int) -> int:
        ref = Path(run_config.reference_dir or "") / "echo_server.py"
        proc = subprocess.Popen(
            [sys.executable, "-I", str(ref), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        if not wait_until(lambda: port in procfs.listening_ports(proc.pid), 5.0):
            raise HarnessError(f"the reference server did not listen on port {port}")
        return proc.pid

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.fixture
def echo_with(
    trusted_server: Callable[..., TrustedServer],
) -> Callable[..., Callable[[int], Traffic]]:
    """Build a `serve(port)` for run_client from TrustedServer options."""

    def make(**kwargs: object) -> Callable[[int], Traffic]:
        def serve(port: int) -> Traffic:
            return trusted_server(port, **kwargs).traffic

        return serve

    return make
