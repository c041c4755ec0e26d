"""report.html, and the one Jinja2 environment of the grader.

Autoescape on, undefined names are errors, and every value a template prints passes
`safe` first, so no control character a student wrote reaches a page. Rendering is a
pure function of its arguments (no clock, no environment).
"""

from __future__ import annotations

from typing import Any

import jinja2
import markupsafe

from grader.model import Assignment, Detail, GradeResult, Outcome, Visibility
from grader.report.text import (
    CATEGORY_TITLES,
    DETAIL_NOTE,
    HANG,
    advises,
    incomplete_line,
    mark,
    output_heading,
    safe,
    show_bytes,
    show_output,
    summary_line,
    words,
)
from grader.report.visibility import Shown, visible_rows


def _finalize(value: Any) -> Any:
    """Make a printed string safe; markup the templates built themselves is already."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return safe(value)
    return value


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("grader.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_html(result: GradeResult, *, assignment: Assignment, reveal: bool) -> str:
    """The report page of one submission, as the given reader may see it."""
    rows = visible_rows(result, assignment=assignment, reveal=reveal)
    groups: dict[str, list[Shown]] = {}
    for shown in rows:
        groups.setdefault(shown.category, []).append(shown)
    return ENV.get_template("report.html").render(
        r=result,
        a=assignment,
        rows=rows,
        groups=[
            (CATEGORY_TITLES.get(name, name.capitalize() or "Checks"), name or "checks", group)
            for name, group in groups.items()
        ],
        summary=summary_line(result),
        incomplete=_sentence(incomplete_line(result).removeprefix("incomplete: ")),
        row_mark=mark,
        row_words=words,
        advises=advises,
        Outcome=Outcome,
        Detail=Detail,
        detail_note=DETAIL_NOTE,
        hang_text=HANG,
        show_bytes=show_bytes,
        show_output=show_output,
        output_heading=output_heading,
        failed=[
            s
            for s in rows
            if s.row.outcome is not Outcome.PASSED and not (s.row.extra or s.row.advice)
        ],
        main=[s for s in rows if not (s.row.extra or s.row.advice)],
        after_deadline=not reveal and any(s.row.visibility is not Visibility.VISIBLE for s in rows),
        reveal=reveal,
        extra_max=sum(c.points for c in assignment.checks if c.extra),
    )
