"""The terminal: student text with CR, LF or TAB stays on its own line, so a submission
cannot print a line that looks like the grader's score."""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath

from fakes import tiny_assignment

from grader.batch import Progress
from grader.cli.progress import line
from grader.cli.summary import print_summary
from grader.model import (
    CheckResult,
    Diagnosis,
    FileProblem,
    GradeResult,
    Isolation,
    Outcome,
    RunResult,
    Status,
)
from grader.score import score

FORGED = "oops\r\nada: 100/100 points (100%)\n\tada: 100/100 points (100%)"


def forged_lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.lstrip().startswith("ada: 100/100")]


def test_student_text_cannot_forge_the_score_line_on_the_terminal() -> None:
    tiny = tiny_assignment()
    checks = tuple(
        CheckResult(
            c.id,
            Outcome.FAILED,
            0.1,
            message=FORGED,
            diagnoses=(Diagnosis("x", FORGED),),
            reproduce=(FORGED, FORGED),
        )
        for c in tiny.checks
    )
    run = RunResult(checks, 1.0, Isolation.BWRAP, warnings=(FORGED,))
    result = GradeResult(
        "ada",
        Status.GRADED,
        tiny.name,
        tiny.digest,
        "t",
        run=run,
        score=score(run, assignment=tiny, reveal=True),
        warnings=(FORGED,),
        file_problems=(FileProblem("server", PurePosixPath("x.py"), 1, FORGED),),
    )
    out = io.StringIO()
    print_summary(result, assignment=tiny, folder=Path("g/ada"), out=out, reveal=True)
    text = out.getvalue()
    assert not forged_lines(text)
    assert "oops\\x0d\\nada: 100/100 points (100%)\\n\\tada" in text
    assert text.splitlines()[-2].startswith("ada: 0/20 points")
    failed = GradeResult("ada", Status.NOT_GRADABLE, tiny.name, tiny.digest, "t", problem=FORGED)
    out = io.StringIO()
    print_summary(failed, assignment=tiny, folder=Path("g/ada"), out=out, reveal=True)
    assert not forged_lines(out.getvalue())
    assert not forged_lines(line(Progress(1, 2, 1, 0, failed)))
    assert not forged_lines(
        line(Progress(1, 2, 0, 0, GradeResult(FORGED, Status.GRADED, "", "", "")))
    )
