"""pipeline.py with the fake runner: real git repositories holding one-line files go
through fetch, locate, static and stage; the fake stands where the sandbox would. Every
way grading can end gives a GradeResult with its status and one sentence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import git
import pytest
from fakes import FakeRunner, Row, submission, tiny_assignment
from support import AUTHOR, make_repo

from grader.errors import InfrastructureError, NotGradableError
from grader.model import (
    CheckoutKind,
    FlagKind,
    GradeResult,
    Outcome,
    Status,
)
from grader.pipeline import Grading, grade, student_name
from grader.settings import Settings

TINY = tiny_assignment()
TABLE = {
    "passes": Row(),
    "fails-long": Row({"long": Outcome.FAILED, "secret": Outcome.FAILED}),
    "grader-fault": Row({"short": Outcome.ERROR}),
    "broken-machine": Row(raises=InfrastructureError("the sandbox is gone; reinstall it.")),
    "not-gradable": Row(raises=NotGradableError("the client is Python 2; port it.")),
    "bug": Row(raises=RuntimeError("a bug in the grader")),
    "warned": Row(warnings=("NOT SANDBOXED",)),
}

Grade = Callable[..., GradeResult]


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner(TABLE)


@pytest.fixture
def graded(tmp_path: Path, runner: FakeRunner) -> Grade:
    """Grade a one-line submission whose marker picks the fake's row."""

    def run(verdict: str, *, reveal: bool = False, **options: object) -> GradeResult:
        repo = make_repo(tmp_path / verdict, submission(verdict))
        return grade(
            str(repo),
            assignment=TINY,
            settings=Settings(reveal=reveal),
            runner=runner,
            **options,  # type: ignore[arg-type]
        )

    return run


def outcomes(result: GradeResult) -> dict[str, Outcome]:
    assert result.run is not None
    return {c.check_id: c.outcome for c in result.run.checks}


def test_a_passing_submission_is_graded_with_the_runners_results(graded: Grade) -> None:
    result = graded("passes")
    assert (result.status, result.problem, result.student) == (Status.GRADED, "", "passes")
    assert result.score is not None
    assert (result.score.points, result.score.max_points, result.score.hidden_count) == (16, 16, 1)
    assert result.checkout is not None and result.checkout.kind is CheckoutKind.GIT_CLONE
    assert result.checkout.commit and not result.checkout.dirty
    assert result.located is not None and {f.role for f in result.located.files} == {
        "server",
        "client",
    }
    assert [s.path for s in result.sources] == [
        PurePosixPath("echo_server.py"),
        PurePosixPath("echo_client.py"),
    ]
    assert (result.assignment, result.assignment_digest) == ("tiny", "tiny-digest")
    assert result.started_at is not None and result.duration_s >= 0


@pytest.mark.parametrize(("reveal", "points", "max_points"), [(False, 11, 16), (True, 11, 20)])
def test_the_score_follows_the_runs_results_and_reveal(
    graded: Grade, reveal: bool, points: float, max_points: float
) -> None:
    result = graded("fails-long", reveal=reveal)
    assert outcomes(result)["long"] is Outcome.FAILED
    assert result.score is not None
    assert (result.score.points, result.score.max_points) == (points, max_points)


def test_a_grader_fault_earns_nothing_and_makes_the_result_incomplete(graded: Grade) -> None:
    result = graded("grader-fault")
    assert result.status is Status.GRADED and result.score is not None
    assert (result.score.points, result.score.max_points, result.score.fault_count) == (11, 16, 1)
    assert result.incomplete and result.fault_count == 1


def test_the_runs_warnings_reach_the_result(graded: Grade) -> None:
    assert graded("warned").warnings == ("NOT SANDBOXED",)


@pytest.mark.parametrize(
    ("verdict", "status", "problem"),
    [
        ("broken-machine", Status.INFRA_ERROR, "the sandbox is gone; reinstall it."),
        ("not-gradable", Status.NOT_GRADABLE, "the client is Python 2; port it."),
    ],
)
def test_our_own_errors_become_a_status_and_one_sentence(
    graded: Grade, verdict: str, status: Status, problem: str
) -> None:
    result = graded(verdict)
    assert (result.status, result.problem, result.run, result.score) == (
        status,
        problem,
        None,
        None,
    )
    assert result.checkout is not None and result.located is not None  # what was known


def test_anything_else_is_a_bug_and_propagates(graded: Grade) -> None:
    with pytest.raises(RuntimeError, match="a bug in the grader"):
        graded("bug")


def test_the_runner_sees_only_the_graded_files_staged(tmp_path: Path, runner: FakeRunner) -> None:
    files = {
        **submission("passes"),
        "conftest.py": "raise SystemExit\n",
        "results.json": "{}",
        "notes/readme.txt": "hi",
    }
    result = grade(str(make_repo(tmp_path / "ada", files)), assignment=TINY, runner=runner)
    (job,) = runner.jobs
    assert sorted(f.name for f in job.files) == ["echo_client.py", "echo_server.py"]
    assert job.assignment is TINY and job.inspection.problems == ()
    assert not job.staged.exists()  # the scratch folder is gone once grading ends
    assert [f.kind for f in result.flags] == [FlagKind.HIJACK_FILE, FlagKind.RESULT_FILE]


def test_a_file_that_does_not_compile_is_a_problem_and_the_checks_still_run(
    tmp_path: Path, runner: FakeRunner
) -> None:
    files = {**submission("passes"), "echo_client.py": "def client(:\n"}
    result = grade(str(make_repo(tmp_path / "ada", files)), assignment=TINY, runner=runner)
    (problem,) = result.file_problems
    assert (problem.role, problem.path, problem.line) == (
        "client",
        PurePosixPath("echo_client.py"),
        1,
    )
    assert runner.jobs[0].inspection.problems == result.file_problems
    assert result.status is Status.GRADED


def test_nothing_to_grade_never_reaches_the_runner(tmp_path: Path, runner: FakeRunner) -> None:
    repo = make_repo(tmp_path / "ada", {"README.md": "# verdict: passes\n"})
    result = grade(str(repo), assignment=TINY, runner=runner)
    assert result.status is Status.NOT_GRADABLE and runner.jobs == []
    assert result.problem == (
        f"no echo_server.py or echo_client.py found in {repo}; put your files at the root of "
        "the repository (and commit and push them)."
    )


def test_a_source_that_does_not_exist_is_a_fetch_failure(
    tmp_path: Path, runner: FakeRunner
) -> None:
    result = grade(str(tmp_path / "nope"), assignment=TINY, runner=runner)
    assert result.status is Status.FETCH_FAILED and runner.jobs == []
    assert result.problem.startswith(f"'{tmp_path / 'nope'}' is neither an existing folder")


def test_uncommitted_work_is_graded_and_marked_dirty(tmp_path: Path, runner: FakeRunner) -> None:
    repo = make_repo(tmp_path / "ada", submission("fails-long"))
    (repo / "echo_server.py").write_text("# verdict: passes\n")
    result = grade(str(repo), assignment=TINY, runner=runner)
    assert result.checkout is not None and result.checkout.dirty
    assert runner.markers() == ["passes"]


def old_repo(folder: Path, verdict: str, when: datetime) -> Path:
    """A repository whose one commit is dated `when`."""
    repo = git.Repo(make_repo(folder))
    for name, text in submission(verdict).items():
        (folder / name).write_text(text)
    repo.git.add(A=True)
    stamp = when.replace(microsecond=0).isoformat()
    who = {"GIT_AUTHOR_NAME": AUTHOR.name, "GIT_AUTHOR_EMAIL": AUTHOR.email}
    who |= {"GIT_COMMITTER_NAME": AUTHOR.name, "GIT_COMMITTER_EMAIL": AUTHOR.email}
    with repo.git.custom_environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp, **who):
        repo.git.commit("-q", "-m", "hw")
    return folder


def test_after_the_deadline_hidden_checks_count(tmp_path: Path, runner: FakeRunner) -> None:
    now = datetime.now(UTC)
    repo = old_repo(tmp_path / "ada", "passes", now - timedelta(days=2))
    for deadline, hidden, max_points in [
        (now - timedelta(days=1), 0, 20),
        (now + timedelta(days=1), 1, 16),
    ]:
        result = grade(str(repo), assignment=TINY, runner=runner, deadline=deadline)
        assert result.score is not None and result.checkout is not None
        assert (result.score.hidden_count, result.score.max_points) == (hidden, max_points)
        assert result.checkout.path is None  # a scratch clone leaves no path behind


def test_no_commit_before_the_deadline_is_not_gradable(tmp_path: Path, runner: FakeRunner) -> None:
    now = datetime.now(UTC)
    repo = old_repo(tmp_path / "ada", "passes", now - timedelta(days=2))
    result = grade(str(repo), assignment=TINY, runner=runner, deadline=now - timedelta(days=3))
    assert result.status is Status.NOT_GRADABLE and runner.jobs == []
    assert "no commit on the default branch" in result.problem


def test_grading_in_two_steps_lets_a_batch_look_between(tmp_path: Path, runner: FakeRunner) -> None:
    repo = make_repo(tmp_path / "ada", submission("passes"))
    with Grading(str(repo), assignment=TINY, runner=runner, student="ada") as grading:
        fetched = grading.fetch()
        assert not isinstance(fetched, GradeResult) and fetched.commit
        assert runner.jobs == []
        result = grading.grade(fetched)
        scratch = grading.scratch
    assert (result.student, result.status) == ("ada", Status.GRADED)
    assert not scratch.exists()
    with Grading(str(tmp_path / "gone"), assignment=TINY, runner=runner) as grading:
        failed = grading.fetch()
    assert isinstance(failed, GradeResult) and failed.status is Status.FETCH_FAILED


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("https://github.com/ada/echo_sockets.git", "ada"),
        ("git@github.com:bob/echo.git", "bob"),
        ("/home/cy/my echo", "my_echo"),
        ("/tmp/..hidden", "hidden"),
        ("/tmp/ünï", "n"),
        ("/tmp/ü", "submission"),
    ],
)
def test_a_submission_is_named_after_its_owner_or_folder(source: str, name: str) -> None:
    assert student_name(source) == name
