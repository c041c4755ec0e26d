"""Process trees and what each process is doing: its children, its CPU time, its
threads and its scheduler state."""

from __future__ import annotations

import contextlib
import os

from grader.sandbox.procfs import files

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in (files.PROC / str(pid) / "task").iterdir():
            with contextlib.suppress(OSError):
                kids.extend(files.numbers(files.text(task / "children")))
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    """The pid and all its live descendants (a snapshot; processes may come and go)."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        if p in seen or not (files.PROC / str(p)).exists():
            continue
        seen.append(p)
        todo.extend(children(p))
    return seen


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes (not their reaped children)."""
    total = 0
    for pid in pids:
        fields = files.stat(pid)
        if fields is not None and len(fields) > 12:
            total += sum(files.numbers(fields[11:13]))
    return total / _CLK_TCK


def threads(pids: list[int], *, besides: tuple[str, ...] = ()) -> int:
    """How many threads these processes run now, not counting those running a program
    named in `besides` (e.g. bwrap). The program is the executable's name, which a
    process cannot change without running that program: its own name (comm) it can,
    so a student's threaded server calling itself "bwrap" is still counted."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            if besides and _program(pid) in besides:
                continue
            total += len(os.listdir(files.PROC / str(pid) / "task"))
    return total


def _program(pid: int) -> str:
    """The name of the executable a process runs (its comm where that is unreadable)."""
    try:
        exe = os.readlink(files.PROC / str(pid) / "exe")
        return os.path.basename(exe).removesuffix(" (deleted)")
    except OSError:
        return files.text(files.PROC / str(pid) / "comm").strip()


def states(pids: list[int]) -> list[str]:
    """One-letter scheduler states (R running, S sleeping, Z zombie, ...)."""
    out: list[str] = []
    for pid in pids:
        fields = files.stat(pid)
        if fields is not None:
            out.append(fields[0][:1])
    return out
