"""A Moodle grade-import CSV (identifier, grade, feedback), checked against the course's
participants when their list is given (one unknown user aborts Moodle's whole import)."""

from __future__ import annotations

from pathlib import Path

from grader.errors import UsageError
from grader.platforms.lms.grades import Export, Grade, _dict_rows, _key, _number


def read_participants(path: Path, *, match: str) -> set[str]:
    """The values of column `match` in a Moodle grades export (or any CSV of users)."""
    rows = _dict_rows(path)
    if rows and match not in rows[0]:
        raise UsageError(
            f"{path} has no column {match!r}; choose one of {', '.join(rows[0].keys())}."
        )
    return {r[match].strip() for r in rows if (r.get(match) or "").strip()}


def moodle(
    batch: list[Grade],
    *,
    title: str,
    mapping: dict[str, str] | None = None,
    extra: bool = False,
    participants: set[str] | None = None,
) -> Export:
    """identifier, grade, feedback: map them in Moodle's import to the user field, the
    grade item and its feedback."""
    out = Export(header=["identifier", title, f"{title} feedback"], rows=[])
    lowered = {p.lower(): p for p in participants or ()}
    placed = set()
    for g in batch:
        key = _key(g, mapping)
        value = g.value(extra=extra)
        if participants is not None and key not in participants:
            hint = f" (a participant is {lowered[key.lower()]!r})" if key.lower() in lowered else ""
            out.unmatched.append(f"{g.identifier} ({key!r}){hint}")
            continue
        placed.add(key)
        if value is None:
            out.blank.append(f"{g.identifier} ({g.status}: {g.problem})")
            continue
        if value > 100:
            out.notes.append(
                f"{g.identifier}: {value:g} is above 100, which Moodle refuses unless the "
                "site allows unlimited grades; import without --extra, or raise the limit."
            )
        out.rows.append([key, _number(value), _feedback(g, value)])
        out.written += 1
    if participants is not None:
        out.missing.extend(sorted(participants - placed))
    else:
        out.notes.append(
            "no participants list given: Moodle aborts the whole import if one identifier "
            "is not a user of the course (pass --gradebook with a Moodle grades export)."
        )
    return out


def _feedback(grade: Grade, value: float) -> str:
    top = f" of {grade.max_score:g}" if grade.max_score else ""
    if grade.status != "graded":
        return f"{value:g}{top} points: {grade.problem}"
    text = f"{value:g}{top} points"
    if grade.extra:
        text += f" (extra credit {grade.extra:g})"
    if grade.failed:
        text += ". Failed: " + "; ".join(grade.failed)
    return text + ". The full report lists every check."
