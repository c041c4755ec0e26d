"""harness/fixtures.py's port rule: a port the grader needs, held by a process of the
submission being graded, is that submission's failure (StudentFault); held by anyone
else it is the grader's fault (HarnessError). Real processes, real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from grader.errors import HarnessError, StudentFault
from grader.harness.fixtures import port_refused, student_holds
from grader.model import Isolation
from grader.sandbox.policy import Policy

POLICY = Policy(Isolation.NONE, sys.executable, (), "f0u1t5")
LISTEN = """
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


@pytest.fixture
def listener() -> Iterator[Callable[[dict[str, str]], int]]:
    """Start a process listening on a free port, with extra environment; its port."""
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> int:
        proc = subprocess.Popen(
            [sys.executable, "-c", LISTEN],
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        started.append(proc)
        assert proc.stdout is not None
        return int(proc.stdout.readline())

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_port_held_by_the_submissions_process_is_its_failure(
    listener: Callable[[dict[str, str]], int],
) -> None:
    port = listener({"GRADER_JOB": POLICY.job_id})
    with pytest.raises(StudentFault, match=f"still listening on port {port}"):
        student_holds(port, policy=POLICY)
    with pytest.raises(StudentFault):
        port_refused(port, policy=POLICY, why="the grader could not listen")


def test_a_port_held_by_anyone_else_is_the_graders_fault(
    listener: Callable[[dict[str, str]], int],
) -> None:
    other = listener({"GRADER_JOB": "someone-else"})
    plain = listener({})
    for port in (other, plain):
        student_holds(port, policy=POLICY)  # not the student's
        with pytest.raises(HarnessError, match="could not listen"):
            port_refused(port, policy=POLICY, why="the grader could not listen")
