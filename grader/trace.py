"""Where the time goes: named spans written as JSON lines when GRADER_TRACE names a file.

Off by default (one environment lookup per span). `python -m bench --profile` sets it,
grades a submission, and turns the spans of the grader, its harnesses and their student
processes into one table. Each line: {"span": name, "start": t, "s": seconds, "pid": pid}
with `start` on the monotonic clock, shared by every process of the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

ENV = "GRADER_TRACE"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def record(name: str, *, start: float, seconds: float = 0.0) -> None:
    """Append one span (when tracing is on); never fails the grading."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps({"span": name, "start": round(start, 6), "s": round(seconds, 6),
                       "pid": os.getpid()})  # fmt: skip
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


@contextlib.contextmanager
def span(name: str) -> Iterator[None]:
    """Time a block as one span."""
    start = time.monotonic()
    try:
        yield
    finally:
        record(name, start=start, seconds=time.monotonic() - start)
