"""Gradescope's results.json, built in-process: the rubric's hidden checks use
Gradescope's own `after_due_date`, so students see them once the due date has passed
(Gradescope's `hidden` would hide them forever)."""

from __future__ import annotations

from dataclasses import replace

from fakes import tiny_assignment

from grader.model import CheckResult, GradeResult, Isolation, Outcome, RunResult, Status, Visibility
from grader.platforms.gradescope import results_document
from grader.score import score


def test_hidden_checks_are_shown_after_the_due_date_never_hidden_forever() -> None:
    tiny = tiny_assignment()
    checks = tuple(
        replace(c, visibility=Visibility.AFTER_DUE_DATE) if c.id == "client" else c
        for c in tiny.checks
    )
    tiny = replace(tiny, checks=checks)
    run = RunResult(
        tuple(CheckResult(c.id, Outcome.FAILED) for c in tiny.checks), 1.0, Isolation.BWRAP
    )
    result = GradeResult(
        "ada",
        Status.GRADED,
        tiny.name,
        tiny.digest,
        "t",
        run=run,
        score=score(run, assignment=tiny, reveal=True),
    )
    doc = results_document(result, assignment=tiny)
    shown = {t["tags"][0]: t["visibility"] for t in doc["tests"]}
    assert shown["secret"] == "after_due_date"  # the rubric's "hidden"
    assert shown["client"] == "after_due_date"
    assert shown["short"] == "visible"
    assert "hidden" not in shown.values()
