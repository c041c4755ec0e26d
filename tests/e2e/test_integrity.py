"""Integrity flags: for instructors only, never a penalty."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from support import EXAMPLES, ROOT

from grader.integrity import FLOOD_BYTES, note_changed_tests, repository_flags, run_flags
from grader.locate import locate
from grader.model import (
    Assignment,
    Captured,
    CheckResult,
    FlagKind,
    Isolation,
    Outcome,
    RunResult,
)
from grader.pipeline import grade
from grader.report import render_html, results_json
from grader.settings import Settings
from grader.snapshot import read_tree


def kinds(root: Path, assignment: Assignment) -> dict[FlagKind, list[str]]:
    flags = repository_flags(read_tree(root))
    return {f.kind: [str(p) for p in f.paths] for f in flags}


def test_files_that_would_hijack_or_fake_a_run_are_flagged(echo_assignment: Assignment) -> None:
    found = kinds(EXAMPLES / "hostile_hijack", echo_assignment)
    assert found == {
        FlagKind.HIJACK_FILE: ["conftest.py", "pytest.ini", "sitecustomize.py", "socket.py"],
        FlagKind.RESULT_FILE: ["results.json", "results.jsonl"],
    }


def test_pth_and_junit_files_anywhere_are_flagged(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    (tmp_path / "echo_server.py").write_text("s.bind(x); s.listen()\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "evil.pth").write_text("import os\n")
    (tmp_path / "junit-report.xml").write_text("<testsuite/>")
    found = kinds(tmp_path, echo_assignment)
    assert found == {
        FlagKind.HIJACK_FILE: ["lib/evil.pth"],
        FlagKind.RESULT_FILE: ["junit-report.xml"],
    }


def test_a_changed_tests_py_is_a_note_not_a_flag(echo_assignment: Assignment) -> None:
    """Most real classes edit tests.py; it never changes a verdict, so it is worth a note
    to the instructor, not an integrity flag."""

    def note(root: Path) -> tuple[str, ...]:
        snapshot = read_tree(root)
        located = locate(snapshot, assignment=echo_assignment)
        return note_changed_tests(snapshot, located=located, assignment=echo_assignment)

    assert kinds(EXAMPLES / "passes_all_legacy", echo_assignment) == {}
    assert "tests.py differs from the template's" in note(EXAMPLES / "passes_all_legacy")[0]
    assert note(ROOT / "student_template") == ()  # the template's own
    assert note(ROOT / "reference") == ()  # no tests.py at all


def test_escaped_processes_and_floods_are_flags() -> None:
    flood = Captured("your server stdout", "x", "y", FLOOD_BYTES + 1, FLOOD_BYTES - 100)
    chatty = Captured("your server stderr", "x", "y", 5 << 20, 5 << 20)  # a verbose 1 MiB echo
    run = RunResult(
        (CheckResult("server_short_message", Outcome.PASSED, outputs=(chatty,)),),
        1.0,
        Isolation.BWRAP,
    )
    assert run_flags(run) == ()
    noisy = replace(
        run,
        escaped=2,
        checks=(CheckResult("server_short_message", Outcome.PASSED, outputs=(flood,)),),
    )
    flags = run_flags(noisy)
    assert [f.kind for f in flags] == [FlagKind.ESCAPED, FlagKind.OUTPUT_FLOOD]
    assert flags[0].text.startswith("2 of its processes tried to outlive the grading")
    assert "your server stdout wrote 16 MiB" in flags[1].text


def test_a_flood_is_flagged_for_instructors_and_costs_nothing(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    result = grade(
        str(example_repo("hostile_output_flood")),
        assignment=echo_assignment,
        settings=Settings(reveal=True),
    )
    # The flag costs nothing: the echo is right, and the only check it fails is the one
    # about the server's log, which the flood buries.
    assert result.run is not None
    failed = [
        c.check_id
        for c in result.run.checks
        if c.outcome not in (Outcome.PASSED, Outcome.SKIPPED)  # skipped: optional tasks
    ]
    assert failed == ["server_logs_chunks"]
    assert [f.kind for f in result.flags] == [FlagKind.OUTPUT_FLOOD]
    text = result.flags[0].text
    assert text in render_html(result, assignment=echo_assignment, reveal=True)
    assert "Integrity flags" not in render_html(result, assignment=echo_assignment, reveal=False)
    assert (
        "flags" not in results_json(result, assignment=echo_assignment, reveal=False)["extra_data"]
    )
    assert results_json(result, assignment=echo_assignment, reveal=True)["extra_data"]["flags"] == [
        {"kind": "output_flood", "text": text}
    ]
