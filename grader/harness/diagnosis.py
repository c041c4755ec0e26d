"""The diagnosis catalogue: every code a check may emit, in plain words, with its trigger.

A check decides *that* something happened (it holds the evidence: bytes on the wire, a
process that died, a port); the catalogue says *what that means* to a student. Each
assignment lists all its codes in one module (`assignments/<name>/checks/diagnoses.py`,
which includes the two the harness itself emits, `HARNESS`) and hands it to the harness
through the `catalogue` fixture; a check then calls
`check.explain("server_drops_last_chunk", "sent back 48 of 52 bytes", tail=4)`.

Trusted side: imports nothing but the standard library.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Explanation:
    """One diagnosis: its code, what it means (a `str.format` template filled with the
    check's numbers), what evidence makes a check emit it, and whether that evidence
    shows the expected value (a check with `actual-only` detail then hides it)."""

    code: str
    text: str
    trigger: str
    quotes_expected: bool = False

    def fields(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.text) if name}

    def render(self, **fields: object) -> str:
        missing = self.fields() - fields.keys()
        if missing:
            raise KeyError(f"diagnosis {self.code!r} needs {', '.join(sorted(missing))}")
        return self.text.format(**fields)


class Catalogue(Mapping[str, Explanation]):
    """The explanations of one assignment, by code."""

    def __init__(self, *entries: Explanation) -> None:
        self._entries: dict[str, Explanation] = {}
        for entry in entries:
            if entry.code in self._entries:
                raise ValueError(f"diagnosis code {entry.code!r} is listed twice")
            self._entries[entry.code] = entry

    def __getitem__(self, code: str) -> Explanation:
        return self._entries[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


# The codes the harness itself emits (for any assignment with a server and files to run).
HARNESS = (
    Explanation(
        "python2",
        "this file is written in Python 2; the grader runs Python 3. The evidence is the "
        "first line Python 3 rejects; the message above says what to write instead, and "
        "every line like it needs the same change.",
        "the file does not compile under Python 3 and its first rejected line is Python 2 "
        "syntax (print >>f, print x, except E, e:, <>, ...)",
    ),
    Explanation(
        "server_never_listens",
        "your server never listened on a TCP port, so no client could connect: {how}. What "
        "it printed is below.",
        "the server process exited, or kept running, without a listening TCP socket within "
        "the check's time limit",
    ),
)

_FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+')


def student_traceback(text: str, workdir: str, hide: tuple[str, ...] = ()) -> str:
    """The last traceback in a process's output, with the student's own frames only.

    Frames of the grader's runner (`<string>`, `<frozen ...>`, files under `hide`) are
    left out, and paths in the student's folder are shown as in their repository.
    """
    start = text.rfind("Traceback (most recent call last):")
    if start < 0:
        return ""
    lines = text[start:].splitlines()
    out: list[str] = []
    skip = dropped = 0
    prefix = workdir.rstrip("/") + "/"
    for line in lines:
        frame = _FRAME.match(line)
        if frame:
            name = frame["file"]
            skip = name.startswith(("<string>", "<frozen")) or name.startswith(hide)
            dropped += skip
            if skip:
                continue
            line = line.replace(f'"{prefix}', '"', 1)
        elif skip and line.startswith("    "):
            continue
        else:
            skip = False
        out.append(line)
    if dropped:
        out.insert(1, f"  ({dropped} frames of the grader's own code not shown)")
    return "\n".join(out).strip()
