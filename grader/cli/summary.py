"""The terminal's view of one graded submission: a table of checks, each failure with
its message, its first diagnosis and the commands to see it at home. Colour only on a
terminal; every student string passes `safe_line`, so none can move the cursor, clear the
screen or start a line that looks like the grader's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from grader.model import Assignment, Detail, GradeResult, Outcome, Visibility
from grader.report.text import MARK, safe_line, summary_line
from grader.report.visibility import visible_rows

PAINT = {
    Outcome.PASSED: "\033[32m",
    Outcome.FAILED: "\033[31m",
    Outcome.TIMEOUT: "\033[35m",
    Outcome.ERROR: "\033[33m",
}


def colour(out: TextIO) -> bool:
    return out.isatty() and "NO_COLOR" not in os.environ


def print_summary(
    result: GradeResult, *, assignment: Assignment, folder: Path, out: TextIO, reveal: bool
) -> None:
    """Warnings, file problems, one line per check (and why, if it failed), the score."""
    paint = colour(out)
    for w in result.warnings:
        text = "WARNING: " + safe_line(w)
        print(f"\033[33;1m{text}\033[0m" if paint else text, file=out)
    for p in result.file_problems:
        print(f"! {safe_line(p.message)}", file=out)
    for shown in visible_rows(result, assignment=assignment, reveal=reveal):
        row, check = shown.row, shown.check
        mark = f"{MARK[row.outcome]:>7}"
        if paint:
            mark = PAINT.get(row.outcome, "") + mark + "\033[0m"
        hidden = "" if row.visibility is Visibility.VISIBLE else f" ({row.visibility.value})"
        print(f"{mark}  {row.points:>4g}/{row.max_points:<4g} {row.title}{hidden}", file=out)
        if check is None or shown.detail is Detail.NONE:
            continue
        if row.outcome is Outcome.PASSED:
            for d in check.diagnoses[:1]:
                print(f"         advice: {safe_line(d.text)}", file=out)
            continue
        print(f"         {safe_line(check.message)}", file=out)
        for d in check.diagnoses[:1]:
            print(f"         why: {safe_line(d.text)}", file=out)
        for i, command in enumerate(check.reproduce[:3]):
            print(f"         {'try:' if i == 0 else '    '} {safe_line(command)}", file=out)
    print(f"{safe_line(result.student)}: {summary_line(result)}", file=out)
    print(f"report: {folder / 'report.html'}", file=out)
