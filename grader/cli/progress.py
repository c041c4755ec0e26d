"""Show a batch's progress: a live bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.batch import Progress as Event
from grader.model import Status
from grader.report.text import safe_line


def line(event: Event) -> str:
    r = event.result
    if r is None:
        return f"[{event.done}/{event.total}]"
    what = (
        f"{r.score.points:g}/{r.score.max_points:g}"
        if r.status is Status.GRADED and r.score
        else f"{r.status.value}: {safe_line(r.problem)}"
    )
    return f"[{event.done}/{event.total}] {safe_line(r.student)}: {what}"


@contextlib.contextmanager
def display(out: TextIO, *, total: int) -> Iterator[Callable[[Event], None]]:
    """Yield the callback the batch reports to; the bar is drawn only on a TTY."""
    if not out.isatty():
        yield lambda event: print(line(event), file=out, flush=True)
        return
    console = Console(file=out)
    bar = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}/min"),
        TextColumn("[red]{task.fields[failures]} not graded"),
        TextColumn("{task.fields[reused]} reused"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with bar:
        task = bar.add_task("batch", total=total, rate="–", failures=0, reused=0)

        def show(event: Event) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{60 * event.done / elapsed:.0f}" if elapsed > 1 else "–"
            bar.update(
                task,
                completed=event.done,
                rate=rate,
                failures=event.failures,
                reused=event.reused,
            )

        yield show
