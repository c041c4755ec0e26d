"""The words every output shares (page, results.json, markdown, terminal): outcome
names, the plain-text feedback of a check, the one-line summary, and `safe`, which
makes any text a student controls harmless to show.

Pure functions of their arguments: no clock, no environment.
"""

from __future__ import annotations

import re

from grader.model import (
    Captured,
    CheckResult,
    CheckScore,
    Detail,
    GradeResult,
    Hang,
    Outcome,
    Status,
)

SHOW_BYTES = 360  # about 18 short lines: enough to see where it goes wrong
MARK = {
    Outcome.PASSED: "PASS",
    Outcome.FAILED: "FAIL",
    Outcome.TIMEOUT: "HUNG",
    Outcome.ERROR: "ERROR",
    Outcome.SKIPPED: "SKIP",
    Outcome.NOT_RUN: "NOT RUN",
}
OUTCOME_WORDS = {
    Outcome.PASSED: "Passed",
    Outcome.FAILED: "Failed",
    Outcome.TIMEOUT: "Did not finish (hung)",
    Outcome.ERROR: "The grader could not run this check",
    Outcome.SKIPPED: "Skipped",
    Outcome.NOT_RUN: "Did not run",
}
ADVICE_MARK = "ADVICE"  # an advice check (no points) that has something to say
ADVICE_WORDS = "Advice (no points)"
HANG = {
    Hang.BLOCKED: "blocked (waiting: no CPU used, no timer set, no bytes moving)",
    Hang.BUSY: "busy (still running, or waiting on a timer, at the time limit)",
}
DETAIL_NOTE = {
    Detail.FULL: "",
    Detail.ACTUAL_ONLY: "What this check expected is not shown; what your code did is.",
    Detail.NONE: "The details of this check are not shown, only whether it passed.",
}
CATEGORY_TITLES = {
    "server": "Your server",
    "client": "Your client",
    "pairing": "Your client with your server",
    "advice": "Advice (no points)",
    "extra": "Optional tasks (extra credit, not counted in the score)",
}
# Control characters (but newline and tab), C1 controls, line and paragraph separators,
# bidirectional overrides, lone surrogates and noncharacters: each could clear a
# terminal, reorder what a reader sees, or break an XML parser.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def advises(row: CheckScore) -> bool:
    """Whether a row is advice that applies: an advice check (no points) that did not
    pass. It is shown as advice everywhere, never as a failure."""
    return row.advice and row.outcome in (Outcome.FAILED, Outcome.TIMEOUT)


def mark(row: CheckScore) -> str:
    """The short word a check's row shows (PASS, FAIL, ..., ADVICE)."""
    return ADVICE_MARK if advises(row) else MARK[row.outcome]


def words(row: CheckScore) -> str:
    """The outcome of a check's row in words."""
    return ADVICE_WORDS if advises(row) else OUTCOME_WORDS[row.outcome]


def gradescope_status(row: CheckScore) -> str:
    """Gradescope's test status: it draws "failed" red, which advice must never be."""
    return "passed" if row.outcome is Outcome.PASSED or advises(row) else "failed"


def safe(text: str) -> str:
    """Text with every unsafe character shown as an escape (\\x1b, \\u202e, ...)."""
    return _UNSAFE.sub(_escape_char, text)


def safe_line(text: str) -> str:
    """`safe`, and one line: a newline or tab shows as \\n or \\t, so student text on a
    terminal can never start a line of its own (a forged "ada: 100/100 points")."""
    return safe(text).replace("\n", "\\n").replace("\t", "\\t")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show_bytes(data: bytes | None, *, limit: int = SHOW_BYTES, total: int | None = None) -> str:
    """Bytes as escaped text, long payloads cut in the middle with a clear marker.

    `total` is the real size when `data` was already clipped to its head and tail.
    """
    if data is None:
        return "(nothing)"
    size = len(data) if total is None else total
    if not size:
        return "(0 bytes)"
    if len(data) > limit or size > len(data):
        head, tail = data[: limit * 2 // 3], data[-(limit // 6) :]
        cut = size - len(head) - len(tail)
        return (
            f"{_decode(head)}\n[... {cut:,} bytes not shown; {size:,} bytes in all ...]\n"
            f"{_decode(tail)}"
        )
    return _decode(data)


def _decode(data: bytes) -> str:
    return safe(data.decode("utf-8", "backslashreplace"))


def show_output(captured: Captured) -> str:
    if not captured.cut_bytes:
        return safe(captured.head + captured.tail)
    return safe(
        f"{captured.head}\n[... {captured.cut_bytes:,} bytes cut; {captured.total_bytes:,} "
        f"bytes in all ...]\n{captured.tail}"
    )


def output_heading(o: Captured) -> str:
    cut = f", {o.cut_bytes:,} cut from the middle" if o.cut_bytes else ""
    return f"Output of {o.name} ({o.total_bytes:,} bytes{cut})"


def feedback_text(check: CheckResult | None, *, detail: Detail = Detail.FULL) -> str:
    """The plain-text feedback of one check: message, diagnoses, transcript, output,
    commands (the same content as the HTML page, for results.json and markdown)."""
    if check is None:
        return "This check did not run."
    if detail is Detail.NONE:
        return f"{OUTCOME_WORDS[check.outcome]}. {DETAIL_NOTE[detail]}"
    if check.outcome is Outcome.PASSED:
        return "\n".join(["Passed.", *_advice(check), *exchange_text(check)])
    parts = [safe(check.message)]
    if check.hang:
        parts.append(f"Hang: {HANG[check.hang]}.")
    if check.trace:
        parts.append(
            f"What went wrong in the grader (instructors only):\n  {_indent(safe(check.trace))}"
        )
    for d in check.diagnoses:
        evidence = f"\n  Evidence: {_indent(safe(d.evidence))}" if d.evidence else ""
        parts.append(f"Why: {safe(d.text)}{evidence}")
    parts.extend(exchange_text(check))
    for o in check.outputs:
        parts.append(f"{output_heading(o)}:\n  {_indent(show_output(o))}")
    if check.reproduce:
        lines = "\n".join(f"  {safe(c)}" for c in check.reproduce)
        parts.append(f"See it on your machine:\n{lines}")
    if DETAIL_NOTE[detail]:
        parts.append(DETAIL_NOTE[detail])
    return "\n".join(p for p in parts if p)


def _advice(check: CheckResult) -> list[str]:
    return [f"Advice (no points): {safe(d.text)}" for d in check.diagnoses]


def exchange_text(check: CheckResult) -> list[str]:
    """The transcript of a check, one block per exchange (sent, received, expected)."""
    out = []
    for ex in check.exchanges:
        timing = f" ({ex.elapsed_s:.3f} s)" if ex.elapsed_s is not None else ""
        lines = [f"[{safe(ex.label)}]{timing}"]
        if ex.sent is not None:
            lines.append(
                f"  sent:     {_indent(show_bytes(ex.sent, limit=200, total=ex.sent_len))}"
            )
        if ex.received is not None:
            lines.append(
                f"  received: {_indent(show_bytes(ex.received, limit=200, total=ex.received_len))}"
            )
        if ex.expected is not None and ex.expected != ex.received:
            lines.append(
                f"  expected: {_indent(show_bytes(ex.expected, limit=200, total=ex.expected_len))}"
            )
        if ex.note:
            lines.append(f"  note:     {safe(ex.note)}")
        out.append("\n".join(lines))
    return out


def _indent(text: str) -> str:
    return text.rstrip("\n").replace("\n", "\n  ")


def summary_line(result: GradeResult) -> str:
    """The score in one line, or why there is none; an incomplete one says so last."""
    if result.status is not Status.GRADED or result.score is None:
        line = f"Not graded: {safe_line(result.problem)}"
        return f"{line}; {incomplete_line(result)}" if result.incomplete else line
    s = result.score
    line = f"{s.points:g}/{s.max_points:g} points ({s.percent:.0f}%)"
    if s.hidden_count:
        line += f"; {s.hidden_count} hidden checks worth {s.hidden_points:g} points not shown"
    if s.extra_points:
        line += f"; {s.extra_points:g} extra credit"
    if result.incomplete:
        line += f"; {incomplete_line(result)}"
    return line


def incomplete_line(result: GradeResult) -> str:
    """The one sentence every output gives an incomplete result (see
    `GradeResult.incomplete`), with what to do; "" for a complete one."""
    if not result.incomplete:
        return ""
    if result.fault_count == 0:  # not graded at all: its problem says why
        what = "the grader could not grade this submission (its own fault, not the code's)"
    else:
        n = result.fault_count
        what = (
            f"the grader could not run {n} check{'' if n == 1 else 's'} (its own fault, not "
            f"the code's), and {'it earns' if n == 1 else 'they earn'} nothing until graded "
            "again"
        )
    return f"incomplete: {what}: grade it again, and if that fails too, report it to the instructor"
