"""The Markdown summary through GitHub's own renderer (cmark-gfm, with its autolink
extension): student text reads the same and never becomes a link."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import cmarkgfm  # type: ignore[import-untyped]
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from grader.model import (
    Assignment,
    CheckResult,
    CheckSpec,
    Diagnosis,
    GradeResult,
    Isolation,
    Outcome,
    RunResult,
    Status,
)
from grader.report.markdown import check_markdown, escape, summary_markdown
from grader.report.visibility import visible_rows
from grader.score import score

LINKS = (
    "see https://evil.example/login now",
    "HTTP://EVIL.EXAMPLE and ftp://files.example/x and http://x",
    "visit www.evil.example/help or WWW.EVIL.EXAMPLE or (www.evil.example)",
    "*www.evil.example* _www.evil.example_",
    "write to ada@example.com or a_b.c-d+e@exa-mple.co.uk.",
    "mailto:ada@example.com and xmpp:ada@example.com/home",
)


def github(markdown: str) -> str:
    """HTML as GitHub makes it: cmark-gfm with its extensions, raw HTML let through (GitHub
    sanitises afterwards)."""
    rendered: str = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    )
    return rendered


def visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<!--.*?-->|<[^>]+>", "", rendered))


@pytest.mark.parametrize("text", LINKS)
def test_urls_www_names_and_email_addresses_do_not_become_links(text: str) -> None:
    assert "<a " in github(text)  # the renderer would link them as they are
    rendered = github(escape(text))
    assert "<a " not in rendered
    assert " ".join(visible(rendered).split()) == text  # and they read the same


def test_the_step_summary_links_nothing_a_student_wrote(echo_assignment: Assignment) -> None:
    spec = replace(echo_assignment, checks=(CheckSpec("one", "Server echoes", 5, "server"),))
    text = " | ".join(LINKS)
    check = CheckResult("one", Outcome.FAILED, 0.1, message=text, diagnoses=(Diagnosis("x", text),))
    run = RunResult((check,), 1.0, Isolation.BWRAP, warnings=(text,))
    result = GradeResult(
        "ada@example.com",
        Status.GRADED,
        spec.name,
        spec.digest,
        "test",
        run=run,
        score=score(run, assignment=spec, reveal=False),
        warnings=(text,),
    )
    summary = github(summary_markdown(result, assignment=spec, reveal=False))
    assert "<a " not in summary
    assert "evil.example/login" in visible(summary)
    shown = visible_rows(result, assignment=spec, reveal=False)[0]
    assert "<a " not in github(check_markdown(shown))


def test_the_summary_gives_the_whole_recipe() -> None:
    from unit.cli.test_summary import RECIPE, TINY, with_checks

    long = CheckResult("echo_long", Outcome.FAILED, 0.2, message="no", reproduce=RECIPE)
    text = summary_markdown(with_checks(long), assignment=TINY, reveal=True)
    for command in RECIPE:
        assert command in text
