"""Stage 2b, Located (+ RunResult) -> instructor flags and notes.

A flag marks what could have changed a verdict or shows intent to tamper, and never
costs points nor reaches a student's view: files that would hijack a test run or fake
its results (none of them is ever staged or loaded, so they changed nothing), processes
that tried to outlive the grading, and output floods. A note is merely worth knowing
(a file of the template students edit freely, such as its own tests, that differs from
the template's: the assignment lists them as `student_tests`).
"""

from __future__ import annotations

import difflib
from pathlib import Path, PurePosixPath

from grader.model import Assignment, Flag, FlagKind, Located, RunResult
from grader.snapshot import Snapshot

# Files that change how Python or pytest start, when they sit next to the tests.
HIJACK_NAMES = {"conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py"}
# Modules the checks rely on; a student file of that name would shadow them.
SHADOW_NAMES = {"socket.py", "select.py", "selectors.py", "pytest.py", "unittest.py"}
FLOOD_BYTES = 16 << 20  # homework that logs every chunk writes a few MB for a 1 MiB message


def repository_flags(snapshot: Snapshot) -> tuple[Flag, ...]:
    """Flags from the names in a submission (links and pipes included; nothing is read)."""
    hijack: list[PurePosixPath] = []
    shadow: list[PurePosixPath] = []
    results: list[PurePosixPath] = []
    for path in sorted(snapshot.names(), key=lambda p: p.parts):
        lower = path.name.lower()
        if lower in HIJACK_NAMES or lower.endswith(".pth"):
            hijack.append(path)
        elif lower in SHADOW_NAMES:
            shadow.append(path)
        elif (
            lower == "results.json"
            or lower.endswith(".jsonl")
            or (lower.startswith("junit") and lower.endswith(".xml"))
        ):
            results.append(path)
    flags: list[Flag] = []
    if hijack or shadow:
        named = ", ".join(str(p) for p in (hijack + shadow)[:5])
        flags.append(
            Flag(
                FlagKind.HIJACK_FILE,
                f"the repository ships files that change how Python or pytest start, or "
                f"are named like a standard module ({named}); the grader never loads the "
                "former, and student code always imports the real standard library, so "
                "they changed nothing here.",
                tuple(hijack + shadow),
            )
        )
    if results:
        named = ", ".join(str(p) for p in results[:5])
        flags.append(
            Flag(
                FlagKind.RESULT_FILE,
                f"the repository ships files that look like test results ({named}); the "
                "grader never reads them as results.",
                tuple(results),
            )
        )
    return tuple(flags)


def note_changed_tests(
    snapshot: Snapshot, *, located: Located, assignment: Assignment
) -> tuple[str, ...]:
    """A note for each of the assignment's `student_tests` (e.g. the template's own tests)
    that, beside the graded files, differs from the template's."""
    if assignment.template_dir is None or not located.files:
        return ()
    folder = located.files[0].path.parent
    notes: list[str] = []
    for name in assignment.student_tests:
        template = assignment.template_dir / name
        mine = snapshot.data(folder / name)
        if template.is_file() and mine is not None:
            notes.extend(_changed(folder / name, template, mine))
    return tuple(notes)


def _changed(path: PurePosixPath, template: Path, mine: bytes) -> tuple[str, ...]:
    theirs = _lines(template.read_bytes()[: 1 << 20])
    ours = _lines(mine)
    if ours == theirs:
        return ()
    diff = list(difflib.unified_diff(theirs, ours, lineterm="", n=0))
    added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
    removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
    return (
        f"{path} differs from the template's ({added} lines added, {removed} removed); "
        "the grader runs its own checks, so this changed nothing here.",
    )


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_flags(run: RunResult | None) -> tuple[Flag, ...]:
    """Flags from what the student's processes did while the checks ran."""
    if run is None:
        return ()
    flags: list[Flag] = []
    if run.escaped:
        flags.append(
            Flag(
                FlagKind.ESCAPED,
                f"{run.escaped} of its processes tried to outlive the grading (e.g. a daemon "
                "that forks into the background); they were killed when the job ended.",
            )
        )
    outputs = [o for c in run.checks for o in c.outputs]
    if outputs:
        biggest = max(outputs, key=lambda o: o.total_bytes)
        if biggest.total_bytes >= FLOOD_BYTES:
            flags.append(
                Flag(
                    FlagKind.OUTPUT_FLOOD,
                    f"{biggest.name} wrote {biggest.total_bytes / (1 << 20):,.0f} MiB of "
                    f"output ({biggest.cut_bytes / (1 << 20):,.0f} MiB of it "
                    "cut from the report); homework programs write a few MiB at most.",
                )
            )
    return tuple(flags)
