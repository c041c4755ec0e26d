"""A batch's grades as an LMS file needs them: grades.csv with the failed checks a
student may be told of (`read_batch`), the roster-to-LMS identifier map, what one file
to write holds (`Export`), and writing it with every cell guarded against formulas."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader.errors import UsageError
from grader.report.files import atomic_write, csv_text, csv_uncell

# Statuses whose zero is the student's (no submission, nothing to grade); a grader
# failure, an incomplete result (grades.csv), a fetch that failed (the host, the network
# or a mistyped roster as often as the student) or an interrupted batch is left blank,
# and listed.
BLANK = ("infra_error", "incomplete", "fetch_failed", "not_graded")


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


def write(export: Export, *, path: Path) -> Path:
    """Write the CSV (with the delimiter the LMS's own file used), every cell guarded
    against formulas."""
    text = csv_text(
        [export.header, *export.rows], delimiter=export.delimiter, lineterminator="\r\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, text=text)
