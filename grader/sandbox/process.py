"""A running student process: its captured output, and the facts /proc tells about it.

`StudentProcess` is the handle the harness holds (started by `Launcher.spawn`);
`wait_for` waits for a process's exit on the exit itself where the kernel can say so.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from pathlib import Path

from grader.sandbox import procfs
from grader.sandbox.capture import OutputCapture


class StudentProcess:
    """A running student process: its captured output and the facts /proc tells about it.

    Without /proc (`observable` false: macOS, or GRADER_PORTABLE=1) it is a single
    process whose ports come from its own report (`ports_file`), whose state is unknown
    and which is never seen blocked: its hangs end at the check's time limit.
    """

    def __init__(
        self,
        name: str,
        popen: subprocess.Popen[bytes],
        stdout: int,
        stderr: int,
        *,
        ports_file: Path | None = None,
    ):
        self.name = name
        self.popen = popen
        self.started = time.monotonic()
        self.stdout = OutputCapture(f"{name} stdout", stdout)
        self.stderr = OutputCapture(f"{name} stderr", stderr)
        self.ports_file = ports_file
        self._settled = False
        self.observable = ports_file is None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def tree(self) -> list[int]:
        if not self.observable:
            return [self.pid] if self.alive() else []
        return procfs.tree(self.pid)

    def listening_ports(self) -> list[int]:
        if self.ports_file is not None:
            if not self.alive():
                return []
            try:  # written from inside the student's process: any bytes, any size
                with open(self.ports_file, "rb") as f:
                    said = f.read(1 << 16).split()
            except OSError:
                return []
            ports = {int(p) for p in said if p.isdigit() and len(p) <= 5}
            return sorted(p for p in ports if p < 65536)
        return procfs.listening_ports(self.pid)

    def cpu_seconds(self) -> float:
        return procfs.cpu_seconds(self.tree()) if self.observable else 0.0

    def states(self) -> list[str]:
        """Scheduler states of its processes (none known without /proc)."""
        return procfs.states(self.tree()) if self.observable else []

    def threads(self, *, besides: tuple[str, ...] = ()) -> int:
        """Threads its processes run now; without /proc they cannot be counted and are
        taken as one."""
        return procfs.threads(self.tree(), besides=besides) if self.observable else 1

    def wait(self, timeout_s: float) -> int | None:
        """Its exit status once it ended within timeout_s (None if not), with what it
        wrote read to the end: its last words are on their way when it exits, and a reader
        right after must not miss them (bounded, for a child that keeps the pipes open)."""
        code = wait_for(self.popen, timeout_s=timeout_s, pidfd=self.observable)
        if code is not None:
            self.settle_output()
        return code

    def settle_output(self, timeout_s: float = 0.5) -> None:
        """Let both captures read what the ended process left in its pipes (waited for
        once: a child holding them open costs that time only once)."""
        if self._settled:
            return
        self._settled = True
        deadline = time.monotonic() + timeout_s
        self.stdout.join(max(deadline - time.monotonic(), 0.0))
        self.stderr.join(max(deadline - time.monotonic(), 0.0))

    def terminate(self, grace_s: float = 0.0) -> None:
        """Stop the whole tree: SIGTERM (optional grace), then SIGKILL everything left.

        Only while it is not reaped: until then its pid (a zombie's, at worst) and its
        process group are its own; once reaped, the kernel may give that pid to anyone
        (pids wrap quickly next to a fork bomb), and what is left of it is found through
        the job's cgroups, uid and marker instead."""
        if grace_s and self.popen.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGTERM)
            _exits(self.pid, timeout_s=grace_s)
        if self.popen.returncode is None:
            if self.observable:
                procfs.kill_tree(self.pid)
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
        self.wait(2.0)


def wait_for(popen: subprocess.Popen[bytes], *, timeout_s: float, pidfd: bool = True) -> int | None:
    """Its exit status once it ends, or None after timeout_s. Woken by the exit itself
    (a pidfd) where the kernel has them: Popen.wait polls with sleeps of up to 50 ms, which
    a grader that stops dozens of processes per submission pays every time."""
    if popen.poll() is not None or timeout_s <= 0:
        return popen.poll()
    try:
        if not pidfd:  # portable mode touches nothing Linux-only
            raise AttributeError
        fd = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):  # not Linux, an old kernel, or already reaped
        try:
            return popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None
    try:
        ready = select.poll()
        ready.register(fd, select.POLLIN)
        ready.poll(timeout_s * 1000)
    finally:
        os.close(fd)
    return popen.poll()


def _exits(pid: int, *, timeout_s: float) -> None:
    """Wait until a child exits, without reaping it (its pid stays its own)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except (ChildProcessError, AttributeError):
            return
        time.sleep(0.005)
