"""The instructor's own Canvas gradebook export, filled with this assignment's column
(only the student columns and that column are kept: see the package's docstring)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.platforms.lms.grades import Export, Grade, _key, _number, _text

STUDENT_COLUMNS = (
    "Student",
    "LastName",
    "FirstName",
    "ID",
    "SIS User ID",
    "SIS Login ID",
    "Integration ID",
    "Root Account",
    "Section",
)


_TITLE_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")


@dataclass(frozen=True, slots=True)
class CanvasExport:
    header: list[str]
    rows: list[list[str]]
    delimiter: str


def read_canvas(path: Path) -> CanvasExport:
    """The gradebook export as Canvas writes it (`,` or `;`, a BOM or not)."""
    text = _text(path)
    first = "\n".join(text.splitlines()[:3])
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if not rows:
        raise UsageError(f"{path} is empty; export the gradebook from Canvas (Grades > Export).")
    header = rows[0]
    named = [h.strip() for h in header]
    if not (named and ("Student" in named[0] or named[0] == "LastName") and "ID" in named):
        raise UsageError(
            f"{path} is not a Canvas gradebook export: its first row must start with "
            "Student, ID (export it from Canvas: Grades > Export > Export Current Gradebook View)."
        )
    if "Section" not in named:
        raise UsageError(f"{path}: no Section column; Canvas needs it to import.")
    return CanvasExport(named, rows[1:], delimiter)


def canvas(
    batch: list[Grade],
    *,
    export: CanvasExport,
    match: str,
    title: str,
    mapping: dict[str, str] | None = None,
    extra: bool = False,
) -> Export:
    """The export's student columns and this assignment's column, filled."""
    header = export.header
    if match not in header:
        raise UsageError(
            f"the gradebook export has no column {match!r}; choose one of "
            f"{', '.join(h for h in header if h in STUDENT_COLUMNS) or ', '.join(header)}."
        )
    last = header.index("Section")
    ids = header[: last + 1]
    column = _assignment_column(header[last + 1 :], title)
    at = header.index(column) if column in header else None
    out = Export(header=[*ids, column], rows=[], delimiter=export.delimiter)
    if at is None:
        out.notes.append(f"new column {column!r}: Canvas creates an assignment of that name.")
    by_key = {_key(g, mapping): g for g in batch}
    seen: dict[str, int] = {}
    students = []
    points = None
    for row in export.rows:
        cells = row + [""] * (len(header) - len(row))
        first = cells[0].strip()
        if "Points Possible" in first:
            points = cells
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c or "", re.I) for c in cells):
            continue  # the manual-posting row: the importer skips it
        students.append(cells)
        key = cells[header.index(match)].strip()
        seen[key] = seen.get(key, 0) + 1
    top = max((g.max_score or 0.0 for g in batch), default=0.0)
    possible = points[at] if points is not None and at is not None else _number(top)
    out.rows.append(["    Points Possible", *[""] * last, possible])
    for cells in students:
        key = cells[header.index(match)].strip()
        who = f"{cells[0].strip()} ({match} {key or 'empty'})"
        grade = by_key.get(key) if key and seen[key] == 1 else None
        if key and seen[key] > 1:
            out.notes.append(f"{who} appears {seen[key]} times in the export: left blank.")
        value = grade.value(extra=extra) if grade else None
        if grade is None:
            out.missing.append(who)
        elif value is None:
            out.blank.append(f"{grade.identifier} ({grade.status}: {grade.problem})")
        else:
            out.written += 1
        out.rows.append([*cells[: last + 1], _number(value) if value is not None else ""])
    out.unmatched.extend(_unmatched(batch, keys=set(seen), match=match, mapping=mapping))
    return out


def _unmatched(
    batch: list[Grade], *, keys: set[str], match: str, mapping: dict[str, str] | None
) -> list[str]:
    """The graded students no row of the export matches (with a near miss, if any)."""
    lowered = {k.lower(): k for k in keys}
    found = []
    for g in batch:
        key = _key(g, mapping)
        if key not in keys:
            hint = f" (the export has {lowered[key.lower()]!r})" if key.lower() in lowered else ""
            found.append(f"{g.identifier} ({match} {key!r}){hint}")
    return found


def _assignment_column(columns: list[str], title: str) -> str:
    """The export's column for this assignment (`Title (id)` or `Title`), or `title`."""
    for c in columns:
        named = _TITLE_ID.match(c)
        if c == title or (named and named.group(1) == title):
            return c
    return title


# ---------------------------------------------------------------- Moodle
