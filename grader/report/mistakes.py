"""What the class got wrong: each diagnosis the checks gave in a batch, how many students
it hit, which checks it cost them, and who they are, most common first. The class page,
mistakes.csv and the gradebook show the same table.

Only what the reader may see counts (`visibility`): a hidden check's diagnosis is left
out unless the reader is an instructor (the batch always is). Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.model import Assignment, GradeResult, Outcome, Status
from grader.report.files import csv_text
from grader.report.text import safe
from grader.report.visibility import visible_rows

CSV_COLUMNS = ("mistake", "code", "students", "checks", "points_lost", "identifiers", "example")


@dataclass(frozen=True, slots=True)
class Mistake:
    """One diagnosis across the class."""

    code: str
    example: str  # the words the first student (in roster order) was given
    students: tuple[str, ...]  # identifiers, in roster order
    checks: tuple[tuple[str, int], ...]  # (check title, students who lost it to this)
    points_lost: float

    @property
    def name(self) -> str:
        """The code in words: `client_stops_on_short_chunk` -> "client stops on short chunk"."""
        return self.code.replace("_", " ")

    @property
    def count(self) -> int:
        return len(self.students)

    def links(self) -> list[tuple[str, str]]:
        """(identifier, link to that student's report) for each student it hit."""
        return [(s, f"{s}/report.html") for s in self.students]


def mistakes(results: list[GradeResult], *, assignment: Assignment, reveal: bool) -> list[Mistake]:
    """Every diagnosis of a check that did not pass: most students first, then most points
    lost, then by code."""
    hit: dict[str, list[str]] = {}
    example: dict[str, str] = {}
    checks: dict[str, dict[str, int]] = {}
    lost: dict[str, float] = {}
    for result in results:
        if result.status is not Status.GRADED:
            continue
        for shown in visible_rows(result, assignment=assignment, reveal=reveal):
            if shown.check is None or shown.row.outcome is Outcome.PASSED:
                continue
            for code in dict.fromkeys(d.code for d in shown.check.diagnoses):
                words = next(d.text for d in shown.check.diagnoses if d.code == code)
                students = hit.setdefault(code, [])
                if result.student not in students:
                    students.append(result.student)
                example.setdefault(code, words)
                per = checks.setdefault(code, {})
                per[shown.row.title] = per.get(shown.row.title, 0) + 1
                lost[code] = lost.get(code, 0.0) + shown.row.max_points
    found = [
        Mistake(
            code,
            example[code],
            tuple(students),
            tuple(sorted(checks[code].items(), key=lambda kv: (-kv[1], kv[0]))),
            lost[code],
        )
        for code, students in hit.items()
    ]
    return sorted(found, key=lambda m: (-m.count, -m.points_lost, m.code))


def mistakes_csv(found: list[Mistake]) -> str:
    """mistakes.csv: one row per diagnosis, most common first."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for m in found:
        rows.append(
            [
                m.name,
                m.code,
                m.count,
                "; ".join(f"{title} ({n})" for title, n in m.checks),
                f"{m.points_lost:g}",
                " ".join(m.students),
                safe(m.example),
            ]
        )
    return csv_text(rows)
