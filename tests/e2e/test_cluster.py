"""Grading a roster on a real Dask LocalCluster (2 worker processes on loopback)."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, make_repo

from grader.batch import gradebook
from grader.cli import main
from grader.errors import ExitCode

distributed = pytest.importorskip("distributed")

ROSTER = {
    "ada": "passes_all_legacy",
    "ada-twin": "passes_all_legacy",  # byte-identical repository: must still be graded
    "bob": "client_stops_on_short_chunk",
    "cy": "server_no_reuseaddr",
    "dee": "missing_client",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cluster")
    lines = ["identifier,repo"]
    for ident, example in ROSTER.items():
        make_repo(root / ident, EXAMPLES / example)
        lines.append(f"{ident},{root / ident}")
    (root / "roster.csv").write_text("\n".join(lines) + "\n")
    return root / "roster.csv"


def graded_rows(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / gradebook.FILENAME) as db:
        return dict(
            db.execute(
                "SELECT identifier, count(*) FROM submissions WHERE reused = 0 GROUP BY identifier"
            ).fetchall()
        )


def test_cluster_run_equals_local_run(cluster: Any, roster: Path, tmp_path: Path) -> None:
    # with the self-check: here before the local run, on every worker before the remote one
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["--roster", str(roster), "--out", str(local)]) == ExitCode.OK
    argv = ["--roster", str(roster), "--out", str(remote), "--cluster", cluster.scheduler_address]
    assert main(argv) == ExitCode.OK
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()
    assert graded_rows(remote) == {ident: 1 for ident in ROSTER}
    # resume works across cluster runs: nothing is graded again
    assert main(argv) == ExitCode.OK
    assert graded_rows(remote) == {ident: 1 for ident in ROSTER}


def test_losing_a_worker_still_grades_everyone_once(
    cluster: Any, roster: Path, tmp_path: Path
) -> None:
    out = tmp_path / "grades"
    argv = ["--roster", str(roster), "--out", str(out), "--cluster", cluster.scheduler_address]
    argv.append("--no-selfcheck")  # a job must be running when the worker dies
    outcome: list[int] = []
    runner = threading.Thread(target=lambda: outcome.append(main(argv)))
    runner.start()
    with distributed.Client(cluster.scheduler_address) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                break
            time.sleep(0.05)
        assert busy, "no worker ever started a grading job"
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)  # the nanny restarts it; its job goes elsewhere
    runner.join(timeout=240)
    assert outcome == [ExitCode.OK]
    assert graded_rows(out) == {ident: 1 for ident in ROSTER}
    csv = (out / "grades.csv").read_text()
    assert "infra_error" not in csv


def test_worker_with_another_grader_version_is_refused(
    cluster: Any, roster: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def set_version(version: str) -> str:
        import grader

        old, grader.__version__ = grader.__version__, version
        return old

    with distributed.Client(cluster.scheduler_address) as client:
        real = next(iter(client.run(set_version, "9.9.9").values()))
        try:
            argv = [
                "--roster",
                str(roster),
                "--out",
                str(tmp_path),
                "--cluster",
                cluster.scheduler_address,
            ]
            assert main(argv) == ExitCode.INFRASTRUCTURE
        finally:
            client.run(set_version, real)
    err = capsys.readouterr().err
    assert "has grader 9.9.9 but the batch needs" in err
    assert not (tmp_path / gradebook.FILENAME).exists()
