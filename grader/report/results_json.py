"""results.json: Gradescope's autograder schema, with provenance in extra_data."""

from __future__ import annotations

from typing import Any

from grader.model import Assignment, GradeResult
from grader.report.text import feedback_text, gradescope_status, safe, summary_line
from grader.report.visibility import visible_rows
from grader.score import score as score_of


def results_json(result: GradeResult, *, assignment: Assignment, reveal: bool) -> dict[str, Any]:
    """The whole document for one submission, as the given reader may see it."""
    tests = []
    for n, shown in enumerate(visible_rows(result, assignment=assignment, reveal=reveal), start=1):
        row = shown.row
        tests.append(
            {
                "name": row.title,
                "number": str(n),
                "score": row.points,
                "max_score": row.max_points,
                "status": gradescope_status(row),
                "output": feedback_text(shown.check, detail=shown.detail),
                # our vocabulary is Gradescope's: visible, hidden, after_due_date
                "visibility": row.visibility.value,
                "tags": [row.check_id, *([shown.category] if shown.category else [])],
            }
        )
    score = result.score or score_of(None, assignment=assignment, reveal=reveal)
    return {
        "score": score.points,
        "max_score": score.max_points,
        "execution_time": result.duration_s,
        "output": summary_line(result),
        "visibility": "visible",
        "tests": tests,
        "extra_data": extra_data(result, reveal=reveal),
    }


def extra_data(result: GradeResult, *, reveal: bool) -> dict[str, Any]:
    """Provenance: where the submission came from, what was graded, how."""
    checkout = result.checkout
    score = result.score
    data: dict[str, Any] = {
        "student": result.student,
        "status": result.status.value,
        "problem": safe(result.problem),
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
        "late_commits": [safe(c) for c in checkout.late_commits] if checkout else [],
        "files": {f.role: safe(str(f.path)) for f in result.located.files}
        if result.located
        else {},
        "sandboxed": result.run.sandboxed if result.run else None,
        "isolation": result.run.isolation.value if result.run else None,
        "hidden_checks": score.hidden_count if score else 0,
        "hidden_points": score.hidden_points if score else 0.0,
        "grader_faults": result.fault_count,
        "incomplete": result.incomplete,
        "extra_points": score.extra_points if score else 0.0,
        "optional": optional_json(result),
        "warnings": [safe(w) for w in result.warnings],
    }
    if reveal:  # integrity flags and notes are for instructors only
        data["flags"] = [{"kind": f.kind.value, "text": safe(f.text)} for f in result.flags]
        data["notes"] = [safe(n) for n in result.notes]
    return data


def optional_json(result: GradeResult) -> dict[str, Any] | None:
    """What was found of the optional tasks, and where (None: not looked at)."""
    found = result.optional
    if found is None:
        return None
    port = found.port_function
    return {
        "multi_servers": [
            {"path": safe(str(s.path)), "uses": s.concurrency.value, "evidence": s.evidence}
            for s in found.servers
        ],
        "port_function": None
        if port is None
        else {"path": safe(str(port.path)), "line": port.line, "signature": safe(port.signature)},
    }
