"""The student's server as the trusted checks see it: `StudentServer` starts it in the
sandbox and finds the port it really listens on from the kernel; `free_port` and
`port_in_use` say which ports are free for it."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass

from grader import trace
from grader.harness.netns import Netns, pick_port
from grader.harness.student.runner import _traced_start
from grader.model import Captured
from grader.sandbox import Launcher, StudentProcess

POLL_S = 0.005


@dataclass
class StudentServer:
    """A student's server process and the port it was found listening on.

    `netns` is the network namespace it runs in when that is not the check's own (the
    pairing checks put a relay between the student's client and server).
    """

    proc: StudentProcess
    requested_port: int
    port: int | None = None
    startup_s: float = 0.0
    workdir: str = ""  # the submission's folder as the student's code sees it
    netns: Netns | None = None

    @classmethod
    def start(
        cls,
        launcher: Launcher,
        filename: str,
        port: int,
        *,
        timeout_s: float,
        netns: Netns | None = None,
        port_env: str = "",
    ) -> StudentServer:
        """Start FILENAME with the port as argv[1] (and in $port_env, if named)."""
        args, env = [filename, str(port)], {port_env: str(port)} if port_env else {}
        with netns.entered() if netns else contextlib.nullcontext():
            warm = launcher.warm.take() if launcher.warm else None
            if warm is not None:
                proc = warm.go(args, name="your server", env=env)
                os.close(warm.stdin_w)  # nothing to read: end of file, as /dev/null gives
            else:
                proc = launcher.spawn(args, name="your server", env=env)
        _traced_start(warm is not None)
        server = cls(proc, port, workdir=launcher.workdir, netns=netns)
        server.wait_listening(timeout_s)
        trace.record(
            "student server start", start=proc.started, seconds=time.monotonic() - proc.started
        )
        return server

    def listening_ports(self) -> list[int]:
        """The ports its processes listen on, as its own network namespace sees them."""
        with self.netns.entered() if self.netns else contextlib.nullcontext():
            return self.proc.listening_ports()

    def connect(self, timeout_s: float) -> socket.socket:
        """A connection to it, made in its network namespace (raises OSError)."""
        assert self.port is not None
        with self.netns.entered() if self.netns else contextlib.nullcontext():
            return socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)

    def wait_listening(self, timeout_s: float) -> int | None:
        """Poll the kernel until the server listens, exits, or the time is up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ports = self.listening_ports()
            if ports:
                self.port = self.requested_port if self.requested_port in ports else ports[0]
                self.startup_s = time.monotonic() - self.proc.started
                return self.port
            if not self.proc.alive():
                # The process may have printed its last words just now.
                self.proc.settle_output()
                return None
            time.sleep(POLL_S)
        return None

    def listening(self) -> bool:
        return self.port is not None and self.port in self.listening_ports()

    def outputs(self) -> tuple[Captured, ...]:
        return (self.proc.stdout.snapshot(), self.proc.stderr.snapshot())

    def settled(self) -> bool:
        """Gone, or every process of it asleep (e.g. waiting in accept()): not running, and
        not half-way out (a zombie in the tree means a process of it is just ending)."""
        return not self.proc.alive() or all(s in "SD" for s in self.proc.states())

    def threads(self) -> int:
        """How many threads its processes run now (a select server runs one); the
        sandbox's own processes around it (bwrap) do not count."""
        return self.proc.threads(besides=("bwrap",))

    def stop(self) -> None:
        self.proc.terminate()


def free_port() -> int:
    """A port nobody listens on now (in the check's own network namespace)."""
    picked = pick_port()
    if picked is not None:
        return picked
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    """Whether some program listens on 127.0.0.1:port (on any address that covers it);
    an old connection in TIME_WAIT does not count."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True
