"""Who holds a port the grader's own server needs: student code's (its failure, with a
sentence that says so) or another program's (the machine's problem), told from the
kernel's table of listening sockets."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from grader.harness.fixtures.network import student_holds
from grader.model import Isolation
from grader.protocol import RunConfig
from grader.sandbox import Policy, procfs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture
def listening() -> Iterator[int]:
    """A port this process listens on (its uid is the owner the kernel records)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def config(tmp_path: Path, **policy: object) -> RunConfig:
    base = Policy(Isolation.USER, sys.executable, (), "unit")
    return RunConfig(
        staged=tmp_path,
        wanted=(),
        files=(),
        problems=(),
        checks=(),
        policy=replace(base, **policy),  # type: ignore[arg-type]
        default_port=10000,
        quiescence_s=0.1,
    )


def test_the_kernel_names_the_uid_that_listens(listening: int) -> None:
    assert procfs.port_owner(listening) == os.geteuid()


def test_a_port_held_by_the_jobs_own_uid_is_the_students(tmp_path: Path, listening: int) -> None:
    me = os.geteuid()
    assert student_holds(listening, run_config=config(tmp_path, run_as=(me, me)))


def test_a_port_held_by_another_uid_without_a_namespace_is_the_machines(
    tmp_path: Path, listening: int
) -> None:
    other = os.geteuid() + 1
    assert not student_holds(listening, run_config=config(tmp_path, run_as=(other, other)))
    assert not student_holds(listening, run_config=config(tmp_path))  # no uid of its own


def test_in_the_checks_own_network_anything_listening_is_the_students(
    tmp_path: Path, listening: int
) -> None:
    assert student_holds(listening, run_config=config(tmp_path, netns=True))


def test_a_free_port_is_nobodys(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]  # bound, never listening
    assert procfs.port_owner(free) is None
    assert not student_holds(free, run_config=config(tmp_path, netns=True))


def test_a_refused_port_held_by_student_code_fails_the_check_not_the_grader(
    tmp_path: Path, listening: int
) -> None:
    """What the submission holds is its failure (StudentFault, a FAIL); what anyone else
    holds is the grader's fault (HarnessError): never a way to trade a failure for one."""
    from grader.errors import HarnessError, StudentFault
    from grader.harness.fixtures.network import port_refused

    with pytest.raises(StudentFault, match=f"still listening on port {listening}"):
        port_refused(listening, run_config=config(tmp_path, netns=True), why="busy")
    other = os.geteuid() + 1
    with pytest.raises(HarnessError, match="busy"):
        port_refused(listening, run_config=config(tmp_path, run_as=(other, other)), why="busy")
