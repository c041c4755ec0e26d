"""The machine's faults are never the student's: an interpreter that cannot start in the
sandbox stops the run with exit code 4 and one sentence, for a single run, a batch and a
cluster worker; and an interpreter wherever it lives (a venv under /tmp, which the
sandbox covers with a tmpfs) is visible in the sandbox and grades the reference at 100%."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from support import ROOT, make_repo

from grader.batch.cluster import worker_selfcheck, worker_task
from grader.batch.jobs import Task, relevant_settings
from grader.errors import ExitCode
from grader.model import Assignment, GradeResult, Outcome, Status
from grader.pipeline import grade
from grader.sandbox import probe
from grader.settings import Settings

pytestmark = pytest.mark.skipif(not probe().sandbox, reason="this machine cannot sandbox")
CANNOT = "error while loading shared libraries: libpython3.11.so.1.0: cannot open shared object"


@pytest.fixture
def broken_python(tmp_path: Path) -> str:
    """An interpreter that runs for the grader's own looks at it (its prefixes, the
    static check) but not as student code, as one that needs a library the sandbox
    does not show would."""
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ -n "$GRADER_JOB" ]; then echo "python3: {CANNOT}" >&2; exit 127; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_single_run_stops_with_exit_4_and_the_sentence(
    broken_python: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from grader.cli import main

    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    out = tmp_path / "grades"
    code = main([str(repo), "--python", broken_python, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == ExitCode.INFRASTRUCTURE
    said = one_sentence(captured.err)
    assert f"the student interpreter {broken_python} does not start in the sandbox" in said
    assert CANNOT in said and "--check-sandbox" in said and "--python" in said
    assert "points" not in captured.out  # no score line
    data = json.loads((out / "ada" / "results.json").read_text())
    assert data["extra_data"]["status"] == "infra_error" and data["tests"] == []


def test_the_pipeline_gives_no_verdict(broken_python: str, tmp_path: Path) -> None:
    from grader import assignment

    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    result = grade(str(repo), assignment=assignment.load(), settings=Settings(python=broken_python))
    assert result.status is Status.INFRA_ERROR
    assert result.score is None and result.run is None
    assert "does not start in the sandbox" in result.problem


def test_a_batch_stops_before_anyone_is_graded(
    broken_python: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from grader.cli import main

    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"identifier,repo\nada,{repo}\n")
    out = tmp_path / "grades"
    code = main(["--roster", str(roster), "--python", broken_python, "--out", str(out)])
    assert code == ExitCode.INFRASTRUCTURE
    assert "does not start in the sandbox" in one_sentence(capsys.readouterr().err)
    assert not out.exists()


def test_a_cluster_worker_refuses_and_its_jobs_are_not_scored(
    broken_python: str, tmp_path: Path, echo_assignment: Assignment
) -> None:
    settings = Settings(python=broken_python, reveal=True)
    said = worker_selfcheck(echo_assignment.name, root=str(echo_assignment.root), settings=settings)
    assert said is not None and "does not start in the sandbox" in said
    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    task = Task(str(repo), "ada", None, frozenset(), relevant_settings(settings))
    result = worker_task(task, assignment=echo_assignment, settings=settings)
    assert isinstance(result, GradeResult)
    assert result.status is Status.INFRA_ERROR and result.score is None


def test_an_interpreter_in_a_venv_under_tmp_grades_the_reference_at_100(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    # tmp_path is under /tmp, which the sandbox covers with a fresh tmpfs: the venv and
    # the interpreter it points to must be bound after it.
    env = tmp_path / "venv"
    venv.create(env, with_pip=False, symlinks=True)
    python = str(env / "bin" / "python")
    said = subprocess.run(
        [python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True
    )
    assert said.stdout.strip() == str(env)
    repo = make_repo(tmp_path / "ref", ROOT / "reference")
    result = grade(
        str(repo), assignment=echo_assignment, settings=Settings(python=python, reveal=True)
    )
    assert result.status is Status.GRADED, result.problem
    assert result.run is not None and result.run.sandboxed
    assert result.score is not None and result.score.percent == 100, [
        (c.check_id, c.message) for c in result.run.checks if c.outcome is not Outcome.PASSED
    ]


def test_an_interpreter_symlinked_from_tmp_is_visible_too(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    # ~/bin/python3 -> the real one, say: neither a prefix nor under /usr.
    link = tmp_path / "bin" / "python3"
    link.parent.mkdir()
    link.symlink_to(Path(sys.executable).resolve())
    repo = make_repo(tmp_path / "ref", ROOT / "reference")
    result = grade(
        str(repo), assignment=echo_assignment, settings=Settings(python=str(link), reveal=True)
    )
    assert result.status is Status.GRADED, result.problem
    assert result.score is not None and result.score.percent == 100
