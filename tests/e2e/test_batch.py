"""Batch grading of a roster through the real pipeline: scores, exports, resume, errors."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import EXAMPLES, EXAMPLES_HTTP, make_repo

from grader.batch import gradebook
from grader.cli import main
from grader.errors import ExitCode

ROSTER = {
    # identifier: (example, expected points); None = not accepted yet
    "ada": ("passes_all_legacy", 100),
    "bob": ("client_stops_on_short_chunk", 81),
    "cy": ("server_never_listens", 40),
    "dee": ("missing_client", 50),
    "eve": ("deadlock", 50),
    "fay": ("python2", 0),
    "gus": ("server_no_reuseaddr", 95),
    "hal": ("legacy_port_12000", 100),
    "ivy": ("client_returns_what_it_sent", 94),
    "jo": ("server_serves_one_client", 92),
    "kim": ("passes_all_port_arg", 100),
    "lou": ("no_python_files", 0),
    "max": None,
}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GitHub Classroom roster export (BOM, CRLF, quotes, a blank line) and its repos."""
    root = tmp_path_factory.mktemp("classroom")
    lines = ["identifier,github_username,github_id,name"]
    for i, (ident, spec) in enumerate(ROSTER.items()):
        if spec is None:
            lines.append(f'{ident},,,"Not, Accepted"')
            continue
        make_repo(root / "repos" / f"gh-{ident}" / "echo_sockets", EXAMPLES / spec[0])
        lines.append(f'{ident},gh-{ident},{1000 + i},"Student {ident.title()}"')
        if i == 3:
            lines.append("")
    (root / "roster.csv").write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return root


def batch_argv(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--roster",
        str(root / "roster.csv"),
        "--repo-template",
        f"file://{root}/repos/{{github_username}}/echo_sockets",
        "--out",
        str(out),
        "--no-selfcheck",  # the self-check has its own tests (test_selfcheck.py)
        *extra,
    ]


def graded_counts(out: Path) -> dict[str, int]:
    """How many times each student was really graded (not reused) across all runs."""
    with sqlite3.connect(out / gradebook.FILENAME) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'submissions'").fetchone():
            return {}  # the batch has created the file but not its tables yet
        rows = db.execute(
            "SELECT identifier, count(*) FROM submissions WHERE reused = 0 AND "
            "status != 'no_submission' GROUP BY identifier"
        ).fetchall()
    return dict(rows)


def final_view(out: Path) -> list[tuple[object, ...]]:
    return [
        (r["identifier"], r["commit_sha"], r["status"], r["score"])
        for r in gradebook.latest(out / gradebook.FILENAME)
    ]


@pytest.fixture(scope="module")
def clean_view(
    classroom: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[object, ...]]:
    """The class graded once, from scratch, uninterrupted: what a resumed batch must equal."""
    out = tmp_path_factory.mktemp("clean") / "grades"
    assert main(batch_argv(classroom, out)) == ExitCode.OK
    return final_view(out)


def test_roster_grades_everyone_with_exports(classroom: Path, tmp_path: Path) -> None:
    out = tmp_path / "grades"
    assert main(batch_argv(classroom, out)) == ExitCode.OK
    with (out / "grades.csv").open(newline="") as f:
        grades = {row["identifier"]: row for row in csv.DictReader(f)}
    assert list(grades) == list(ROSTER)
    for ident, spec in ROSTER.items():
        if spec is None:
            assert grades[ident]["status"] == "no_submission"
            continue
        assert float(grades[ident]["score"]) == spec[1], ident
        assert (out / ident / "report.html").exists()
        assert (out / ident / "junit.xml").read_text().startswith("<?xml")
    assert grades["lou"]["status"] == "not_gradable"
    page = (out / "index.html").read_text()
    for ident in ROSTER:
        assert f">{ident}<" in page
    assert "Client returns a reply of exactly 16 bytes" in page
    assert graded_counts(out) == {i: 1 for i, s in ROSTER.items() if s is not None}

    # Rerun with nothing changed: everything is reused, nothing graded again.
    first = final_view(out)
    assert main(batch_argv(classroom, out)) == ExitCode.OK
    assert final_view(out) == first
    assert graded_counts(out) == {i: 1 for i, s in ROSTER.items() if s is not None}

    # --regrade grades again.
    assert main(batch_argv(classroom, out, "--regrade", "--jobs", "4")) == ExitCode.OK
    assert set(graded_counts(out).values()) == {2}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_batch_resumes_without_regrading(
    classroom: Path, clean_view: list[tuple[object, ...]], tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "grades"
    argv = [sys.executable, "-m", "grader", *batch_argv(classroom, out, "--jobs", "2")]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # Ctrl-C as at a terminal, even when this suite runs in the background (where the
        # shell starts it with SIGINT ignored, and Python then keeps ignoring it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    book = out / gradebook.FILENAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if book.exists() and sum(graded_counts(out).values()) >= 3:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    partial = graded_counts(out)
    assert 3 <= sum(partial.values()) < len(ROSTER) - 1
    assert main(batch_argv(classroom, out)) == ExitCode.OK
    assert graded_counts(out) == {i: 1 for i, s in ROSTER.items() if s is not None}
    assert final_view(out) == clean_view
    ours = {out / ".gitignore"}  # keeps the results out of git: not a half-written file
    leftovers = [
        p for p in out.rglob(".*") if p.is_file() and "gradebook" not in p.name and p not in ours
    ]
    assert leftovers == [], "half-written files were left behind"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "the roster is empty"),
        ("\ufeffname,repo\nAda,x\n", "line 1: no 'identifier' column"),
        ("identifier,repo\nada,x\n\nada,y\n", "line 4: identifier 'ada' already appears on line 2"),
        ("identifier,github_username\nada,a\n", "no 'repo' column"),
        ("identifier,repo\n", "no students"),
        ("identifier,repo,extension_hours\nada,x,soon\n", "line 2: extension_hours 'soon'"),
    ],
)
def test_malformed_roster_exits_2_with_one_sentence(
    content: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(content, encoding="utf-8")
    code = main(["--roster", str(roster), "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == ExitCode.USAGE
    assert says in err and len(err.splitlines()) == 1, err


def test_template_placeholder_must_be_a_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username\nada,a\n")
    code = main(["--roster", str(roster), "--repo-template", "https://x/{login}/r"])
    assert code == ExitCode.USAGE
    assert "uses {login} but the roster has no 'login' column" in capsys.readouterr().err


def test_view_serves_the_results_folder_on_loopback(tmp_path: Path) -> None:
    import urllib.request

    from grader.cli import view

    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>class</title>")
    server, url = view.serve(tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "index.html", timeout=5) as page:
            assert b"<title>class</title>" in page.read()
    finally:
        server.shutdown()
        server.server_close()


def test_view_of_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", str(tmp_path / "nope")]) == ExitCode.USAGE
    assert "is not a folder" in capsys.readouterr().err


def test_a_roster_of_another_assignment_is_graded_by_it(tmp_path: Path) -> None:
    """`--assignment http_server` with a roster: its self-check, its rubric, its mistakes."""
    lines = ["identifier,repo"]
    for ident, example in (("ada", "passes_all"), ("bob", "single_recv")):
        repo = make_repo(tmp_path / "repos" / ident, EXAMPLES_HTTP / example)
        lines.append(f"{ident},{repo}")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    out = tmp_path / "grades"
    argv = ["--roster", str(roster), "--assignment", "http_server", "--out", str(out)]
    assert main(argv) == ExitCode.OK
    with (out / "grades.csv").open(newline="") as f:
        scores = {row["identifier"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores == {"ada": 100, "bob": 92}
    assert "single_recv" in (out / "mistakes.csv").read_text()
