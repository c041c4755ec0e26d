"""Stage 7 of 7, GradeResult(s) -> files: what students and instructors read.

Rendering is pure (same input, byte-identical output; nothing reads a clock or the
environment); writing is separate and atomic. Per submission: results.json (Gradescope's
schema), report.html and junit.xml, and on request a Markdown summary; per class:
index.html with its similar-code pages, grades.csv and mistakes.csv. Who sees what is
decided in one place, `visibility`.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.model import Assignment, GradeResult, Student
from grader.report.files import atomic_write
from grader.report.grades_csv import grades_csv
from grader.report.html import render_html
from grader.report.junit import junit_xml
from grader.report.markdown import summary_markdown
from grader.report.mistakes import mistakes, mistakes_csv
from grader.report.results_json import results_json

__all__ = [
    "atomic_write",
    "grades_csv",
    "junit_xml",
    "mistakes",
    "mistakes_csv",
    "render_html",
    "results_json",
    "summary_markdown",
    "write_class",
    "write_markdown",
    "write_submission",
]


def write_submission(
    result: GradeResult,
    *,
    assignment: Assignment,
    out_dir: Path,
    reveal: bool,
    junit: bool = False,
) -> Path:
    """Write <out>/<student>/results.json and report.html (and junit.xml); return the folder."""
    folder = out_dir / result.student
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(
        results_json(result, assignment=assignment, reveal=reveal), indent=2, sort_keys=True
    )
    atomic_write(folder / "results.json", text=data + "\n")
    atomic_write(
        folder / "report.html", text=render_html(result, assignment=assignment, reveal=reveal)
    )
    if junit:
        atomic_write(folder / "junit.xml", text=junit_xml(result, assignment=assignment))
    return folder


def write_markdown(
    result: GradeResult, *, assignment: Assignment, path: Path, reveal: bool
) -> Path:
    """Write the Markdown summary of one submission (e.g. to $GITHUB_STEP_SUMMARY)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, text=summary_markdown(result, assignment=assignment, reveal=reveal))


def write_class(
    results: list[GradeResult],
    *,
    students: tuple[Student, ...],
    assignment: Assignment,
    out_dir: Path,
    reveal: bool,
) -> Path:
    """Write the class page (index.html, similar/), grades.csv and mistakes.csv; return
    index.html."""
    from grader.report.classpage import write_classpage  # jinja2's class pages: on use

    atomic_write(out_dir / "grades.csv", text=grades_csv(results, students=students))
    found = mistakes(results, assignment=assignment, reveal=reveal)
    atomic_write(out_dir / "mistakes.csv", text=mistakes_csv(found))
    return write_classpage(
        results, students=students, assignment=assignment, out=out_dir, reveal=reveal
    )
