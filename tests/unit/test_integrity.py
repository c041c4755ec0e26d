"""integrity.py's note on the template's own tests: only for the files the assignment
lists as `student_tests`, and only when they differ from the template's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from support import ROOT

from grader import assignment
from grader.integrity import note_changed_tests
from grader.locate import locate
from grader.model import Assignment
from grader.snapshot import read_tree


def notes(folder: Path, spec: Assignment) -> tuple[str, ...]:
    snapshot = read_tree(folder)
    located = locate(snapshot, assignment=spec)
    return note_changed_tests(snapshot, located=located, assignment=spec)


def test_a_changed_student_test_is_a_note_and_an_unlisted_file_is_not(tmp_path: Path) -> None:
    spec = assignment.load("echo_sockets")
    assert spec.student_tests == ("tests.py",)
    for name in ("echo_server.py", "echo_client.py", "tests.py", "README.md"):
        (tmp_path / name).write_bytes((ROOT / "student_template" / name).read_bytes())
    assert notes(tmp_path, spec) == ()
    (tmp_path / "tests.py").write_text("print('mine')\n")
    (tmp_path / "README.md").write_text("my notes\n")
    (said,) = notes(tmp_path, spec)
    assert said.startswith("tests.py differs from the template's")
    assert notes(tmp_path, replace(spec, student_tests=())) == ()
