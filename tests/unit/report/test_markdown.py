"""report/markdown.py: the step summary gives each failed check's whole recipe."""

from __future__ import annotations

from grader.model import CheckResult, Outcome
from grader.report import summary_markdown
from unit.cli.test_summary import RECIPE, TINY, with_checks


def test_the_summary_gives_the_whole_recipe() -> None:
    long = CheckResult("echo_long", Outcome.FAILED, 0.2, message="no", reproduce=RECIPE)
    text = summary_markdown(with_checks(long), assignment=TINY, reveal=True)
    for command in RECIPE:
        assert command in text
