"""A batch's grades into the files an LMS imports: the instructor's own Canvas gradebook
export, filled with this assignment's column, or a Moodle grade-import CSV.

Canvas (lib/gradebook_exporter.rb, lib/gradebook_importer.rb): the export's header is
`Student`, `ID`, optional `SIS User ID`, `SIS Login ID`, `Integration ID`, `Root
Account`, then `Section` (the last student column), then assignment columns titled
`Name (id)` and totals; a row whose first cell holds `Points Possible` gives each
assignment's points; a `Manual Posting` (or `Muted`) row may follow. The importer finds
students by `ID`/SIS columns and assignments by their `(id)`, creates an assignment for
an unknown title, and overwrites a grade whenever a cell differs from Canvas's. So the
file written here keeps only the student columns and this assignment's column: a stale
cell of another assignment can never overwrite a newer grade.

Moodle (grade/import/csv): any CSV; the instructor maps one column to a user field
(email, username, ID number) and the others to a grade item and its feedback. One
unknown user aborts the whole import, so with the participants' list (a Moodle grades
export) only matching rows are written.

Students are matched exactly (Moodle compares emails case-sensitively); whoever matches
nobody, and every roster entry missing from the LMS file, is listed, never dropped.
A grade is left blank (never zero), and listed, where the grader itself failed, in all
or in part (an incomplete result), or could not fetch the submission.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader.errors import UsageError
from grader.report.files import atomic_write, csv_text, csv_uncell

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
# Statuses whose zero is the student's (no submission, nothing to grade); a grader
# failure, an incomplete result (grades.csv), a fetch that failed (the host, the network
# or a mistyped roster as often as the student) or an interrupted batch is left blank,
# and listed.
BLANK = ("infra_error", "incomplete", "fetch_failed", "not_graded")
_TITLE_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")


@dataclass(frozen=True, slots=True)
class Grade:
    """One roster row of a batch's grades.csv."""

    identifier: str
    name: str
    score: float | None  # None: leave the LMS cell blank
    max_score: float | None
    extra: float
    status: str
    problem: str
    failed: tuple[str, ...] = ()  # titles of the failed checks the student may be told of

    def value(self, *, extra: bool) -> float | None:
        if self.score is None:
            return None
        return self.score + (self.extra if extra else 0.0)


@dataclass
class Export:
    """A file to write, and who could not be placed in it."""

    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    written: int = 0
    unmatched: list[str] = field(default_factory=list)  # graded, but not in the LMS file
    missing: list[str] = field(default_factory=list)  # in the LMS file, no grade
    blank: list[str] = field(default_factory=list)  # matched, but not graded: left blank
    notes: list[str] = field(default_factory=list)

    def listing(self) -> list[str]:
        """What the instructor must look at, one line per kind."""
        lines = list(self.notes)
        for label, names in (
            ("graded but not in the LMS file (not written)", self.unmatched),
            ("in the LMS file but not in the batch (left blank)", self.missing),
            ("not graded, or incomplete, by the grader (left blank, not zero)", self.blank),
        ):
            if names:
                lines.append(f"{label}: {len(names)}")
                lines.extend(f"  {n}" for n in names)
        return lines


# ---------------------------------------------------------------- the batch's grades


def read_batch(folder: Path, *, now: datetime | None = None) -> list[Grade]:
    """grades.csv of a batch folder, with the failed checks of each results.json that
    its student may be told of (`_failed`)."""
    at = now or datetime.now(UTC)
    path = folder / "grades.csv"
    if not path.is_file():
        raise UsageError(
            f"no grades.csv in {folder}; give the --out folder of a finished `grade --roster`."
        )
    grades = []
    for n, cells in enumerate(_dict_rows(path), start=2):
        row = {k: csv_uncell(v) for k, v in cells.items() if isinstance(v, str)}
        try:
            ident = row["identifier"]
            status = row["status"]
            blank = status in BLANK or row["score"] in ("", "incomplete")
            score = None if blank else float(row["score"])
            grades.append(
                Grade(
                    identifier=ident,
                    name=row.get("name", ""),
                    score=score,
                    max_score=float(row["max_score"]) if row.get("max_score") else None,
                    extra=float(row.get("extra_score") or 0),
                    status=status,
                    problem=row.get("problem", ""),
                    failed=_failed(folder / ident / "results.json", now=at),
                )
            )
        except (KeyError, ValueError) as exc:
            raise UsageError(f"{path} line {n}: {exc} is missing or wrong; regrade.") from exc
    return grades


def _failed(path: Path, *, now: datetime) -> tuple[str, ...]:
    """The titles of the failed checks a student may be told of: the visible ones, and
    once the deadline the submission was graded under has passed, the hidden ones that
    cost points (as the student's own report then shows them)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    if not isinstance(data, dict):
        return ()
    extra = data.get("extra_data")
    deadline = _when(extra.get("deadline") if isinstance(extra, dict) else None)
    past = deadline is not None and now >= deadline
    failed = []
    for t in data.get("tests") or ():
        if not isinstance(t, dict) or t.get("status") != "failed":
            continue
        name = str(t.get("name", ""))
        if t.get("visibility") == "visible":
            failed.append(name)
        elif past and _costs_points(t):
            failed.append(f"{name} (hidden until the deadline)")
    return tuple(failed)


def _costs_points(test: dict[str, object]) -> bool:
    points = test.get("max_score")
    tags = test.get("tags")
    extra = isinstance(tags, list) and "extra" in tags
    return isinstance(points, int | float) and points > 0 and not extra


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def read_map(path: Path) -> dict[str, str]:
    """Roster identifier (first column) -> the LMS's value (second column); a header row."""
    rows = _rows(path)
    out: dict[str, str] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0].strip():
            raise UsageError(f"{path} line {n}: give an identifier and its LMS value.")
        out[row[0].strip()] = row[1].strip()
    return out


def _dict_rows(path: Path) -> list[dict[str, str]]:
    text = _text(path)
    return list(csv.DictReader(io.StringIO(text)))


def _rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(_text(path)), delimiter=delimiter) if any(r)]


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} ({exc}); give a UTF-8 CSV file.") from exc


def _key(grade: Grade, mapping: dict[str, str] | None) -> str:
    return mapping.get(grade.identifier, grade.identifier) if mapping else grade.identifier


def _number(value: float) -> str:
    return f"{value:.2f}"


# ---------------------------------------------------------------- Canvas


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


def write(export: Export, *, path: Path) -> Path:
    """Write the CSV (with the delimiter the LMS's own file used), every cell guarded
    against formulas."""
    text = csv_text(
        [export.header, *export.rows], delimiter=export.delimiter, lineterminator="\r\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, text=text)
