"""The terminal's view of one graded submission: a table of checks, each failure with
its message, its first diagnosis and the commands to see it at home. Colour only on a
terminal; every student string passes `safe_line`, so none can move the cursor, clear the
screen or start a line that looks like the grader's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from grader.model import Assignment, Detail, GradeResult, Outcome, Visibility
from grader.report.text import advises, mark, safe_line, summary_line
from grader.report.visibility import Shown, visible_rows

PAINT = {
    Outcome.PASSED: "\033[32m",
    Outcome.FAILED: "\033[31m",
    Outcome.TIMEOUT: "\033[35m",
    Outcome.ERROR: "\033[33m",
}
ADVICE_PAINT = "\033[36m"  # advice is neither a pass nor a failure


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
    said: set[str] = set()  # explanations already given: each is said in full once
    for shown in visible_rows(result, assignment=assignment, reveal=reveal):
        _row(shown, out=out, paint=paint, said=said)
    print(f"{safe_line(result.student)}: {summary_line(result)}", file=out)
    print(f"report: {folder / 'report.html'}", file=out)


def _row(shown: Shown, *, out: TextIO, paint: bool, said: set[str]) -> None:
    """One check: its line, then (unless it passed) its message, why, and the whole
    recipe to see it at home."""
    row, check = shown.row, shown.check
    word = mark(row)
    painted = f"{word:>7}"
    if paint:
        start = ADVICE_PAINT if advises(row) else PAINT.get(row.outcome, "")
        painted = f"{start}{painted}\033[0m"
    hidden = "" if row.visibility is Visibility.VISIBLE else f" ({row.visibility.value})"
    points = " " * 9 if row.advice else f"{row.points:>4g}/{row.max_points:<4g}"
    print(f"{painted}  {points} {row.title}{hidden}", file=out)
    if check is None or shown.detail is Detail.NONE:
        return
    if row.outcome is Outcome.PASSED:
        for d in check.diagnoses[:1]:
            print(f"         advice: {safe_line(d.text)}", file=out)
        return
    print(f"         {safe_line(check.message)}", file=out)
    for d in check.diagnoses[:1]:
        if d.text in said:
            print(f"         why: same as above ({safe_line(d.code.replace('_', ' '))})", file=out)
        else:
            said.add(d.text)
            print(f"         why: {safe_line(d.text)}", file=out)
    for i, command in enumerate(check.reproduce):
        print(f"         {'try:' if i == 0 else '    '} {safe_line(command)}", file=out)
