"""A real grader fault, through the real harness and sandbox: a copy of echo_sockets whose
check `server_short_message` crashes (a bug in trusted check code). A correct submission
then scores 95/100, never 95/95: the result is incomplete in every output, `grade`
exits 4, a batch grades it a second time at once, records it as incomplete, and never
reuses it."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, make_repo

from grader.batch import REGRADED, gradebook
from grader.cli import main
from grader.errors import ExitCode
from grader.sandbox import probe

pytestmark = pytest.mark.skipif(
    not probe().sandbox, reason="this machine cannot sandbox (bubblewrap or namespaces missing)"
)
SENTENCE = "incomplete: the grader could not run 1 check (its own fault, not the code's)"


@pytest.fixture(scope="module")
def broken_assignment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """echo_sockets with one check that always crashes in the grader's own code."""
    folder = tmp_path_factory.mktemp("assignment") / "echo_sockets"
    shutil.copytree(ROOT / "assignments" / "echo_sockets", folder)
    toml = folder / "assignment.toml"
    text = toml.read_text()
    text = text.replace('"../../reference"', json.dumps(str(ROOT / "reference")))
    text = text.replace('"../../student_template"', json.dumps(str(ROOT / "student_template")))
    toml.write_text(text)
    checks = folder / "checks" / "test_server.py"
    source, n = re.subn(
        r"(def test_server_short_message\(.*?\) -> None:\n)",
        r'\1    raise RuntimeError("a bug in the grader\'s own check")\n',
        checks.read_text(),
        flags=re.S,
    )
    assert n == 1
    checks.write_text(source)
    return folder


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repos") / "ada", EXAMPLES / "passes_all_legacy")


def test_a_single_grade_keeps_the_full_maximum_says_incomplete_and_exits_4(
    broken_assignment: Path,
    correct: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = io.StringIO()
    argv = [str(correct), "--assignment", str(broken_assignment), "--out", str(tmp_path)]
    argv += ["--python", sys.executable, "--reveal"]
    assert main(argv, stdout=out) == ExitCode.INFRASTRUCTURE
    said = out.getvalue()
    assert f"ada: 95/100 points (95%); {SENTENCE}" in said, said[-600:]
    assert f"grade: {SENTENCE}" in capsys.readouterr().err
    data = json.loads((tmp_path / "ada" / "results.json").read_text())
    assert (data["score"], data["max_score"]) == (95, 100)
    assert data["extra_data"]["incomplete"] is True
    page = (tmp_path / "ada" / "report.html").read_text()
    assert "<strong>Incomplete.</strong> The grader could not run 1 check" in page


def test_a_batch_grades_it_twice_records_it_incomplete_and_never_reuses_it(
    broken_assignment: Path, correct: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(f"identifier,repo\nada,{correct}\n")
    out = tmp_path / "out"
    argv = ["--roster", str(roster), "--assignment", str(broken_assignment), "--out", str(out)]
    argv += ["--no-selfcheck", "--python", sys.executable]
    for run in (1, 2):
        assert main(argv, stdout=io.StringIO()) == ExitCode.INFRASTRUCTURE, run
        assert "grade: 1 result is incomplete" in capsys.readouterr().err
    with sqlite3.connect(out / gradebook.FILENAME) as db:
        rows = db.execute("SELECT reused, score, max_score, result FROM submissions").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(0, 95, 100), (0, 95, 100)]  # never reused
    assert all(REGRADED in json.loads(r[3])["notes"] for r in rows)  # each graded twice
    grades = (out / "grades.csv").read_text().splitlines()[1]
    assert grades.startswith("ada,,incomplete,100,incomplete,0,incomplete,"), grades
    assert "incomplete (the grader failed)</dt><dd>1</dd>" in (out / "index.html").read_text()
