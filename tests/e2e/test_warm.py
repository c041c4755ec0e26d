"""Student processes started ahead of time (grader/sandbox/warm.py, grader/harness/rooms.py),
with the real sandbox: a warm process runs one program exactly as a cold start would,
serves only the network namespace it was started in, outlives the thread that prepared
it, and is killed when its check ends unused. A whole grading uses them."""

from __future__ import annotations

import ast
import errno
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT, make_repo

from grader.harness.netns import Netns
from grader.harness.rooms import Rooms
from grader.model import Assignment
from grader.pipeline import grade
from grader.sandbox import Launcher, policy_for, probe
from grader.sandbox.procfs import tree
from grader.sandbox.warm import WarmPool, current_netns
from grader.settings import Settings

pytestmark = pytest.mark.skipif(
    not probe().sandbox or os.geteuid() != 0,
    reason="warm processes live in per-check network namespaces (sandbox, as root here)",
)

# What a program sees of its own start: how it was called, where, with what environment.
PROBE = """\
import os, sys
print(repr((sys.argv, __name__, __file__, os.getcwd(), os.environ.get("PROBE"),
            sys.stdin.read(), sys.path[-1])), flush=True)
"""


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    (tmp_path / "probe.py").write_text(PROBE)
    policy = policy_for(probe(), sandbox=True, python=sys.executable)
    made = Launcher(policy, tmp_path, reaper=False)
    made.warm = WarmPool(made)
    yield made
    made.close()


def said(proc_text: str) -> tuple[object, ...]:
    return tuple(ast.literal_eval(proc_text))


def wait_output(launcher_proc, timeout_s: float = 10.0) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while launcher_proc.alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    launcher_proc.stdout.join(2.0)
    return launcher_proc.stdout.text()


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed process waits for its new parent to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int], timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while any(running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not any(running(p) for p in pids)


def test_a_warm_process_runs_its_program_as_a_cold_start_would(launcher: Launcher) -> None:
    assert launcher.warm is not None
    cold = launcher.spawn(["probe.py", "7"], name="cold", env={"PROBE": "x"})
    launcher.warm.start()
    warm = launcher.warm.take()
    assert warm is not None
    proc = warm.go(["probe.py", "7"], name="warm", env={"PROBE": "x"})
    os.close(warm.stdin_w)
    assert said(wait_output(proc)) == said(wait_output(cold))
    assert proc.returncode == cold.returncode == 0


def test_a_warm_process_runs_one_program_and_reads_nothing_more(launcher: Launcher) -> None:
    """What follows the command on its stdin is the program's own input, never a second
    command: a warm process is never reused."""
    assert launcher.warm is not None
    launcher.warm.start()
    warm = launcher.warm.take()
    assert warm is not None
    proc = warm.go(["probe.py"], name="warm")
    os.write(warm.stdin_w, b"probe.py again\n")
    os.close(warm.stdin_w)
    argv, *_, stdin, _path = said(wait_output(proc))
    assert argv == ["probe.py"] and stdin == "probe.py again\n"


def test_a_warm_process_serves_only_the_network_it_was_started_in(launcher: Launcher) -> None:
    assert launcher.warm is not None
    ns = Netns.fresh()
    try:
        with ns.entered():
            launcher.warm.start()
            inside = current_netns()
        assert current_netns() != inside
        assert launcher.warm.take() is None  # asked from another network
        with ns.entered():
            assert launcher.warm.take() is not None
    finally:
        ns.close()


def test_a_room_outlives_the_thread_that_prepared_it_and_is_killed_unused(
    launcher: Launcher,
) -> None:
    """bubblewrap dies with the thread that started it (--die-with-parent is a per-thread
    signal): rooms are made on a thread that lasts, and what a check leaves unused is
    killed, with every process of its sandbox."""
    assert launcher.warm is not None
    rooms = Rooms(launcher.warm)
    rooms.prepare(2)
    time.sleep(0.5)  # long after a short-lived preparing thread would have ended
    room = rooms.take()
    with room.ns.entered():
        used = launcher.warm.take()
        assert used is not None and used.proc.alive()
        used.discard()
    unused = [p for p in launcher.processes if p is not used.proc]
    assert len(unused) == 1 and unused[0].alive()
    pids = tree(unused[0].pid)
    assert len(pids) >= 2  # bwrap and the interpreter in it
    rooms.leave(room)
    assert not unused[0].alive()
    assert wait_gone(pids)
    rooms.close()


def test_a_grading_starts_most_student_processes_ahead_of_time(
    tmp_path: Path, echo_assignment: Assignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv("GRADER_TRACE", str(trace))
    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    result = grade(str(repo), assignment=echo_assignment, settings=Settings(reveal=True))
    assert result.score is not None and result.score.percent == 100
    spans = [json.loads(line)["span"] for line in trace.read_text().splitlines()]
    warm, cold = spans.count("student process (warm)"), spans.count("student process (cold)")
    assert warm > 2 * cold, (warm, cold)


def test_a_port_handed_out_is_free_while_other_threads_start_processes() -> None:
    """Warm processes are started from another thread while a check runs. A port found
    by probing (bind to port 0, close) can be held for a moment by a child forked in
    between, before it execs; the check's own bind then failed with 'Address already in
    use', a grader fault. In a check's fresh namespace free_port never probes."""
    from grader.harness.student import free_port

    stop = time.monotonic() + 2.0
    ballast = bytearray(200 << 20)  # a big process forks slowly, as a harness does

    def spawn() -> None:
        while time.monotonic() < stop:
            subprocess.run(["/bin/true"], check=False)

    spawner = threading.Thread(target=spawn)
    spawner.start()
    busy, tries = 0, 0
    try:
        while time.monotonic() < stop:
            ns = Netns.fresh()
            with ns.entered():
                for _ in range(20):
                    with socket.socket() as s:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        try:
                            s.bind(("127.0.0.1", free_port()))
                        except OSError as exc:
                            busy += exc.errno == errno.EADDRINUSE
                    tries += 1
            ns.close()
    finally:
        spawner.join()
    del ballast
    assert tries > 1000 and busy == 0, (tries, busy)
