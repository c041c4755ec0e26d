"""A warm harness: one process that has imported pytest and collected the checks once,
and forks a fresh harness for each request, so a harness costs a fork, not a cold start.

Runs as the grader's trusted helper (`grader.run.zygote` starts it, under the same
namespace, memory cap and death signal a harness gets). It listens on one end of a
socket pair, never on a path. A request carries a harness's argv, environment and
working folder, with its three pipes (plan, answer, output) as passed descriptors; the
answer is the child's pid, and later its exit status. Each child starts its own session,
dies with the zygote, and runs `pytest.main` exactly as a cold harness would; a check
module's state cannot leak from one child to the next, because each child is a fork of
a zygote that never ran a check.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import signal
import socket
import sys
import tempfile
from typing import Any

import pytest

MAX_REQUEST = 1 << 20
PR_SET_PDEATHSIG = 1
FDS = ("config", "results", "output")


def main(sock_fd: int, *, warm_argv: list[str]) -> None:
    """Warm up on `warm_argv` (a collect-only run over the checks), then serve forever."""
    sock = socket.socket(fileno=sock_fd)
    _warm(warm_argv)
    # What the warm-up made lives as long as the zygote: keep it out of every later
    # collection, so a forked harness's collections skip it (and leave its pages shared).
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 512)
            _reap(sock)
        if sock.fileno() in ready and not _serve(sock, (wake_r, wake_w)):
            return


def _warm(argv: list[str]) -> None:
    """Import what every harness imports: pytest's plugins and the check modules."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    try:
        pytest.main([*argv, "--collect-only"])
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _serve(sock: socket.socket, private: tuple[int, ...]) -> bool:
    """One request: fork a harness and say its pid. False when the grader has gone."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, MAX_REQUEST, len(FDS))
    except InterruptedError:
        return True
    if not data:
        return False
    try:
        request = json.loads(data)
        if len(fds) != len(FDS):
            raise ValueError(f"expected {len(FDS)} descriptors, got {len(fds)}")
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            _child(request, dict(zip(FDS, fds, strict=True)), (sock.fileno(), *private), zygote)
        _send(sock, {"pid": pid})
    except Exception as exc:  # a bad request is answered, never fatal
        _send(sock, {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        for fd in fds:
            os.close(fd)
    return True


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "status": os.waitstatus_to_exitcode(status)})


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _child(
    request: dict[str, Any], fds: dict[str, int], private: tuple[int, ...], zygote: int
) -> None:
    """In the fork: become a harness as a cold start would make it, run it, exit."""
    code = 70
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != zygote:  # it died before the line above: die with it now
            os._exit(code)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in private:
            os.close(fd)
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds["output"], 1)
        os.dup2(fds["output"], 2)
        env = {str(k): str(v) for k, v in request["env"].items()}
        env.update({request["fd_env"][name]: str(fds[name]) for name in request["fd_env"]})
        os.environ.clear()
        os.environ.update(env)
        tempfile.tempdir = None  # found again from this harness's TMPDIR
        os.chdir(request["cwd"])
        sys.argv = ["pytest", *request["argv"]]
        code = int(pytest.main(list(request["argv"])))
    except BaseException as exc:  # the grader reads this from the harness's output
        print(f"grader harness (forked): {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
