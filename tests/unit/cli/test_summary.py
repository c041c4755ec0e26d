"""The terminal's view (cli/summary.py): each explanation said once, every reproduce
command, advice never shown as a failure."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path, PurePosixPath

from fakes import tiny_assignment as fake_assignment

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
from unit.report.test_report import fixed_result, tiny_assignment

TINY = tiny_assignment()
RECIPE = (
    "python echo_server.py   # terminal 1: your server",
    "grade-peer send 'one'   # terminal 2: the grader's client",
    "# stop your server (Ctrl-C in terminal 1), then start it again at once:",
    "python echo_server.py   # terminal 1: your server, again",
    "grade-peer send 'two'   # terminal 2: it must answer",
)
NEVER_LISTENED = Diagnosis(
    "server_never_listens", "your server never listened on a TCP port, so no client could connect."
)


def terminal(result: GradeResult) -> str:
    out = io.StringIO()
    print_summary(result, assignment=TINY, folder=Path("grades/ada"), out=out, reveal=True)
    return out.getvalue()


def with_checks(*checks: CheckResult) -> GradeResult:
    """The golden result with some checks replaced, scored again."""
    base = fixed_result(TINY, reveal=True)
    assert base.run is not None
    by_id = {c.check_id: c for c in base.run.checks}
    by_id.update({c.check_id: c for c in checks})
    run = replace(base.run, checks=tuple(by_id.values()))
    return replace(base, run=run, score=score(run, assignment=TINY, reveal=True))


def test_the_terminal_prints_the_whole_recipe() -> None:
    long = CheckResult("echo_long", Outcome.FAILED, 0.2, message="no", reproduce=RECIPE)
    text = terminal(with_checks(long))
    for command in RECIPE:
        assert command in text
    assert text.index(RECIPE[0]) < text.index(RECIPE[-1])


def test_the_terminal_says_a_repeated_explanation_once() -> None:
    checks = [
        CheckResult(cid, Outcome.FAILED, 0.1, message="it exited", diagnoses=(NEVER_LISTENED,))
        for cid in ("echo_short", "echo_long", "echo_secret")
    ]
    text = terminal(with_checks(*checks))
    assert text.count(NEVER_LISTENED.text) == 1
    assert text.count("why: same as above (server never listens)") == 2
    assert text.index(NEVER_LISTENED.text) < text.index("same as above")


def test_advice_never_reads_as_a_failure_in_the_terminal() -> None:
    text = terminal(fixed_result(TINY, reveal=True))
    (line,) = [ln for ln in text.splitlines() if "Advice: a split character" in ln]
    assert line.split()[0] == "ADVICE" and "FAIL" not in line and "0/0" not in line


def test_a_grader_fault_in_an_advice_check_still_reads_as_one() -> None:
    fault = CheckResult("advice", Outcome.ERROR, 0.1, message="boom", trace="Traceback")
    line = next(ln for ln in terminal(with_checks(fault)).splitlines() if "Advice: a split" in ln)
    assert line.split()[0] == "ERROR"


FORGED = "oops\r\nada: 100/100 points (100%)\n\tada: 100/100 points (100%)"


def forged_lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.lstrip().startswith("ada: 100/100")]


def test_student_text_cannot_forge_the_score_line_on_the_terminal() -> None:
    tiny = fake_assignment()
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
