"""--deadline grades the last commit at or before it (plus extensions); later ones are late."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import git
import pytest
from support import AUTHOR, EXAMPLES, ROOT

from grader.cli import main
from grader.errors import ExitCode, NotGradableError
from grader.fetch import fetch

DEADLINE = "2026-12-01T23:59:00-08:00"


def _commit(repo: git.Repo, message: str, when: str) -> None:
    who = {
        "GIT_AUTHOR_NAME": AUTHOR.name,
        "GIT_AUTHOR_EMAIL": AUTHOR.email,
        "GIT_COMMITTER_NAME": AUTHOR.name,
        "GIT_COMMITTER_EMAIL": AUTHOR.email,
    }
    with repo.git.custom_environment(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when, **who):
        repo.git.commit("-q", "-m", message)


def two_commit_repo(path: Path) -> Path:
    """On time: the short-chunk bug. After the deadline: the fix."""
    repo = git.Repo.init(path, initial_branch="main")
    for name in ("echo_server.py", "echo_client.py"):
        (path / name).write_text((EXAMPLES / "client_stops_on_short_chunk" / name).read_text())
    repo.git.add(A=True)
    _commit(repo, "homework", "2026-11-30T12:00:00-08:00")
    (path / "echo_client.py").write_text((ROOT / "reference" / "echo_client.py").read_text())
    repo.git.add(A=True)
    _commit(repo, "fix the 16-byte hang", "2026-12-03T09:00:00-08:00")
    return path


def test_fetch_takes_the_last_commit_before_the_deadline(tmp_path: Path) -> None:
    repo = two_commit_repo(tmp_path / "repo")
    first = git.Repo(repo).commit("HEAD~1").hexsha
    checkout = fetch(str(repo), dest=tmp_path / "co", deadline=datetime.fromisoformat(DEADLINE))
    assert checkout.commit == first
    assert len(checkout.late_commits) == 1 and "fix the 16-byte hang" in checkout.late_commits[0]
    assert "def client" in (tmp_path / "co" / "echo_client.py").read_text()
    with pytest.raises(NotGradableError, match="no commit on the default branch"):
        fetch(
            str(repo),
            dest=tmp_path / "co2",
            deadline=datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
        )


def test_batch_deadline_with_extension(tmp_path: Path) -> None:
    two_commit_repo(tmp_path / "repos" / "ada")
    two_commit_repo(tmp_path / "repos" / "bob")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"identifier,repo,extension_hours\nada,{tmp_path}/repos/ada,\nbob,{tmp_path}/repos/bob,72\n"
    )
    out = tmp_path / "grades"
    argv = ["--roster", str(roster), "--deadline", DEADLINE, "--out", str(out), "--no-selfcheck"]
    assert main(argv) == ExitCode.OK
    with (out / "grades.csv").open() as f:
        scores = {row["identifier"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores == {"ada": 81.0, "bob": 100.0}


def test_deadline_needs_a_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([".", "--deadline", "2026-12-01T23:59"]) == ExitCode.USAGE
    assert "has no time zone" in capsys.readouterr().err


def test_report_lists_late_commits_and_the_rule(tmp_path: Path) -> None:
    import json

    repo = two_commit_repo(tmp_path / "ada")
    out = tmp_path / "g"
    assert main([str(repo), "--deadline", DEADLINE, "--out", str(out), "--json"]) == ExitCode.OK
    data = json.loads((out / "ada" / "results.json").read_text())
    assert data["extra_data"]["deadline"] == DEADLINE
    assert len(data["extra_data"]["late_commits"]) == 1
    page = (out / "ada" / "report.html").read_text()
    assert "can be set by its author" in page and "fix the 16-byte hang" in page
