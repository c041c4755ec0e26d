"""The processes of a uid or marked by the launcher, killing them, and reaping what the
grader adopted: how nothing a job started outlives it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

from grader.sandbox.procfs import files
from grader.sandbox.procfs.trees import children, tree


def kill_tree(pid: int) -> None:
    """SIGKILL a process tree, children first found while the parent still holds them."""
    for p in reversed(tree(pid)):
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)


def tasks_of(uid: int) -> int:
    """Threads run now by the processes of uid (what RLIMIT_NPROC counts)."""
    total = 0
    for entry in files.PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    total += len(os.listdir(entry / "task"))
    return total


def pids_with_env(marker: str) -> list[int]:
    """Processes whose initial environment carries marker (KEY=VALUE): escaped daemons."""
    needle = marker.encode() + b"\0"
    found: list[int] = []
    for entry in files.PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError), open(entry / "environ", "rb") as f:
            # the marker is set by the launcher; a process may grow its environment, but
            # not past the ARG_MAX the kernel allows at exec
            if needle in f.read(1 << 22):
                found.append(int(entry.name))
    return found


_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (a sandbox's init, left
    when bubblewrap's outer process is killed; a student's double-forked daemon), instead
    of PID 1, which in a container may never reap them."""
    return files.LIBC is not None and files.LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap(settle_s: float = 0.3) -> int:
    """Collect every exited child (for a subreaper: adopted ones too); how many."""
    reaped = 0
    deadline = time.monotonic() + settle_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
        elif time.monotonic() > deadline:
            return reaped
        else:
            time.sleep(0.01)


def _status_uid_state(pid: str) -> tuple[set[int], str]:
    """(real, effective, saved and fs uids, state letter) of a process, from the first
    lines of its status (what a process cannot hide: /proc/PID's owner becomes root when
    it makes itself non-dumpable). Bytes-safe: a name is never decoded."""
    uids: set[int] = set()
    state = ""
    with open(files.PROC / pid / "status", "rb") as f:
        for line in f.read(4096).split(b"\n"):
            if line.startswith(b"State:"):
                state = line[6:].strip()[:1].decode("ascii", "replace")
            elif line.startswith(b"Uid:"):
                uids = {int(u) for u in line[4:].split() if u.isdigit()}
                break
    return uids, state


def processes_of(uid: int) -> list[int]:
    """Live processes (zombies are dead) with uid as any of their uids."""
    found: list[int] = []
    for entry in os.listdir(files.PROC):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            uids, state = _status_uid_state(entry)
            if uid in uids and state != "Z":
                found.append(int(entry))
    return found


def kill_uid(
    uid: int,
    *,
    settle_s: float = 0.2,
    timeout_s: float = 3.0,
    spare: Callable[[], frozenset[int]] = frozenset,
) -> tuple[list[int], list[int]]:
    """SIGKILL every process of uid, whatever its session, environment or parent, until
    none is left but `spare` (the grader's own waiting processes): (the processes found
    alive after `settle_s`, those killed a moment ago being on their way out; those still
    alive at the end)."""

    def alive() -> list[int]:
        found = processes_of(uid)
        kept = spare() if found else frozenset()
        return [pid for pid in found if pid not in kept]

    found = alive()
    deadline = time.monotonic() + settle_s
    while found and time.monotonic() < deadline:
        time.sleep(0.005)
        found = alive()
    left = found
    deadline = time.monotonic() + timeout_s
    while left and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)
        left = alive()
    return found, left


def reap_orphans(*, keep: set[int]) -> None:
    """Collect this subreaper's adopted children that have exited (a killed daemon),
    leaving the ones a Popen waits for (`keep`) to it."""
    for pid in children(os.getpid()):
        if pid in keep:
            continue
        with contextlib.suppress(OSError):
            os.waitpid(pid, os.WNOHANG)
