"""Render a GradeResult: Gradescope-style results.json, a self-contained report.html,
and the short terminal summary. Rendering returns text; `write` is the only file I/O.

Same input, byte-identical output: nothing here reads a clock or the environment.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2

from grader.model import (
    Assignment,
    Captured,
    CheckResult,
    CheckScore,
    Detail,
    GradeResult,
    Outcome,
    Status,
    Visibility,
)

SHOW_BYTES = 360  # about 18 short lines: enough to see where it goes wrong
# The one Jinja2 environment of the grader: autoescape on, undefined names are errors.
ENV = jinja2.Environment(
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
OUTCOME_WORDS = {
    Outcome.PASSED: "Passed",
    Outcome.FAILED: "Failed",
    Outcome.TIMEOUT: "Did not finish (hung)",
    Outcome.ERROR: "Could not be checked (error)",
    Outcome.SKIPPED: "Skipped",
    Outcome.NOT_RUN: "Did not run",
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


@dataclass(frozen=True, slots=True)
class Shown:
    """One check as a reader may see it: its score row, its result cut to `detail`."""

    row: CheckScore
    check: CheckResult | None
    detail: Detail
    category: str = ""


def visible_rows(result: GradeResult, assignment: Assignment, *, reveal: bool) -> list[Shown]:
    """The checks a reader may see, each with the detail they may see.

    Instructors (`reveal`) see every check in full. Students see the checks that count
    for them (visible ones, and hidden ones once the deadline has passed: the score says
    which), each cut to its rubric `detail`. Optional tasks not attempted (their checks
    skipped) are left out: the report's optional-tasks section says nothing was found.
    """
    if result.score is None:
        return []
    rows = []
    for row in result.score.checks:
        if not (reveal or row.counted) or (row.extra and row.outcome is Outcome.SKIPPED):
            continue
        spec = assignment.check(row.check_id)
        detail = Detail.FULL if reveal or spec is None else spec.detail
        check = result.run.get(row.check_id) if result.run else None
        rows.append(
            Shown(row, redact(check, detail), detail, spec.category if spec is not None else "")
        )
    return rows


def redact(check: CheckResult | None, detail: Detail) -> CheckResult | None:
    """A check's result cut to what `detail` allows.

    `actual-only` drops the expected side of every exchange and the evidence of the
    diagnoses that quote it (messages and diagnosis words never quote it); `none` keeps
    only the outcome.
    """
    if check is None or detail is Detail.FULL:
        return check
    if detail is Detail.NONE:
        return CheckResult(check.check_id, check.outcome, check.duration_s)
    return replace(
        check,
        exchanges=tuple(replace(e, expected=None, expected_len=None) for e in check.exchanges),
        diagnoses=tuple(
            replace(d, evidence="") if d.quotes_expected else d for d in check.diagnoses
        ),
    )


DETAIL_NOTE = {
    Detail.FULL: "",
    Detail.ACTUAL_ONLY: "What this check expected is not shown; what your code did is.",
    Detail.NONE: "The details of this check are not shown, only whether it passed.",
}


def feedback_text(check: CheckResult | None, detail: Detail = Detail.FULL) -> str:
    """The plain-text feedback of one check: message, diagnoses, transcript, output,
    commands (the same content as the HTML page, for results.json)."""
    if check is None:
        return "This check did not run."
    if check.outcome is Outcome.PASSED:
        return "Passed."
    if detail is Detail.NONE:
        return f"{OUTCOME_WORDS[check.outcome]}. {DETAIL_NOTE[detail]}"
    parts = [check.message]
    if check.hang:
        parts.append(f"Hang: {HANG[check.hang]}.")
    for d in check.diagnoses:
        parts.append(
            f"Why: {d.text}" + (f"\n  Evidence: {_indent(d.evidence)}" if d.evidence else "")
        )
    for ex in check.exchanges:
        timing = f" ({ex.elapsed_s:.3f} s)" if ex.elapsed_s is not None else ""
        lines = [f"[{ex.label}]{timing}"]
        if ex.sent is not None:
            lines.append(f"  sent:     {_indent(show_bytes(ex.sent, 200, ex.sent_len))}")
        if ex.received is not None:
            lines.append(f"  received: {_indent(show_bytes(ex.received, 200, ex.received_len))}")
        if ex.expected is not None and ex.expected != ex.received:
            lines.append(f"  expected: {_indent(show_bytes(ex.expected, 200, ex.expected_len))}")
        if ex.note:
            lines.append(f"  note:     {ex.note}")
        parts.append("\n".join(lines))
    for o in check.outputs:
        parts.append(f"{output_heading(o)}:\n  {_indent(show_output(o))}")
    if check.reproduce:
        parts.append("See it on your machine:\n" + "\n".join(f"  {c}" for c in check.reproduce))
    if DETAIL_NOTE[detail]:
        parts.append(DETAIL_NOTE[detail])
    return "\n".join(p for p in parts if p)


HANG = {
    "blocked": "blocked (waiting: no CPU used, no bytes moving)",
    "busy": "busy (still using CPU at the time limit)",
}


def output_heading(o: Captured) -> str:
    cut = f", {o.cut_bytes:,} cut from the middle" if o.cut_bytes else ""
    return f"Output of {o.name} ({o.total_bytes:,} bytes{cut})"


def _indent(text: str) -> str:
    return text.rstrip("\n").replace("\n", "\n  ")


def results_json(result: GradeResult, assignment: Assignment, *, reveal: bool) -> dict[str, Any]:
    """The Gradescope autograder schema, with provenance in extra_data."""
    tests = []
    for n, shown in enumerate(visible_rows(result, assignment, reveal=reveal), start=1):
        row = shown.row
        tests.append(
            {
                "name": row.title,
                "number": str(n),
                "score": row.points,
                "max_score": row.max_points,
                "status": "passed" if row.outcome is Outcome.PASSED else "failed",
                "output": feedback_text(shown.check, shown.detail),
                # our vocabulary is Gradescope's: visible, hidden, after_due_date
                "visibility": row.visibility.value,
                "tags": [row.check_id, *([shown.category] if shown.category else [])],
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
            "deadline": checkout.deadline.isoformat() if checkout and checkout.deadline else None,
            "late_commits": list(checkout.late_commits) if checkout else [],
            "files": {f.role: str(f.path) for f in result.located.files} if result.located else {},
            "sandboxed": result.run.sandboxed if result.run else None,
            "hidden_checks": score.hidden_count if score else 0,
            "hidden_points": score.hidden_points if score else 0.0,
            "extra_points": score.extra_points if score else 0.0,
            "optional": optional_json(result),
            "warnings": list(result.warnings),
            # integrity flags are for instructors only
            **(
                {"flags": [{"kind": f.kind.value, "text": f.text} for f in result.flags]}
                if reveal
                else {}
            ),
        },
    }


def optional_json(result: GradeResult) -> dict[str, Any] | None:
    """What was found of the optional tasks, and where (None: not looked at)."""
    found = result.optional
    if found is None:
        return None
    port = found.port_function
    return {
        "multi_servers": [
            {"path": str(s.path), "uses": s.concurrency.value, "evidence": s.evidence}
            for s in found.servers
        ],
        "port_function": None
        if port is None
        else {"path": str(port.path), "line": port.line, "signature": port.signature},
    }


def summary_line(result: GradeResult) -> str:
    if result.status is not Status.GRADED or result.score is None:
        return f"Not graded: {result.problem}"
    s = result.score
    line = f"{s.points:g}/{s.max_points:g} points ({s.percent:.0f}%)"
    if s.hidden_count:
        line += f"; {s.hidden_count} hidden checks worth {s.hidden_points:g} points not shown"
    if s.extra_points:
        line += f"; {s.extra_points:g} extra credit"
    return line


CATEGORY_TITLES = {
    "server": "Your server",
    "client": "Your client",
    "pairing": "Your client with your server",
    "advice": "Advice (no points)",
    "extra": "Optional tasks (extra credit, not counted in the score)",
}


def render_html(result: GradeResult, assignment: Assignment, *, reveal: bool) -> str:
    """The report page: a pure function of its arguments (no clock, no environment)."""
    rows = visible_rows(result, assignment, reveal=reveal)
    groups: dict[str, list[Shown]] = {}
    for shown in rows:
        groups.setdefault(shown.category, []).append(shown)
    return ENV.get_template("report.html").render(
        r=result,
        a=assignment,
        rows=rows,
        groups=[
            (CATEGORY_TITLES.get(name, name.capitalize() or "Checks"), name or "checks", group)
            for name, group in groups.items()
        ],
        summary=summary_line(result),
        mark=MARK,
        words=OUTCOME_WORDS,
        Outcome=Outcome,
        Detail=Detail,
        detail_note=DETAIL_NOTE,
        hang_text=HANG,
        show_bytes=show_bytes,
        show_output=show_output,
        output_heading=output_heading,
        failed=[s for s in rows if s.row.outcome is not Outcome.PASSED and not s.row.extra],
        main=[s for s in rows if not s.row.extra],
        after_deadline=not reveal and any(s.row.visibility is not Visibility.VISIBLE for s in rows),
        reveal=reveal,
        extra_max=sum(c.points for c in assignment.checks if c.extra),
    )


def write(result: GradeResult, assignment: Assignment, out_dir: Path, *, reveal: bool) -> Path:
    """Write <out>/<student>/report.html and results.json atomically; return the folder."""
    folder = out_dir / result.student
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(results_json(result, assignment, reveal=reveal), indent=2, sort_keys=True)
    atomic_write(folder / "results.json", data + "\n")
    atomic_write(folder / "report.html", render_html(result, assignment, reveal=reveal))
    return folder


def atomic_write(path: Path, text: str) -> Path:
    """Write via a temporary file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
