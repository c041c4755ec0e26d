"""batch (grade_roster) with the fake runner: results recorded as they finish, in roster
order; a crashing job costs only its student; a second run reuses what is graded under
the same key; Ctrl-C keeps what was finished and records the rest as not graded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import git
import pytest
from fakes import FakeRunner, Row, submission, tiny_assignment
from support import AUTHOR, make_repo

from grader.batch import BatchSummary, Progress, grade_roster
from grader.batch.gradebook import FILENAME, Gradebook, latest
from grader.batch.jobs import Reused, Task, key_of, run_task
from grader.model import GradeResult, Outcome, Status, Student
from grader.settings import Settings

TINY = tiny_assignment()


class KilledWorker(Exception):
    """Named like distributed's, which the batch recognizes without importing Dask."""


TABLE = {
    "passes": Row(),
    "fails-long": Row({"long": Outcome.FAILED}),
    "crashes": Row(raises=RuntimeError("boom")),
    "worker-dies": Row(raises=KilledWorker("tcp://w1")),
    "ctrl-c": Row(raises=KeyboardInterrupt()),
}


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner(TABLE)


@pytest.fixture
def roster(tmp_path: Path) -> Callable[..., tuple[Student, ...]]:
    """Students whose repositories hold a one-line submission each (None: no repo)."""

    def build(**verdicts: str | None) -> tuple[Student, ...]:
        students = []
        for ident, verdict in verdicts.items():
            repo = None
            if verdict is not None:
                repo = str(make_repo(tmp_path / "repos" / ident, submission(verdict)))
            students.append(Student(ident, repo, name=ident.title()))
        return tuple(students)

    return build


def run(
    students: tuple[Student, ...],
    runner: FakeRunner,
    out: Path,
    **options: object,
) -> BatchSummary:
    settings = options.pop("settings", Settings(reveal=True))
    return grade_roster(
        students,
        assignment=TINY,
        settings=settings,  # type: ignore[arg-type]
        out_dir=out,
        job=lambda task, **kw: run_task(task, runner=runner, **kw),
        **options,  # type: ignore[arg-type]
    )


def statuses(summary: BatchSummary) -> dict[str, tuple[Status, bool]]:
    return {r.student: (r.status, r.reused) for r in summary.results}


def runs_of(out: Path) -> list[tuple[str | None]]:
    book = Gradebook(out)
    try:
        return book._db.execute("SELECT outcome FROM runs ORDER BY id").fetchall()
    finally:
        book.close()


def test_a_batch_grades_everyone_in_roster_order_and_writes_the_outputs(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(zed="passes", ada="fails-long", bob=None)
    out = tmp_path / "out"
    summary = run(students, runner, out, jobs=3)
    assert [r.student for r in summary.results] == ["zed", "ada", "bob"]
    assert statuses(summary) == {
        "zed": (Status.GRADED, False),
        "ada": (Status.GRADED, False),
        "bob": (Status.NO_SUBMISSION, False),
    }
    assert (summary.total, summary.graded, summary.reused, summary.failures) == (3, 2, 0, 1)
    assert not summary.interrupted
    assert sorted(runner.markers()) == ["fails-long", "passes"]
    for ident in ("zed", "ada", "bob"):
        for name in ("results.json", "report.html", "junit.xml"):
            assert (out / ident / name).is_file(), (ident, name)
    assert json.loads((out / "ada" / "results.json").read_text())["score"] == 15
    assert (out / "index.html").is_file()
    assert [line.split(",")[0] for line in (out / "grades.csv").read_text().splitlines()] == [
        "identifier",
        "zed",
        "ada",
        "bob",
    ]
    assert [(r["identifier"], r["status"], r["score"]) for r in latest(out / FILENAME)] == [
        ("ada", "graded", 15.0),
        ("bob", "no_submission", None),
        ("zed", "graded", 20.0),
    ]
    assert runs_of(out) == [("complete",)]


def test_the_counts_partition_the_roster(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    """A failed fetch or an ungradable repository is "not graded", never also "graded"."""
    students = roster(ada="passes", bob="crashes", cy=None)
    empty = make_repo(tmp_path / "repos" / "dee", {"README.md": "nothing here\n"})
    students += (
        Student("dee", str(empty)),  # not gradable: no files
        Student("eve", str(tmp_path / "no-such-repo")),  # fetch fails
    )
    summary = run(students, runner, tmp_path / "out")
    assert (summary.graded, summary.reused, summary.failures) == (1, 0, 4)
    again = run(students, runner, tmp_path / "out")
    assert (again.graded, again.reused, again.failures) == (0, 1, 4)


def test_a_crashing_job_costs_only_its_student(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(bob="crashes", ada="passes", cy="worker-dies")
    summary = run(students, runner, tmp_path / "out", jobs=2)
    by_id = {r.student: r for r in summary.results}
    assert [by_id[s].status for s in ("bob", "ada", "cy")] == [
        Status.INFRA_ERROR,
        Status.GRADED,
        Status.INFRA_ERROR,
    ]
    assert by_id["bob"].problem == (
        "the grader crashed on this submission (RuntimeError: boom); this is a bug, please "
        "report it."
    )
    assert by_id["cy"].problem.startswith("the cluster lost the worker grading this submission")
    assert summary.failures == 2 and not summary.interrupted


def test_a_second_run_reuses_what_is_graded_under_the_same_key(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(ada="fails-long", cy="crashes", dan=None)
    out = tmp_path / "out"
    first = run(students, runner, out)
    runner.forget()
    second = run(students, runner, out)
    assert statuses(second) == {
        "ada": (Status.GRADED, True),
        "cy": (Status.INFRA_ERROR, False),  # a broken run is tried again, never reused
        "dan": (Status.NO_SUBMISSION, False),
    }
    assert len(runner.jobs) == 1  # only cy's
    assert (second.reused, second.graded, second.failures) == (1, 0, 2)  # one each
    before, after = first.results[0], second.results[0]
    assert after.score == before.score and after.checkout == before.checkout
    assert after.score is not None and after.score.points == 15
    assert [r["reused"] for r in latest(out / FILENAME)] == [1, 0, 0]


def test_a_new_commit_or_other_settings_are_graded_again(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(ada="passes", bob="passes")
    out = tmp_path / "out"
    run(students, runner, out)
    bob = git.Repo(students[1].repo)
    (Path(bob.working_dir) / "echo_server.py").write_text("# verdict: fails-long\n")
    bob.git.add(A=True)
    bob.index.commit("fix", author=AUTHOR, committer=AUTHOR)
    runner.forget()
    assert statuses(run(students, runner, out)) == {
        "ada": (Status.GRADED, True),
        "bob": (Status.GRADED, False),
    }
    assert runner.markers() == ["fails-long"]
    ada = students[:1]
    runner.forget()
    other = run(ada, runner, out, settings=Settings(reveal=True, check_timeout_s=9.0))
    assert other.reused == 0 and len(runner.jobs) == 1
    runner.forget()
    assert run(ada, runner, out, regrade=True).reused == 0 and len(runner.jobs) == 1


def test_ctrl_c_keeps_what_finished_and_records_the_run_as_interrupted(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    """Ctrl-C arrives in the main thread wherever it is: here, right after the first
    result was recorded (the progress callback runs there)."""
    students = roster(ada="passes", bob="passes", cy="passes")
    out = tmp_path / "out"

    def interrupt(event: Progress) -> None:
        raise KeyboardInterrupt

    summary = run(students, runner, out, jobs=1, progress=interrupt)
    assert summary.interrupted and len(summary.results) == 1
    kept = summary.results[0]
    assert (kept.status, summary.graded) == (Status.GRADED, 1)
    assert [r["identifier"] for r in latest(out / FILENAME)] == [kept.student]
    assert runs_of(out) == [("interrupted",)]
    assert not (out / "index.html").exists() and not (out / "grades.csv").exists()
    resumed = run(students, runner, out)  # the next run finishes the job
    assert statuses(resumed)[kept.student] == (Status.GRADED, True)
    assert resumed.graded == 2 and not resumed.interrupted


def test_a_job_that_sees_ctrl_c_interrupts_the_batch(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    summary = run(roster(ada="ctrl-c"), runner, tmp_path / "out")
    assert summary.interrupted and summary.results == ()
    assert runs_of(tmp_path / "out") == [("interrupted",)]


def test_progress_counts_every_student_once(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    events: list[Progress] = []
    run(
        roster(ada="passes", bob=None, cy="crashes"),
        runner,
        tmp_path / "out",
        progress=events.append,
    )
    assert [e.done for e in events] == [1, 2, 3]
    assert {e.total for e in events} == {3}
    assert events[-1].failures == 2
    assert sorted(e.result.student for e in events if e.result) == ["ada", "bob", "cy"]


def test_a_task_fetches_then_reuses_a_known_key(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    (ada,) = roster(ada="passes")
    assert ada.repo is not None
    settings = Settings()
    first = run_task(
        Task(ada.repo, "ada", None, frozenset(), "s"),
        assignment=TINY,
        settings=settings,
        runner=runner,
    )
    assert isinstance(first, GradeResult) and first.status is Status.GRADED
    key = key_of(first, assignment=TINY, settings_key="s")
    assert key is not None
    again = run_task(
        Task(ada.repo, "ada", None, frozenset({key}), "s"),
        assignment=TINY,
        settings=settings,
        runner=runner,
    )
    assert again == Reused(key) and len(runner.jobs) == 1
