"""Reading /proc's files, whatever bytes a process put in them.

A student's process writes some of what /proc shows: its name (in stat, status, comm),
its command line and environment, any bytes at all. So every file is read through
`text` (at most 64 KiB, undecodable bytes replaced, never strict UTF-8) and every parse
tolerates what it does not expect. Every reader of the package finds /proc through
`PROC` here, at the time it reads (a test points it at a tree of hostile bytes).
"""

from __future__ import annotations

import ctypes
from pathlib import Path

PROC = Path("/proc")
MAX_READ = 1 << 16  # bytes of one /proc file: more than any field read here needs
# The C library, for what /proc has no file for (prctl, pidfd_getfd).
try:
    LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except (OSError, TypeError):  # Windows has no process-wide C library handle
    LIBC = None


def text(path: Path, *, limit: int = MAX_READ) -> str:
    """A /proc file as text, whatever bytes a process put in it: at most `limit` bytes,
    undecodable ones replaced. Raises OSError only."""
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", "replace")


def numbers(words: str | list[str]) -> list[int]:
    """The whole numbers among whitespace-separated words (others are skipped)."""
    found = words.split() if isinstance(words, str) else words
    return [int(w) for w in found if w.isascii() and w.isdigit() and len(w) <= 20]


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the process's name, from the state on (None:
    gone, or not readable). The name may hold anything, ")" and spaces included, so the
    fields start after the last ")"."""
    try:
        line = text(PROC / str(pid) / "stat")
    except OSError:
        return None
    end = line.rfind(")")
    fields = line[end + 2 :].split() if end >= 0 else []
    return fields or None
