"""Gradescope end to end: build the zip with `grade gradescope`, unpack it into a folder
laid out like /autograder, run setup.sh and run_autograder with bash, and hold every
results.json to Gradescope's documented field list (an unknown key fails)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT, make_repo

from grader.cli import main
from grader.errors import ExitCode
from grader.platforms.gradescope import FIELDS, TEST_FIELDS, due_from
from grader.sandbox import probe
from grader.sandbox.policy import JOB_UID_BASE, JOB_UID_SPAN

FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
STUDENT = "nobody"  # a user every Debian has; setup.sh would create `student`
METADATA = {
    "id": 87184652,
    "created_at": "2021-09-16T18:25:53.109082-07:00",
    "assignment_id": None,
    "assignment": {
        "id": 1482034,
        "course_id": 267363,
        "title": "HW3 Sockets",
        "release_date": "2021-09-10T18:00:00.000000-07:00",
        "due_date": "2021-09-14T18:00:00.000000-07:00",
        "late_due_date": "2021-09-16T18:00:00.000000-07:00",
        "total_points": "100.0",
        "group_submission": False,
        "group_size": None,
        "outline": [],
    },
    "submission_method": "GitHub",
    "users": [
        {
            "id": 233634,
            "email": "student@example.edu",
            "name": "Student User",
            "sid": None,
            "assignment": {
                "release_date": "2021-09-10T18:00:00.000000-07:00",
                "due_date": "2021-09-17T18:00:00.000000-07:00",
                "late_due_date": None,
            },
        }
    ],
    "previous_submissions": [],
}


def validate(doc: Any) -> None:
    """Gradescope's results.json: documented keys only, each of its documented type."""
    assert isinstance(doc, dict)
    assert set(doc) <= FIELDS, set(doc) - FIELDS
    assert isinstance(doc["score"], int | float) and not isinstance(doc["score"], bool)
    assert isinstance(doc.get("execution_time", 0), int | float)
    assert isinstance(doc.get("output", ""), str)
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert doc.get(key, "text") in FORMATS, key
    for key in ("visibility", "stdout_visibility"):
        assert doc.get(key, "visible") in VISIBILITY, key
    assert isinstance(doc.get("extra_data", {}), dict)
    assert isinstance(doc["tests"], list)
    for test in doc["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and isinstance(test["number"], str)
        assert isinstance(test["score"], int | float) and isinstance(test["max_score"], int | float)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITY
        assert test["output_format"] in FORMATS and isinstance(test["output"], str)
        assert all(isinstance(t, str) for t in test["tags"])
    json.dumps(doc)  # serialisable as it stands


def _python_for_setup() -> str:
    """An interpreter (3.11+, with venv) that the student's user can run too, when there
    is one: the Debian one; else this one (student code then runs under bubblewrap)."""
    system = Path("/usr/bin/python3")
    probe = "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
    if system.exists() and subprocess.run([system, "-c", probe], check=False).returncode == 0:
        return str(system)
    return sys.executable


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The zip, built once, unpacked into <root>/source, and setup.sh run on it."""
    where = tmp_path_factory.mktemp("gradescope")
    zipped = where / "autograder.zip"
    assert main(["gradescope", "echo_sockets", "-o", str(zipped)]) == ExitCode.OK
    root = where / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zipped) as z:
        z.extractall(root / "source")
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in z.infolist()}
    for name, mode in modes.items():  # zipfile does not restore modes; Gradescope does
        os.chmod(root / "source" / name, mode)
    python = _python_for_setup()
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "GRADER_PYTHON": python,
        "GRADER_STUDENT_USER": STUDENT,
    }
    done = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"zip": zipped, "root": root, "modes": modes, "python": python, "setup": done.stdout}


def run_autograder(
    autograder: dict[str, Any], submission: Path | None, **env: str
) -> tuple[dict[str, Any], str]:
    """One submission through run_autograder, as Gradescope would: a fresh submission
    folder and metadata, results/ emptied; returns results.json and the stdout."""
    root: Path = autograder["root"]
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    if submission is not None:
        shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_STUDENT_USER": STUDENT, **env},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    validate(doc)
    return doc, done.stdout


def test_the_zip_has_both_scripts_at_its_root_executable(autograder: dict[str, Any]) -> None:
    modes = autograder["modes"]
    assert modes["setup.sh"] == 0o755 and modes["run_autograder"] == 0o755
    assert any(n.startswith("grader-") and n.endswith(".whl") for n in modes)
    assert "assignment/assignments/echo_sockets/assignment.toml" in modes
    assert "assignment/reference/echo_server.py" in modes  # assignment.toml's ../../reference
    assert not any("/" in n for n in ("setup.sh", "run_autograder") if n not in modes)
    assert (autograder["root"] / "grader-venv" / "bin" / "grade").exists()
    assert "grade 0.1.0" in autograder["setup"]


def test_a_correct_repository_in_a_subfolder_scores_full_marks(
    autograder: dict[str, Any], tmp_path: Path
) -> None:
    """Linked from GitHub (a .git inside, one folder down); the student code tries to
    overwrite results.json and read the metadata, and cannot."""
    repo = make_repo(tmp_path / "linked" / "echo_sockets", ROOT / "reference")
    root: Path = autograder["root"]
    spy = Path(tempfile.mkdtemp(prefix="gradescope-spy-"))  # where anyone may write
    spy.chmod(0o777)
    server = repo / "echo_server.py"
    server.write_text(
        "try:\n"
        f"    open({str(root / 'results' / 'pwned')!r}, 'w').write(\n"
        f"        open({str(root / 'submission_metadata.json')!r}).read())\n"
        "except OSError:\n"
        "    pass\n"
        "import os\n"
        "try:\n"
        f"    open({str(spy / 'uid')!r}, 'w').write(str(os.getuid()))\n"
        "except OSError:\n"  # Landlock lets it write in its own folders only
        "    pass\n" + server.read_text()
    )
    isolation = "user" if os.geteuid() == 0 and _reachable(autograder["python"]) else ""
    doc, stdout = run_autograder(autograder, tmp_path / "linked", GRADER_ISOLATION=isolation)
    assert not (root / "results" / "pwned").exists()
    assert doc["score"] >= 100  # 100 and the reference's extra credit
    assert doc["extra_data"]["max_score"] == 100
    assert doc["extra_data"]["commit"] and len(doc["extra_data"]["commit"]) == 40
    assert doc["extra_data"]["submission_method"] == "GitHub"
    passed = [t for t in doc["tests"] if t["max_score"] > 0]
    assert passed and all(t["status"] == "passed" for t in passed)
    extras = [t for t in doc["tests"] if "extra" in t["tags"]]
    assert extras and all(t["max_score"] == 0 for t in extras)  # above the maximum
    assert sum(t["score"] for t in doc["tests"]) == doc["score"]
    assert all(isinstance(t["output"], str) for t in doc["tests"])
    # the rubric's visibility, as Gradescope's words: hidden until the due date
    by_tag = {t["tags"][0]: t for t in doc["tests"]}
    assert by_tag["server_exactly_32_bytes"]["visibility"] == "after_due_date"
    assert by_tag["server_short_message"]["visibility"] == "visible"
    # the per-student due date (an extension) wins over the assignment's
    assert doc["extra_data"]["due_date"].startswith("2021-09-17T18:00")
    assert doc["extra_data"]["extension"] is True and doc["extra_data"]["late"] is False
    assert "Submitted on time (your due date" in doc["output"]
    if isolation:
        assert "isolation: a separate unprivileged uid per job" in stdout
        if (spy / "uid").exists():  # no Landlock on this kernel
            uid = int((spy / "uid").read_text())  # a uid of the job's own, not STUDENT's
            assert JOB_UID_BASE <= uid < JOB_UID_BASE + JOB_UID_SPAN
        else:
            assert probe().landlock
    else:
        assert "isolation: bubblewrap" in stdout
    assert "repository at commit" in stdout
    shutil.rmtree(spy)


@pytest.mark.parametrize("isolation", ["", "user"], ids=["bubblewrap", "separate-user"])
def test_a_submission_that_runs_the_answer_key_scores_what_the_template_scores(
    autograder: dict[str, Any], isolation: str
) -> None:
    """The grader installed from its wheel into setup.sh's venv: a submission that looks
    for its bundled reference (the interpreter's prefixes, site-packages, /proc, a walk
    of /) and runs it instead of its own files scores what the template scores, and what
    it prints about the checks shows no hidden check's input to the student."""
    if isolation and not (os.geteuid() == 0 and _reachable(autograder["python"])):
        pytest.skip("the separate user needs root and an interpreter it can run")
    root: Path = autograder["root"]
    assert stat.S_IMODE((root / "grader-venv").stat().st_mode) == 0o700
    template, _ = run_autograder(autograder, ROOT / "student_template", GRADER_ISOLATION=isolation)
    attack, stdout = run_autograder(
        autograder, EXAMPLES / "hostile_runs_reference", GRADER_ISOLATION=isolation
    )
    assert ("isolation: a separate" in stdout) == bool(isolation), stdout
    assert attack["score"] == template["score"]
    # what students see before the due date (a hidden check, Gradescope's after_due_date,
    # shows its own input once it has passed)
    shown = attack["output"] + "".join(
        t["output"] for t in attack["tests"] if t["visibility"] == "visible"
    )
    assert "INTEL" in shown and "thirty-two bytes: two chunks :-)" not in shown


def test_a_hanging_submission_fails_its_checks_with_md_feedback(
    autograder: dict[str, Any],
) -> None:
    doc, stdout = run_autograder(autograder, EXAMPLES / "deadlock")
    assert "isolation: " in stdout
    by_tag = {t["tags"][0]: t for t in doc["tests"]}
    hung = by_tag["client_short_message"]
    assert hung["status"] == "failed" and hung["score"] == 0
    assert hung["output_format"] == "md"
    assert "**Why:**" in hung["output"] and "**See it on your machine:**" in hung["output"]
    assert "```" in hung["output"]  # the transcript and the commands, fenced
    assert by_tag["server_short_message"]["status"] == "passed"
    assert 0 < doc["score"] < 100
    # hidden checks are cut to their rubric detail: no expected side in their output
    assert "expected:" not in by_tag["client_exactly_32_bytes"]["output"]


def test_a_missing_submission_is_a_zero_that_says_why(autograder: dict[str, Any]) -> None:
    doc, _ = run_autograder(autograder, None)
    assert doc["score"] == 0 and doc["tests"] == []
    assert "Not graded" in doc["output"] and "Files received: no files" in doc["output"]
    assert "found in your submission" in doc["output"]  # not a path of the grader's
    assert doc["extra_data"]["status"] == "not_gradable"


def test_a_broken_grader_still_leaves_a_results_json_that_blames_nobody(
    autograder: dict[str, Any], tmp_path: Path
) -> None:
    doc, stdout = run_autograder(
        autograder, ROOT / "reference", GRADER_VENV=str(tmp_path / "no-venv")
    )
    assert doc["score"] == 0 and doc["tests"] == []
    assert "not of your code" in doc["output"]
    assert doc["extra_data"]["status"] == "infra_error"
    assert "no valid results.json" in stdout


def test_due_dates_prefer_the_students_own_and_use_created_at() -> None:
    due, problems = due_from(METADATA)
    assert not problems
    assert due.extension and due.due is not None and due.due.day == 17
    assert due.late_due is None  # the student's own dates say no late due date
    plain = {**METADATA, "users": [{"id": 1, "email": "a@b", "name": "A"}]}
    due, _ = due_from(plain)
    assert not due.extension and due.due is not None and due.due.day == 14
    assert due.late is True and due.late_due is not None  # created_at is after the 14th
    inside = {**plain, "submission_method": None}
    inside["assignment"] = {**METADATA["assignment"], "submission_method": "upload"}
    assert due_from(inside)[0].method == "upload"  # an older doc revision puts it there
    assert due_from({"created_at": "yesterday"})[1] == ["created_at 'yesterday' is not an ISO date"]


def _reachable(python: str) -> bool:
    """Whether another user can run this interpreter (every folder above it searchable)."""
    path = Path(python).resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in path.parents)


def test_a_second_assignment_zips_and_grades_the_same_way(
    autograder: dict[str, Any], tmp_path: Path
) -> None:
    """`grade gradescope http_server`: its folder (reference, template and web root inside
    it) in the zip once, graded by run_autograder with the venv setup.sh already made."""
    wheel = next((autograder["root"] / "source").glob("grader-*.whl"))
    zipped = tmp_path / "http.zip"
    assert main(["gradescope", "http_server", "-o", str(zipped), "--wheel", str(wheel)]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zipped) as z:
        names = z.namelist()
        z.extractall(root / "source")
    assert len(names) == len(set(names))
    assert "assignment/assignment.toml" in names
    assert "assignment/template/webroot/images/logo.png" in names
    assert "GRADER_ASSIGNMENT_DIR=assignment\n" in (root / "source" / "grader.env").read_text()
    again = {"root": root}
    venv = str(autograder["root"] / "grader-venv")
    reference = ROOT / "assignments" / "http_server" / "reference"
    doc, _ = run_autograder(again, reference, GRADER_VENV=venv)
    assert doc["score"] == 100 and len(doc["tests"]) == 13
    single_recv = ROOT / "tests" / "examples_http" / "single_recv"
    doc, _ = run_autograder(again, single_recv, GRADER_VENV=venv)
    assert doc["score"] == 92
    (failed,) = [t for t in doc["tests"] if t["status"] == "failed"]
    assert "single recv()" in failed["output"]
