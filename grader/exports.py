"""Gradebook exports for other tools: grades.csv for an LMS, junit.xml per student for CI.

Pure renderers plus atomic writes; the order is the roster's, never completion order.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree as ET

from grader.model import Assignment, GradeResult, Outcome, Student
from grader.report import atomic_write

# extra_score: the optional tasks' extra credit, never part of score or max_score
CSV_COLUMNS = (
    "identifier",
    "name",
    "score",
    "max_score",
    "percent",
    "extra_score",
    "status",
    "commit",
    "problem",
)


def grades_csv(results: list[GradeResult], students: tuple[Student, ...]) -> str:
    """One row per roster student (in roster order), keyed by the roster identifier."""
    by_id = {r.student: r for r in results}
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for s in students:
        r = by_id.get(s.identifier)
        score = r.score if r else None
        out.writerow(
            [
                s.identifier,
                s.name,
                f"{score.points:g}" if score else "0",
                f"{score.max_points:g}" if score else "",
                f"{score.percent:.1f}" if score else "0.0",
                f"{score.extra_points:g}" if score else "0",
                r.status.value if r else "not_graded",
                r.checkout.commit if r and r.checkout and r.checkout.commit else "",
                r.problem if r else "not graded (the batch was interrupted)",
            ]
        )
    return buf.getvalue()


def junit_xml(result: GradeResult, assignment: Assignment) -> str:
    """JUnit XML: one testcase per check, so CI systems can show the checks."""
    suite = ET.Element("testsuite", name=f"{assignment.name}:{result.student}")
    checks = result.score.checks if result.score else ()
    failures = 0
    for row in checks:
        case = ET.SubElement(suite, "testcase", classname=assignment.name, name=row.check_id)
        found = result.run.get(row.check_id) if result.run else None
        if found is not None:
            case.set("time", f"{found.duration_s:.3f}")
        if row.outcome is Outcome.PASSED:
            continue
        failures += 1
        kind = "error" if row.outcome in (Outcome.ERROR, Outcome.NOT_RUN) else "failure"
        node = ET.SubElement(case, kind, message=(found.message if found else row.outcome.value))
        node.text = found.message if found else ""
    if not checks:
        case = ET.SubElement(suite, "testcase", classname=assignment.name, name="grading")
        ET.SubElement(case, "error", message=result.problem or result.status.value)
        failures = 1
    suite.set("tests", str(max(1, len(checks))))
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_grades_csv(results: list[GradeResult], students: tuple[Student, ...], out: Path) -> Path:
    return atomic_write(out / "grades.csv", grades_csv(results, students))


def write_junit(result: GradeResult, assignment: Assignment, out: Path) -> Path:
    folder = out / result.student
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / "junit.xml", junit_xml(result, assignment))
