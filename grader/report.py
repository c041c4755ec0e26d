"""Render a GradeResult: Gradescope-style results.json, a self-contained report.html,
and the short terminal summary. Rendering returns text; `write` is the only file I/O.

Same input, byte-identical output: nothing here reads a clock or the environment.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from grader.model import (
    Assignment,
    Captured,
    CheckResult,
    CheckScore,
    GradeResult,
    Outcome,
    Status,
    Visibility,
)

SHOW_BYTES = 600
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("grader", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
MARK = {
    Outcome.PASSED: "PASS",
    Outcome.FAILED: "FAIL",
    Outcome.TIMEOUT: "HUNG",
    Outcome.ERROR: "ERROR",
    Outcome.SKIPPED: "SKIP",
    Outcome.NOT_RUN: "NOT RUN",
}


def show_bytes(data: bytes | None, limit: int = SHOW_BYTES, total: int | None = None) -> str:
    """Bytes as escaped text, long payloads cut in the middle with a clear marker.

    `total` is the real size when `data` was already clipped to its head and tail.
    """
    if data is None:
        return "(nothing)"
    size = len(data) if total is None else total
    if not size:
        return "(0 bytes)"
    if len(data) > limit or size > len(data):
        head, tail = data[: limit * 2 // 3], data[-(limit // 6) :]
        cut = size - len(head) - len(tail)
        return (
            f"{_escape(head)}\n[... {cut:,} bytes not shown; {size:,} bytes in all ...]\n"
            f"{_escape(tail)}"
        )
    return _escape(data)


def _escape(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def show_output(captured: Captured) -> str:
    if not captured.cut_bytes:
        return captured.head + captured.tail
    return (
        f"{captured.head}\n[... {captured.cut_bytes:,} bytes cut; {captured.total_bytes:,} "
        f"bytes in all ...]\n{captured.tail}"
    )


def visible_rows(
    result: GradeResult, assignment: Assignment, *, reveal: bool
) -> list[tuple[CheckScore, CheckResult | None]]:
    """The rows a reader may see: everything for instructors, visible checks for students."""
    if result.score is None:
        return []
    rows = []
    for row in result.score.checks:
        if not reveal and row.visibility is not Visibility.VISIBLE:
            continue
        rows.append((row, result.run.get(row.check_id) if result.run else None))
    return rows


def feedback_text(check: CheckResult | None) -> str:
    """The plain-text feedback of one check: message, diagnoses, transcript, commands."""
    if check is None:
        return "This check did not run."
    if check.outcome is Outcome.PASSED:
        return "Passed."
    parts = [check.message]
    for d in check.diagnoses:
        parts.append(f"Why: {d.text}" + (f"\n  Evidence: {d.evidence}" if d.evidence else ""))
    for ex in check.exchanges:
        lines = [f"[{ex.label}]"]
        if ex.sent is not None:
            lines.append(f"  sent:     {show_bytes(ex.sent, 200, ex.sent_len)}")
        if ex.received is not None:
            lines.append(f"  received: {show_bytes(ex.received, 200, ex.received_len)}")
        if ex.expected is not None and ex.expected != ex.received:
            lines.append(f"  expected: {show_bytes(ex.expected, 200, ex.expected_len)}")
        if ex.note:
            lines.append(f"  note:     {ex.note}")
        parts.append("\n".join(lines))
    if check.reproduce:
        parts.append("Reproduce it:\n" + "\n".join(f"  {c}" for c in check.reproduce))
    return "\n".join(p for p in parts if p)


def results_json(result: GradeResult, assignment: Assignment, *, reveal: bool) -> dict[str, Any]:
    """The Gradescope autograder schema, with provenance in extra_data."""
    tests = []
    for n, (row, check) in enumerate(visible_rows(result, assignment, reveal=reveal), start=1):
        tests.append(
            {
                "name": row.title,
                "number": str(n),
                "score": row.points,
                "max_score": row.max_points,
                "status": "passed" if row.outcome is Outcome.PASSED else "failed",
                "output": feedback_text(check),
                "visibility": row.visibility.value,
                "tags": [
                    row.check_id,
                    *([c.category] if (c := assignment.check(row.check_id)) and c.category else []),
                ],
            }
        )
    score = result.score
    checkout = result.checkout
    return {
        "score": score.points if score else 0.0,
        "max_score": score.max_points
        if score
        else sum(
            c.points
            for c in assignment.checks
            if not c.extra and (reveal or c.visibility is Visibility.VISIBLE)
        ),
        "execution_time": result.duration_s,
        "output": summary_line(result),
        "visibility": "visible",
        "tests": tests,
        "extra_data": {
            "student": result.student,
            "status": result.status.value,
            "problem": result.problem,
            "assignment": result.assignment,
            "assignment_digest": result.assignment_digest,
            "grader_version": result.grader_version,
            "source": checkout.source if checkout else None,
            "url": checkout.url if checkout else None,
            "branch": checkout.branch if checkout else None,
            "commit": checkout.commit if checkout else None,
            "commit_time": checkout.commit_time.isoformat()
            if checkout and checkout.commit_time
            else None,
            "uncommitted_changes": checkout.dirty if checkout else None,
            "files": {f.role: str(f.path) for f in result.located.files} if result.located else {},
            "sandboxed": result.run.sandboxed if result.run else None,
            "hidden_checks": score.hidden_count if score else 0,
            "hidden_points": score.hidden_points if score else 0.0,
            "warnings": list(result.warnings),
        },
    }


def summary_line(result: GradeResult) -> str:
    if result.status is not Status.GRADED or result.score is None:
        return f"Not graded: {result.problem}"
    s = result.score
    line = f"{s.points:g}/{s.max_points:g} points ({s.percent:.0f}%)"
    if s.hidden_count:
        line += f"; {s.hidden_count} hidden checks worth {s.hidden_points:g} points not shown"
    return line


def render_html(result: GradeResult, assignment: Assignment, *, reveal: bool) -> str:
    rows = visible_rows(result, assignment, reveal=reveal)
    return _ENV.get_template("report.html").render(
        r=result,
        a=assignment,
        rows=rows,
        summary=summary_line(result),
        mark=MARK,
        Outcome=Outcome,
        show_bytes=show_bytes,
        show_output=show_output,
        failed=sum(1 for row, _ in rows if row.outcome is not Outcome.PASSED),
        reveal=reveal,
    )


def write(result: GradeResult, assignment: Assignment, out_dir: Path, *, reveal: bool) -> Path:
    """Write <out>/<student>/report.html and results.json atomically; return the folder."""
    folder = out_dir / result.student
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(results_json(result, assignment, reveal=reveal), indent=2, sort_keys=True)
    _atomic(folder / "results.json", data + "\n")
    _atomic(folder / "report.html", render_html(result, assignment, reveal=reveal))
    return folder


def _atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
