"""Markdown: a check's feedback (Gradescope's per-test `output`, `output_format: md`) and
the summary a student reads on GitHub's Actions page (`grade . --markdown FILE`).

Everything a student controls is shown either inside a code fence longer than any run
of backticks it holds, or with Markdown's punctuation escaped, after `safe`: no student
text can open a link, an image, a heading or raw HTML. Nor can it become a link through
GitHub's autolink extension (bare `https://...`, `www.` names, e-mail addresses): see
`_unlink`. Pure functions of their arguments.
"""

from __future__ import annotations

import re

from grader.model import Assignment, Detail, GradeResult, Outcome, Status
from grader.report.text import (
    DETAIL_NOTE,
    HANG,
    OUTCOME_WORDS,
    advises,
    exchange_text,
    output_heading,
    safe,
    show_output,
    summary_line,
)
from grader.report.text import (
    mark as row_mark,
)
from grader.report.visibility import Shown, visible_rows

# GitHub drops a step summary over 1 MiB (1,048,576 bytes) whole; stay well under it.
SUMMARY_LIMIT = 1_000_000
LINE_LIMIT = 600  # characters of one diagnosis or command in the summary
ICON = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.TIMEOUT: "⏱️",
    Outcome.ERROR: "⚠️",
    Outcome.SKIPPED: "➖",
    Outcome.NOT_RUN: "➖",
}
ADVICE_ICON = "💡"
_PUNCT = re.compile(r"([\\`*_{}\[\]<>#+!|~&])")
_SCHEME = re.compile(r":(?=/)")  # the colon of `https://`, `ftp://`, ...
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@")  # an @ with a local part before it
# An empty HTML comment: GitHub drops it when it sanitises, so the text reads the same.
SPLIT = "<!-- -->"


def escape(text: str) -> str:
    """Text safe to put in a line of Markdown (or a table cell): one line, no markup."""
    return _unlink(_PUNCT.sub(r"\\\1", " ".join(safe(text).split())))


def _unlink(text: str) -> str:
    """Escaped text that GitHub's autolink extension cannot turn into a link.

    cmark-gfm matches `www.` and `scheme://` while it parses, on the source: a backslash
    before the `.` or the `:` (which CommonMark shows as the bare character) stops it.
    It finds e-mail addresses (and `mailto:`/`xmpp:` ones) later, in text nodes whose
    escapes are already undone and merged, so there only another node between the local
    part and the `@` stops it: an empty comment, which renders as nothing.
    """
    text = _SCHEME.sub(r"\\:", text)
    text = _WWW.sub(r"\1\\.", text)
    return _EMAIL_AT.sub(SPLIT + "@", text)


def fence(text: str, *, info: str = "") -> str:
    """`text` as a fenced code block whose fence no backtick run inside can close."""
    body = safe(text).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def clip(text: str, *, limit: int = LINE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_markdown(shown: Shown) -> str:
    """One check's feedback as Markdown: what happened, why, the transcript, the
    processes' output and the commands to see it at home (cut to the reader's detail)."""
    check, detail = shown.check, shown.detail
    if check is None:
        return "This check did not run."
    if detail is Detail.NONE:
        return escape(f"{OUTCOME_WORDS[check.outcome]}. {DETAIL_NOTE[detail]}")
    parts: list[str] = []
    if check.outcome is Outcome.PASSED:
        parts.append("Passed.")
        parts.extend(f"**Advice (no points):** {escape(d.text)}" for d in check.diagnoses)
    else:
        if check.message:
            parts.append(escape(check.message))
        if check.hang:
            parts.append(f"**Hang:** {escape(HANG[check.hang])}.")
        for d in check.diagnoses:
            parts.append(f"**Why:** {escape(d.text)}")
            if d.evidence:
                parts.append(f"Evidence:\n\n{fence(d.evidence)}")
    transcript = exchange_text(check)
    if transcript:
        parts.append("**Transcript:**\n\n" + fence("\n".join(transcript)))
    if check.outcome is not Outcome.PASSED:
        for o in check.outputs:
            parts.append(f"**{escape(output_heading(o))}:**\n\n{fence(show_output(o))}")
        if check.reproduce:
            parts.append("**See it on your machine:**\n\n" + fence("\n".join(check.reproduce)))
    if DETAIL_NOTE[detail]:
        parts.append(f"_{escape(DETAIL_NOTE[detail])}_")
    return "\n\n".join(parts)


def one_line(shown: Shown) -> str:
    """Why a check failed, in one line: its first diagnosis, else its message."""
    check = shown.check
    if check is None:
        return "This check did not run."
    if shown.detail is Detail.NONE:
        return DETAIL_NOTE[Detail.NONE]
    if check.diagnoses:
        return check.diagnoses[0].text
    return check.message or OUTCOME_WORDS[check.outcome]


def summary_markdown(
    result: GradeResult, *, assignment: Assignment, reveal: bool, limit: int = SUMMARY_LIMIT
) -> str:
    """The step summary: the score, a table of checks, and each failed check with its
    one-line diagnosis and reproduce commands; never more than `limit` bytes."""
    title = escape(assignment.title)
    if result.status is not Status.GRADED or result.score is None:
        head = [f"## {title}: not graded", "", escape(summary_line(result))]
        return "\n".join(head) + "\n"
    s = result.score
    tag = " (incomplete)" if result.incomplete else ""
    head = [f"## {title}: {s.points:g}/{s.max_points:g} points ({s.percent:.0f}%){tag}", ""]
    head += [escape(summary_line(result)), ""]
    head += [f"> **Warning:** {escape(w)}\n" for w in result.warnings]
    head += [f"> {escape(p.message)}\n" for p in result.file_problems]
    rows = visible_rows(result, assignment=assignment, reveal=reveal)
    head += ["| Result | Check | Points |", "| --- | --- | --- |"]
    for shown in rows:
        row = shown.row
        points = f"+{row.points:g}" if row.extra else f"{row.points:g}/{row.max_points:g}"
        icon = ADVICE_ICON if advises(row) else ICON[row.outcome]
        mark = f"{icon} {row_mark(row)}"
        head.append(f"| {mark} | {escape(row.title)} | {points} |")
    failed = [s for s in rows if s.row.outcome is not Outcome.PASSED and not s.row.advice]
    sections = [_failure(shown) for shown in failed]
    if sections:
        head += ["", "### What to fix"]
    text = "\n".join(head) + "\n"
    budget = limit - 400  # room for the closing note
    shown_count = 0
    for section in sections:
        if len((text + section).encode()) > budget:
            break
        text += section
        shown_count += 1
    if shown_count < len(sections):
        text += (
            f"\n_{len(sections) - shown_count} more failed checks are not shown here (the "
            "summary is kept under GitHub's size limit); see report.html._\n"
        )
    return text


def _failure(shown: Shown) -> str:
    row, check = shown.row, shown.check
    points = f"+0 of {row.max_points:g} extra" if row.extra else f"0/{row.max_points:g}"
    lines = [
        "",
        f"#### {ICON[row.outcome]} {escape(row.title)} ({points} points)",
        "",
        escape(clip(one_line(shown))),
    ]
    # the whole recipe (a restart loses its point without its last step)
    commands = check.reproduce if check and shown.detail is not Detail.NONE else ()
    if commands:
        lines += ["", "See it on your machine:", ""]
        lines.append(fence("\n".join(clip(c) for c in commands), info="sh"))
    return "\n".join(lines) + "\n"
