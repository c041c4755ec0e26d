"""When a Gradescope submission was made and when it was due, from
/autograder/submission_metadata.json (gradescope/autograder_samples docs,
submission_metadata.md): a student's own extension first, then the assignment's, and
the submission's `created_at`, never the clock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Due:
    """When the submission was made and when it was due (None: not known)."""

    submitted_at: datetime | None = None
    due: datetime | None = None
    late_due: datetime | None = None
    extension: bool = False  # the dates are the student's own (users[].assignment)
    method: str | None = None  # "upload", "GitHub", "Bitbucket"
    submission_id: str | None = None

    @property
    def late(self) -> bool | None:
        if self.submitted_at is None or self.due is None:
            return None
        return self.submitted_at > self.due


def read_metadata(path: Path) -> tuple[Due, list[str]]:
    """The dates of /autograder/submission_metadata.json, and what could not be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Due(), [f"no usable {path.name} ({exc.__class__.__name__}); dates unknown"]
    if not isinstance(data, dict):
        return Due(), [f"{path.name} is not a JSON object; dates unknown"]
    return due_from(data)


def due_from(data: Mapping[str, Any]) -> tuple[Due, list[str]]:
    """Per-student dates first (the latest among a group's members, so nobody loses an
    extension a partner has), then the assignment's; `created_at` is the submission
    time. `submission_method` is read at the top level and inside `assignment` (the
    docs disagree)."""
    problems: list[str] = []
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    assert isinstance(assignment, dict)

    def when(value: object, what: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{what} {value!r} is not an ISO date")
            return None
        if parsed.tzinfo is None:
            problems.append(f"{what} {value!r} has no time zone")
            return None
        return parsed

    personal = [
        u["assignment"]
        for u in data.get("users") or ()
        if isinstance(u, dict) and isinstance(u.get("assignment"), dict)
    ]
    dues = [d for d in (when(p.get("due_date"), "users[].due_date") for p in personal) if d]
    lates = [
        d for d in (when(p.get("late_due_date"), "users[].late_due_date") for p in personal) if d
    ]
    method = data.get("submission_method") or assignment.get("submission_method")
    return (
        Due(
            submitted_at=when(data.get("created_at"), "created_at"),
            due=max(dues) if dues else when(assignment.get("due_date"), "due_date"),
            late_due=(max(lates) if lates else None)
            if dues
            else when(assignment.get("late_due_date"), "late_due_date"),
            extension=bool(dues),
            method=str(method) if method else None,
            submission_id=str(data["id"]) if data.get("id") is not None else None,
        ),
        problems,
    )


def due_line(due: Due) -> str:
    """One sentence for the student: on time or late, against which due date."""
    if due.submitted_at is None or due.due is None:
        return ""
    whose = "your due date" if due.extension else "the due date"
    if not due.late:
        return f"Submitted on time ({whose}: {due.due.isoformat(timespec='minutes')})."
    late_by = due.submitted_at - due.due
    hours, rest = divmod(int(late_by.total_seconds()), 3600)
    when = due.due.isoformat(timespec="minutes")
    text = f"Submitted {hours} h {rest // 60} min after {whose} ({when})"
    if due.late_due is not None:
        text += f"; the late due date is {due.late_due.isoformat(timespec='minutes')}"
    return text + "."
