"""The next check's network namespace, made while the current check runs, with the student
processes it will need already started in it (grader/sandbox/warm.py).

A room is exactly what a check would otherwise make for itself at its start: a fresh
network namespace with only `lo`, and in it student interpreters under the submission's
sandbox and limits, waiting to be told what to run. Preparing it ahead moves their start
off the check's path; a check that finds none ready (the first one, or one needing more
processes than were guessed) starts them cold, with the same result. A room serves one
check: what it holds unused is killed when that check ends.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from grader.harness.netns import Netns
from grader.sandbox.warm import WarmPool, current_netns


@dataclass
class Room:
    """One check's network namespace (and its inode, the key of its warm processes)."""

    ns: Netns
    ino: int


class Rooms:
    """Rooms for one harness's checks, one prepared ahead at a time.

    Rooms are made on one thread that lives as long as the harness: bubblewrap's
    --die-with-parent is the kernel's parent-death signal, which fires when the *thread*
    that started a process ends, so a short-lived thread would take its sandboxes with it
    (and leave their inner processes behind, adopted by the harness).
    """

    def __init__(self, pool: WarmPool) -> None:
        self.pool = pool
        self._asks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._made: queue.SimpleQueue[Room | BaseException] = queue.SimpleQueue()
        self._pending = False
        threading.Thread(target=self._maker, name="rooms", daemon=True).start()

    def _maker(self) -> None:
        while True:
            processes = self._asks.get()
            try:
                self._made.put(self._make(processes))
            except BaseException as exc:  # take() falls back to a fresh room
                self._made.put(exc)

    def take(self) -> Room:
        """The room prepared for the next check, or a fresh one without processes."""
        if self._pending:
            self._pending = False
            made = self._made.get()
            if isinstance(made, Room):
                return made
        return self._make(0)

    def prepare(self, processes: int) -> None:
        """Start making the next check's room with `processes` warm processes in it."""
        if not self._pending:
            self._pending = True
            self._asks.put(processes)

    def _make(self, processes: int) -> Room:
        ns = Netns.fresh()
        with ns.entered():
            room = Room(ns, current_netns())
            for _ in range(processes):
                try:
                    self.pool.start()
                except OSError:
                    break  # the check starts what it needs cold
        return room

    def leave(self, room: Room) -> None:
        """The check is over: kill what it did not use; the namespace goes with its last
        socket and process."""
        self.pool.discard(room.ino)
        room.ns.close()

    def close(self) -> None:
        """The session is over: leave the room prepared for a check that never came."""
        if self._pending:
            self._pending = False
            made = self._made.get()
            if isinstance(made, Room):
                self.leave(made)
        self.pool.discard()
