"""Student interpreters started ahead of time, so a check pays only for the student's code.

A warm process is an ordinary student process (the same sandbox, limits, cgroups and
network namespace as a cold start, started by the same `Launcher.spawn`) that has done
what every student program does first: start the interpreter under -I -S and import
`socket`. It then waits, blocked on its stdin, for one line that says what to run (a
script and its arguments, as `python SCRIPT ARGS...` would, and the environment to add);
after that it is indistinguishable from a process started cold for that script. Nothing
is ever reused: a warm process runs one program once, and one not used is killed.

It belongs to the network namespace it was started in (a check's own, prepared while
the previous check ran), and is handed out only to a caller in that same namespace, so a
check never meets a process or a socket of another check.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from grader.sandbox.launch import Launcher
from grader.sandbox.prelude import RUN_SCRIPT, inside_program
from grader.sandbox.process import StudentProcess

# Runs in the student's interpreter after the launcher's prelude (grader/inside/wait.py):
# it waits for one line that says which script to run, and leaves sys.argv for RUN_SCRIPT.
WAIT = inside_program("wait.py", call="_grader_wait(); del _grader_wait")


def current_netns() -> int:
    """The network namespace the calling thread is in (its inode), 0 if unknown."""
    try:
        return os.stat("/proc/thread-self/ns/net").st_ino
    except OSError:
        return 0


@dataclass
class WarmProcess:
    """A waiting student interpreter: its process, the write end of its stdin, the read
    end of its private answer pipe (and that pipe's number in the child)."""

    proc: StudentProcess
    stdin_w: int
    answer_r: int
    answer_fd: int
    netns: int

    def go(
        self,
        args: Sequence[str],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        answer: bool = False,
    ) -> StudentProcess:
        """Run `args` (a script and its arguments) in it, as `name`. With `answer`, the
        answer pipe stays open for the program (`answer_fd` in the child, `answer_r`
        here). The caller owns `stdin_w` afterwards (what else the program reads on its
        stdin: close it for none), and `answer_r` if it kept the pipe."""
        fields = ["1" if answer else "0", str(len(env or {}))]
        for key, value in (env or {}).items():
            fields += [key, value]
        fields += list(args)
        line = " ".join(f.encode("utf-8", "surrogateescape").hex() for f in fields) + "\n"
        proc = self.proc
        proc.name = name
        proc.stdout.name, proc.stderr.name = f"{name} stdout", f"{name} stderr"
        proc.started = time.monotonic()
        if not answer:
            os.close(self.answer_r)
        with contextlib.suppress(OSError):  # a process that died waiting shows as such
            os.write(self.stdin_w, line.encode("ascii"))
        return proc

    def discard(self) -> None:
        """Kill it unused, and close our ends of its pipes."""
        self.proc.terminate()
        for fd in (self.stdin_w, self.answer_r):
            with contextlib.suppress(OSError):
                os.close(fd)


class WarmPool:
    """The warm processes of one submission's harness, each tied to the network
    namespace it was started in."""

    def __init__(self, launcher: Launcher) -> None:
        self._launcher = launcher
        self._lock = threading.Lock()
        # Held while one is being started, and while a check's leftovers are killed: a
        # process half-started (in the job's cgroup, not yet known as waiting) must never
        # be taken for a leftover.
        self._starting = threading.Lock()
        self._ready: list[WarmProcess] = []

    def start(self) -> None:
        """Start one, in the calling thread's network namespace."""
        with self._starting:
            self._start()

    def _start(self) -> None:
        stdin_r, stdin_w = os.pipe()
        answer_r, answer_w = os.pipe()
        try:
            proc = self._launcher.spawn(
                ["-c", WAIT + RUN_SCRIPT, str(answer_w)],
                name="a student process",
                pass_fds=(answer_w,),
                stdin=stdin_r,
            )
        except BaseException:
            os.close(stdin_w)
            os.close(answer_r)
            raise
        finally:
            os.close(stdin_r)
            os.close(answer_w)
        warm = WarmProcess(proc, stdin_w, answer_r, answer_w, current_netns())
        with self._lock:
            self._ready.append(warm)

    @contextlib.contextmanager
    def held(self) -> Iterator[list[StudentProcess]]:
        """The processes still waiting to be told what to run (none has run student code),
        with no other being started until the block ends."""
        with self._starting, self._lock:
            yield [w.proc for w in self._ready]

    def take(self) -> WarmProcess | None:
        """One started in the caller's network namespace and still waiting, if any."""
        here = current_netns()
        with self._lock:
            for warm in self._ready:
                if warm.netns == here and warm.proc.alive():
                    self._ready.remove(warm)
                    return warm
        return None

    def discard(self, netns: int | None = None) -> None:
        """Kill the unused ones of a network namespace (of every one: None)."""
        with self._lock:
            gone = [w for w in self._ready if netns is None or w.netns == netns]
            self._ready = [w for w in self._ready if w not in gone]
        for warm in gone:
            warm.discard()
