"""The class page (index.html): every student at a glance, the score distribution,
which checks the class missed and the common mistakes behind them, integrity flags, and
submissions whose own code is similar (each pair with a side-by-side page in similar/).
Rendering is pure; `write` is the only file I/O.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from grader.model import Assignment, GradeResult, Outcome, SourceFile, Status, Student
from grader.report import similarity
from grader.report.files import atomic_write
from grader.report.html import ENV
from grader.report.mistakes import mistakes
from grader.report.text import incomplete_line

BINS = 10


@dataclass(frozen=True, slots=True)
class Row:
    identifier: str
    name: str
    percent: float | None
    points: str
    status: str
    problem: str
    link: str | None
    extra: str = ""  # extra credit earned, e.g. "+4"
    flags: tuple[str, ...] = ()  # integrity flags: for instructors, no penalty
    late: int = 0  # commits after the deadline (not graded)


@dataclass(frozen=True, slots=True)
class CheckRate:
    title: str
    check_id: str
    passed: int
    ran: int

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.ran if self.ran else 0.0


def rows(results: list[GradeResult], *, students: tuple[Student, ...]) -> list[Row]:
    by_id = {r.student: r for r in results}
    out = []
    for s in students:
        r = by_id.get(s.identifier)
        score = r.score if r else None
        incomplete = r is not None and r.incomplete
        out.append(
            Row(
                identifier=s.identifier,
                name=s.name,
                percent=round(score.percent, 1) if score else None,
                points=f"{score.points:g} / {score.max_points:g}" if score else "",
                status=("incomplete" if incomplete else r.status.value) if r else "not graded",
                problem=(r.problem or incomplete_line(r)) if r else "",
                link=f"{s.identifier}/report.html" if r else None,
                extra=f"+{score.extra_points:g}" if score and score.extra_points else "",
                flags=tuple(f.text for f in r.flags) if r else (),
                late=len(r.checkout.late_commits) if r and r.checkout else 0,
            )
        )
    return out


def check_rates(results: list[GradeResult], *, assignment: Assignment) -> list[CheckRate]:
    """Per check, how many passed of those it ran for (an optional task's checks are
    skipped for students who did not attempt it: they are not counted)."""
    rates = []
    for spec in assignment.checks:
        outcomes = [
            c.outcome
            for r in results
            if r.run is not None and r.status is Status.GRADED
            for c in r.run.checks
            if c.check_id == spec.id and c.outcome is not Outcome.SKIPPED
        ]
        rates.append(
            CheckRate(
                spec.title, spec.id, sum(o is Outcome.PASSED for o in outcomes), len(outcomes)
            )
        )
    return rates


@dataclass(frozen=True, slots=True)
class Similar:
    """A pair listed on the class page, with the page that shows it side by side."""

    pair: similarity.Pair
    link: str


def similar_pairs(
    results: list[GradeResult], *, template: set[int], threshold: float = similarity.THRESHOLD
) -> list[Similar]:
    """The pairs at or above the threshold, most similar first, each with its page."""
    pairs = similarity.compare(results, template=template)
    return [
        Similar(p, f"similar/pair-{i:03d}.html")
        for i, p in enumerate((p for p in pairs if p.similarity >= threshold), start=1)
    ]


def render_pair(similar: Similar, *, results: list[GradeResult], assignment: Assignment) -> str:
    """One pair's side-by-side page: both submissions' files, shared lines marked."""
    by_id = {r.student: r for r in results}
    pair = similar.pair
    sides = [
        (pair.a, _marked(by_id[pair.a].sources, pair.a_lines), pair.a_share),
        (pair.b, _marked(by_id[pair.b].sources, pair.b_lines), pair.b_share),
    ]
    return ENV.get_template("similar.html").render(a=assignment, pair=pair, sides=sides)


def _marked(
    files: tuple[SourceFile, ...], lines: tuple[tuple[int, ...], ...]
) -> list[tuple[SourceFile, list[tuple[int, str, bool]]]]:
    out = []
    for source, marked in zip(files, lines, strict=False):
        shared = set(marked)
        numbered = [
            (n, text, n in shared) for n, text in enumerate(source.text.splitlines(), start=1)
        ]
        out.append((source, numbered))
    return out


def histogram(percents: list[float]) -> list[int]:
    counts = [0] * BINS
    for p in percents:
        counts[min(BINS - 1, int(p // (100 / BINS)))] += 1
    return counts


def render(
    results: list[GradeResult],
    *,
    students: tuple[Student, ...],
    assignment: Assignment,
    reveal: bool,
    similar: list[Similar] | None = None,
) -> str:
    graded = [r for r in results if r.status is Status.GRADED and r.score]
    # an incomplete score is a lower bound: not part of the class's distribution
    percents = [r.score.percent for r in graded if r.score and not r.incomplete]
    counts = {
        "students": len(students),
        "graded": len(graded),
        "not submitted": sum(r.status is Status.NO_SUBMISSION for r in results),
        "could not fetch": sum(r.status is Status.FETCH_FAILED for r in results),
        "nothing to grade": sum(r.status is Status.NOT_GRADABLE for r in results),
        "incomplete (the grader failed)": sum(r.incomplete for r in results),
        "with a hang": sum(
            any(c.outcome is Outcome.TIMEOUT for c in r.run.checks) for r in graded if r.run
        ),
        "with a crash": sum(
            any(d.code.endswith("crashed") for c in r.run.checks for d in c.diagnoses)
            for r in graded
            if r.run
        ),
        "with integrity flags": sum(bool(r.flags) for r in results),
        "with extra credit": sum(bool(r.score and r.score.extra_points) for r in graded),
    }
    return ENV.get_template("classpage.html").render(
        a=assignment,
        rows=rows(results, students=students),
        rates=check_rates(results, assignment=assignment),
        mistakes=mistakes(results, assignment=assignment, reveal=reveal),
        hist=histogram(percents),
        bins=BINS,
        counts=counts,
        mean=statistics.fmean(percents) if percents else None,
        median=statistics.median(percents) if percents else None,
        reveal=reveal,
        similar=similar or [],
        threshold=similarity.THRESHOLD,
    )


def write_classpage(
    results: list[GradeResult],
    *,
    students: tuple[Student, ...],
    assignment: Assignment,
    out: Path,
    reveal: bool,
) -> Path:
    """Write index.html and one side-by-side page per similar pair (stale ones removed)."""
    similar = similar_pairs(results, template=similarity.template_hashes(assignment.template_dir))
    folder = out / "similar"
    for old in sorted(folder.glob("pair-*.html")):
        old.unlink()
    if similar:
        folder.mkdir(parents=True, exist_ok=True)
    for s in similar:
        atomic_write(out / s.link, text=render_pair(s, results=results, assignment=assignment))
    page = render(results, students=students, assignment=assignment, reveal=reveal, similar=similar)
    return atomic_write(out / "index.html", text=page)
