"""The grader's side of the warm harness (grader.harness.zygote): start it once per
grader process and kind of harness, and ask it for harnesses.

A forked harness is not the grader's child, so `Forked` stands in for a Popen: its pid
(it leads its own process group, as a cold harness does) and its exit status as the
zygote reports it, with a wait that wakes on that report. Whatever goes wrong with
the zygote, the caller falls back to starting harnesses cold: a zygote is only ever a
way to be faster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path


class ZygoteGone(Exception):
    """The warm harness cannot serve: start harnesses cold instead."""


ZYGOTE = (
    "import sys; root = sys.argv.pop(1); root in sys.path or sys.path.insert(0, root); "
    "from grader.harness.zygote import main; main(int(sys.argv[1]), warm_argv=sys.argv[2:])"
)
START_S = 10.0


class Forked:
    """A harness forked by the zygote, with the part of Popen's interface the grader uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = threading.Event()

    def ended(self, status: int) -> None:
        self.returncode = status
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(["grader harness (forked)"], timeout or 0.0)
        assert self.returncode is not None
        return self.returncode


class Zygote:
    """One running zygote: forks harnesses on request, reports their exits."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], warm: Sequence[str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock = ours
        self._lock = threading.Lock()
        self._answers: list[dict[str, object]] = []
        self._answered = threading.Condition()
        self._children: dict[int, Forked] = {}
        self._early: dict[int, int] = {}
        self.alive = True
        theirs.set_inheritable(True)
        try:
            self.proc = subprocess.Popen(
                [*argv, str(theirs.fileno()), *warm],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        threading.Thread(target=self._read, daemon=True, name="zygote").start()

    def fork(
        self, argv: Sequence[str], *, env: dict[str, str], cwd: Path, fds: dict[str, int],
        fd_env: dict[str, str],
    ) -> Forked:  # fmt: skip
        """A harness running `pytest argv` with these pipes (closed here by the caller)."""
        request = {"argv": list(argv), "env": env, "cwd": str(cwd), "fd_env": fd_env}
        with self._lock:
            if not self.alive:
                raise ZygoteGone("the warm harness has stopped")
            socket.send_fds(
                self._sock,
                [json.dumps(request).encode()],
                [fds["config"], fds["results"], fds["output"]],
            )
            answer = self._next_answer()
        if "pid" not in answer:
            raise ZygoteGone(f"the warm harness could not fork: {answer.get('error')}")
        pid = int(str(answer["pid"]))
        child = Forked(pid)
        with self._answered:
            self._children[pid] = child
            if pid in self._early:
                child.ended(self._early.pop(pid))
        return child

    def _next_answer(self) -> dict[str, object]:
        with self._answered:
            while not self._answers:
                if not self.alive or not self._answered.wait(START_S):
                    raise ZygoteGone("the warm harness did not answer")
            return self._answers.pop(0)

    def _read(self) -> None:
        """Dispatch the zygote's lines: answers to fork(), exits to their Forked."""
        buffer = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                self._dispatch(json.loads(line))
        with self._answered:
            self.alive = False
            self._answered.notify_all()
            for child in self._children.values():
                if child.returncode is None:
                    child.ended(-int(signal.SIGKILL))

    def _dispatch(self, message: dict[str, object]) -> None:
        with self._answered:
            if "exit" in message:
                pid, status = int(str(message["exit"])), int(str(message["status"]))
                child = self._children.pop(pid, None)
                if child is None:
                    self._early[pid] = status
                else:
                    child.ended(status)
            else:
                self._answers.append(message)
                self._answered.notify_all()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
