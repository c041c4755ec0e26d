"""The hang rule: is the student's process tree blocked, with nothing that can wake it?

Blocked means, over a whole window (`quiescence_s`): less than 10% of a core of CPU,
never runnable when looked at, and no thread in a wait that ends by itself (a socket
timeout, select/poll with a timeout, time.sleep, a timed Event.wait). A process waiting
on a timer is slow, not stuck: it gets until the check's time limit. A process that
keeps running (a busy loop) is never idle and runs into the limit too.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

from grader.sandbox import StudentProcess, procfs


class IdleCheck:
    """Sample a process tree (at most every 20 ms) and say whether it is blocked.

    Sampled on every call, so a verdict always covers a whole window. `on_timer` says
    whether, at the last call, the tree was idle but for a wait on a timer (with the
    longest such timeout in `timer_s` when the call says it): with the other side done,
    that is a client about to give up on a socket timeout, which is advice, not a hang.
    """

    BUSY_SHARE = 0.10
    # Without /proc (macOS, GRADER_PORTABLE=1) nothing can be seen: never blocked, so a
    # hang ends at the check's time limit.

    def __init__(
        self, proc: StudentProcess, window_s: float = 0.5, *, also: tuple[int, ...] = ()
    ) -> None:
        self.proc = proc
        self.also = also  # other process trees that must be idle too (the peer server)
        self.window_s = window_s
        # (time, CPU seconds, whether anything was runnable or in disk wait at that time)
        self.samples: collections.deque[tuple[float, float, bool]] = collections.deque()
        self.busy_seen = False
        self.on_timer = False
        self.timer_s: float | None = None
        self._timer_seen = float("-inf")  # when a thread was last seen in a timed wait
        self._sample()

    def _sample(self) -> None:
        if not self.proc.observable:
            return
        now = time.monotonic()
        if self.samples and now - self.samples[-1][0] < 0.02:
            return
        pids = self._pids()
        running = any(state in "RD" for state in procfs.states(pids))
        self.samples.append((now, procfs.cpu_seconds(pids), running))
        # keep one sample older than the window, to measure the window against
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window_s:
            self.samples.popleft()

    def __call__(self) -> bool:
        if not self.proc.observable:
            self.busy_seen = True
            return False
        self._sample()
        now, cpu, _ = self.samples[-1]
        then, cpu_then, _ = self.samples[0]
        if now - then < self.window_s:
            return False  # not watched for a whole window yet
        # Little CPU, and never seen runnable in the window: a process starved of CPU on
        # a loaded machine uses little CPU too, but it is runnable whenever we look.
        idle = (cpu - cpu_then) < self.BUSY_SHARE * (now - then) and not any(
            running for _, _, running in self.samples
        )
        self.on_timer = False
        if idle:
            timed = [w for w in procfs.waits(self._pids()) if w.timed]
            if timed:
                self._timer_seen = now
                longest = max((w.timeout_s for w in timed if w.timeout_s), default=None)
                if longest is not None:
                    self.timer_s = max(self.timer_s or 0.0, longest)
            # A timer seen anywhere in the window counts: at the instant it fires the
            # thread is between the wait and its return, and may look blocked.
            if self._timer_seen >= then:
                idle = False
                self.on_timer = True
        self.busy_seen = self.busy_seen or not idle
        return idle

    def _pids(self) -> list[int]:
        return self.proc.tree() + [p for root in self.also for p in procfs.tree(root)]


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll a condition without a fixed sleep; True if it came true in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
