"""PrairieLearn end to end: the real entry point (`grade prairielearn`, a process of its
own) against a temporary folder laid out like /grade, and the example question."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, EXAMPLES_HTTP, ROOT

from grader import assignment as assignment_mod
from grader.platforms.gradescope import STUDENT_USER

QUESTIONS = ROOT / "platforms" / "prairielearn" / "questions"
DOCKERFILE = ROOT / "platforms" / "prairielearn" / "Dockerfile"
RESULT_KEYS = {"gradable", "score", "format_errors", "message", "output", "images", "tests"}
TEST_KEYS = {"name", "description", "points", "max_points", "message", "output", "images"}


def grade_in(
    root: Path,
    files: Path | dict[str, str] | None,
    *argv: str,
    names: tuple[str, ...] = ("echo_server.py", "echo_client.py"),
) -> tuple[dict[str, Any], str]:
    """Lay out root like /grade (student files, a data.json), run the entry point, and
    return results.json as PrairieLearn's grader host would read it."""
    (root / "student").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "gradable": True}))
    if isinstance(files, dict):
        for name, text in files.items():
            (root / "student" / name).write_text(text)
    elif files is not None:
        for name in names:
            if (files / name).exists():
                shutil.copy(files / name, root / "student" / name)
    env = {**os.environ, "GRADE_ROOT": str(root), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "prairielearn", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # PrairieLearn reads results.json only when the container exits 0
    assert done.returncode == 0, done.stdout + done.stderr
    raw = (root / "results" / "results.json").read_bytes()
    assert len(raw) <= 1024 * 1024
    doc = json.loads(raw)
    validate(doc)
    return doc, done.stdout


def validate(doc: Any) -> None:
    assert isinstance(doc, dict) and set(doc) <= RESULT_KEYS, doc
    assert isinstance(doc["gradable"], bool)
    assert isinstance(doc["score"], float) and 0.0 <= doc["score"] <= 1.0
    if not doc["gradable"]:
        assert doc["format_errors"] and all(isinstance(e, str) for e in doc["format_errors"])
    for test in doc.get("tests", []):
        assert set(test) <= TEST_KEYS
        assert isinstance(test["name"], str)
        assert isinstance(test["points"], float) and isinstance(test["max_points"], float)
        assert 0 <= test["points"] <= test["max_points"] or test["max_points"] == 0
        assert isinstance(test["message"], str) and isinstance(test["output"], str)


def test_a_correct_submission_scores_one(tmp_path: Path) -> None:
    doc, log = grade_in(tmp_path / "grade", ROOT / "reference")
    assert doc["gradable"] is True and doc["score"] == 1.0
    assert all(t["points"] == t["max_points"] for t in doc["tests"])
    assert "isolation: " in log


def test_a_hanging_client_loses_points_and_hidden_checks_stay_hidden(tmp_path: Path) -> None:
    doc, _ = grade_in(tmp_path / "grade", EXAMPLES / "client_stops_on_short_chunk")
    assert doc["gradable"] is True and 0.5 < doc["score"] < 1.0
    by_name = {t["name"]: t for t in doc["tests"]}
    hung = by_name["Client returns a reply of exactly 16 bytes"]
    assert hung["points"] == 0 and "multiple of 16" in hung["message"]
    assert "grade-peer serve" in hung["output"]
    assert "Client returns a reply of exactly 32 bytes" not in by_name  # a hidden check
    hidden = next(t for t in doc["tests"] if t["name"].endswith("hidden checks"))
    assert hidden["points"] < hidden["max_points"]
    counted = sum(t["points"] for t in doc["tests"] if t["description"] != "extra credit")
    assert round(counted / 100, 6) == doc["score"]


def test_the_grade_folder_is_out_of_student_codes_reach(tmp_path: Path) -> None:
    """data.json holds the question's parameters and answers, serverFilesCourse the
    course's files: under the fallback (student code as a uid of its own, no namespaces)
    other users lose every right on /grade; the student's files are graded from a copy."""
    if os.geteuid() != 0:
        pytest.skip("the grader makes /grade private when it runs as root, as in the image")
    root = tmp_path / "grade"
    doc, _ = grade_in(root, ROOT / "reference")
    assert doc["score"] == 1.0
    assert not stat.S_IMODE(root.stat().st_mode) & 0o007


def test_nothing_submitted_is_not_gradable(tmp_path: Path) -> None:
    doc, _ = grade_in(tmp_path / "grade", None)
    assert doc["gradable"] is False and "No files were submitted" in doc["format_errors"][0]


def test_files_of_another_name_are_not_gradable(tmp_path: Path) -> None:
    doc, _ = grade_in(tmp_path / "grade", {"notes.txt": "work in progress"})
    assert doc["gradable"] is False and "no echo_server.py" in doc["format_errors"][0]
    assert "found in your files" in doc["format_errors"][0]


def test_a_grader_that_cannot_run_makes_it_not_gradable_and_blames_nobody(
    tmp_path: Path,
) -> None:
    doc, log = grade_in(tmp_path / "grade", ROOT / "reference", "--assignment", "/nowhere")
    assert doc["gradable"] is False
    assert "not of your code" in doc["format_errors"][0]
    assert "no assignment '/nowhere'" in log


@pytest.mark.parametrize("name", ["echo_sockets", "http_server"])
def test_each_example_question_runs_this_entry_point(name: str) -> None:
    question = QUESTIONS / name
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert options["enabled"] is True and options["image"]
    assert 0 < options["timeout"] <= 600
    assert options["entrypoint"][:2] == ["grade", "prairielearn"]
    assignment_dir = options["entrypoint"][options["entrypoint"].index("--assignment") + 1]
    assert Path(assignment_dir).name == name
    assert (ROOT / "assignments" / name / "assignment.toml").is_file()
    dockerfile = DOCKERFILE.read_text()
    assert f"COPY assignments {Path(assignment_dir).parent}" in dockerfile
    assert f"useradd --no-create-home --shell /usr/sbin/nologin {STUDENT_USER}" in dockerfile
    assert "pip install --no-cache-dir /opt/grader-src" in dockerfile
    html = (question / "question.html").read_text()
    wanted = ", ".join(f.name for f in assignment_mod.load(name).files)
    assert f'file-names="{wanted}"' in html
    assert "<pl-external-grader-results>" in html


def test_the_second_assignment_grades_through_the_same_entry_point(tmp_path: Path) -> None:
    where = ["--assignment", str(ROOT / "assignments" / "http_server")]
    reference = ROOT / "assignments" / "http_server" / "reference"
    doc, _ = grade_in(tmp_path / "ref", reference, *where, names=("http_server.py",))
    assert doc["gradable"] is True and doc["score"] == 1.0
    single_recv = EXAMPLES_HTTP / "single_recv"
    doc, _ = grade_in(tmp_path / "bug", single_recv, *where, names=("http_server.py",))
    assert doc["gradable"] is True and doc["score"] == 0.92
    (failed,) = [t for t in doc["tests"] if t["points"] < t["max_points"]]
    assert "single recv()" in failed["output"] + failed["message"]
