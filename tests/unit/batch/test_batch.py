"""batch (grade_roster) with the fake runner: results recorded as they finish, in roster
order; a crashing job costs only its student; a second run reuses what is graded under
the same key; an incomplete result is graded once more at once and never reused; Ctrl-C
keeps what was finished and records the rest as not graded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import git
import pytest
from fakes import FakeRunner, Row, submission, tiny_assignment
from support import AUTHOR, make_repo

from grader.batch import REGRADED, BatchSummary, Progress, grade_roster
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
    "faults-once": Row({"long": Outcome.FAILED}, first={"short": Outcome.ERROR}),
    "faults": Row({"short": Outcome.ERROR}),
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
    assert len(runner.jobs) == 2  # only cy's, twice: a broken run is graded once more at once
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


def test_results_wait_for_the_gate_while_the_jobs_already_run(
    runner: FakeRunner, roster: Callable[..., tuple[Student, ...]], tmp_path: Path
) -> None:
    """The self-check runs beside the first students: their grading starts at once, but
    nothing is recorded before it has passed."""
    students = roster(ada="passes", bob="fails-long", cy=None)
    out = tmp_path / "out"
    seen: list[tuple[int, bool]] = []

    def gate() -> None:
        deadline = time.monotonic() + 10
        while len(runner.jobs) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)  # both students' grading started meanwhile
        seen.append((len(list(out.glob("*/results.json"))), (out / "index.html").exists()))

    summary = run(students, runner, out, gate=gate)
    assert seen == [(0, False)]
    assert statuses(summary) == {
        "ada": (Status.GRADED, False),
        "bob": (Status.GRADED, False),
        "cy": (Status.NO_SUBMISSION, False),
    }


def test_a_gate_that_refuses_records_nothing_and_says_why(
    runner: FakeRunner, roster: Callable[..., tuple[Student, ...]], tmp_path: Path
) -> None:
    from grader.errors import InfrastructureError

    students = roster(ada="passes", cy=None)
    out = tmp_path / "out"

    def gate() -> None:
        raise InfrastructureError("the reference fails on this machine.")

    with pytest.raises(InfrastructureError, match="reference fails"):
        run(students, runner, out, gate=gate)
    assert not list(out.glob("*/results.json")) and not (out / "index.html").exists()
    assert not (out / FILENAME).exists()
    run(students, runner, out)  # a run that completes, then one refused again
    with pytest.raises(InfrastructureError, match="reference fails"):
        run(students, runner, out, gate=gate)
    assert runs_of(out) == [("complete",)]


def test_an_incomplete_result_is_graded_once_more_and_only_the_second_is_kept(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(ada="faults-once", bob="passes")
    out = tmp_path / "out"
    summary = run(students, runner, out)
    assert sorted(runner.markers()) == ["faults-once", "faults-once", "passes"]
    ada = summary.results[0]
    assert ada.status is Status.GRADED and not ada.incomplete
    assert ada.score is not None and (ada.score.points, ada.score.max_points) == (15, 20)
    assert REGRADED in ada.notes and REGRADED not in summary.results[1].notes
    assert [(r["identifier"], r["score"]) for r in latest(out / FILENAME)] == [
        ("ada", 15.0),
        ("bob", 20.0),
    ]
    runner.forget()
    again = run(students, runner, out)
    assert statuses(again)["ada"] == (Status.GRADED, True)  # complete: reused as usual
    assert runner.markers() == []


def test_a_result_still_incomplete_is_recorded_marked_and_never_reused(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    students = roster(ada="faults", bob="passes")
    out = tmp_path / "out"
    summary = run(students, runner, out)
    assert sorted(runner.markers()) == ["faults", "faults", "passes"]
    ada = summary.results[0]
    assert ada.incomplete and ada.fault_count == 1 and REGRADED in ada.notes
    assert ada.score is not None and (ada.score.points, ada.score.max_points) == (15, 20)
    grades = (out / "grades.csv").read_text().splitlines()
    assert grades[1].startswith("ada,Ada,incomplete,20,incomplete,3,incomplete,"), grades[1]
    assert ',"the grader could not run 1 check (its own fault' in grades[1]
    assert grades[2].startswith("bob,Bob,20,20,100.0,3,graded,"), grades[2]
    page = (out / "index.html").read_text()
    assert "incomplete (the grader failed)</dt><dd>1</dd>" in page
    runner.forget()
    again = run(students, runner, out)
    assert statuses(again) == {"ada": (Status.GRADED, False), "bob": (Status.GRADED, True)}
    assert runner.markers() == ["faults", "faults"]  # never reused, graded (twice) again


def test_an_incomplete_result_in_an_older_gradebook_is_not_reused(
    tmp_path: Path, runner: FakeRunner, roster: Callable[..., tuple[Student, ...]]
) -> None:
    """A gradebook written before incomplete results were kept apart: its row of a faulty
    result carries a cache key, and still is never reused."""
    students = roster(ada="faults")
    out = tmp_path / "out"
    run(students, runner, out)
    book = Gradebook(out)
    try:
        keyed = "SELECT count(*) FROM submissions WHERE cache_key IS NOT NULL"
        assert book._db.execute(keyed).fetchone() == (1,)
        assert book.known_keys() == {}
    finally:
        book.close()
