"""The `grade` command, in-process: exit codes and one-sentence errors."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import pytest
from support import EXAMPLES, ROOT, make_repo

from grader.cli import main
from grader.errors import ExitCode


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(argv, stdout=out)
    return code, out.getvalue(), capsys.readouterr().err


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_bad_url_exits_3_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([f"file://{tmp_path}/nowhere.git", "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.NOT_GRADABLE
    assert "no repository at" in one_sentence(err) or "could not clone" in err


def test_missing_folder_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(tmp_path / "missing"), "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.NOT_GRADABLE
    assert "neither an existing folder nor a git URL" in one_sentence(err)


@pytest.mark.parametrize("source", ["missing", "file-url"])
def test_a_mistyped_source_writes_no_report_and_says_so_once(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = str(tmp_path / "ehco_sockets")
    if source == "file-url":
        given = f"file://{given}.git"
    out = tmp_path / "g"
    code, said, err = run([given, "--out", str(out)], capsys)
    assert code == ExitCode.NOT_GRADABLE
    sentence = one_sentence(err)
    assert said == "" and sentence.startswith("grade: ")
    assert not out.exists()  # no grades/<name>/report.html for what is not there


def test_a_submission_without_the_files_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "wip", EXAMPLES / "no_python_files")
    code, said, err = run([str(repo), "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.NOT_GRADABLE
    assert (said + err).count("no echo_server.py or echo_client.py found") == 1
    assert said == f"report: {tmp_path / 'g' / 'wip' / 'report.html'}\n"


def test_empty_repo_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = tmp_path / "empty.git"
    git.Repo.init(bare, bare=True)
    code, _, err = run([f"file://{bare}", "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.NOT_GRADABLE
    assert "has no commits yet" in one_sentence(err)


def test_repo_without_the_files_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "wip", EXAMPLES / "no_python_files")
    code, _, err = run([str(repo), "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.NOT_GRADABLE
    assert "no echo_server.py or echo_client.py found" in one_sentence(err)
    assert (tmp_path / "g" / "wip" / "report.html").exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--timeout", "-1", "."], "--timeout"),
        (["--fail-under", "150", "."], "--fail-under"),
        (["--bogus"], "unrecognized arguments"),
        ([], "give what to grade"),
        (["--assignment", "nope", "."], "no assignment 'nope'"),
        (["--python", "/no/python", "."], "--python"),
    ],
)
def test_bad_options_exit_2_with_one_sentence(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == ExitCode.USAGE
    assert says in one_sentence(err)


def test_url_clone_grades_and_writes_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "ada" / "echo_sockets", EXAMPLES / "passes_all_legacy")
    code, out, _ = run([f"file://{repo}", "--out", str(tmp_path / "g"), "--json"], capsys)
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["score"] == data["max_score"] > 0
    assert data["extra_data"]["commit"] == git.Repo(repo).head.commit.hexsha
    assert data["extra_data"]["branch"] == "main"
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    folder = tmp_path / "g" / "ada"
    saved = json.loads((folder / "results.json").read_text())
    assert saved["score"] == data["score"]
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_fail_under_exits_1_below_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "bob", EXAMPLES / "server_no_reuseaddr")
    code, out, _ = run([str(repo), "--out", str(tmp_path / "g"), "--fail-under", "100"], capsys)
    assert code == ExitCode.BELOW_THRESHOLD
    assert "Server restarts at once on the same port" in out
    assert "SO_REUSEADDR" in out


def test_grade_dot_grades_uncommitted_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "me", EXAMPLES / "client_returns_bytes")
    fixed = (ROOT / "reference" / "echo_client.py").read_text()
    (repo / "echo_client.py").write_text(fixed)  # fixed, not committed yet
    monkeypatch.chdir(repo)
    code, out, _ = run([".", "--out", str(tmp_path / "g"), "--json"], capsys)
    data = json.loads(out)
    assert code == ExitCode.OK
    assert data["extra_data"]["uncommitted_changes"] is True
    assert data["score"] == data["max_score"]


def test_check_sandbox_reports_isolation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--check-sandbox"], capsys)
    assert "bubblewrap:" in out and "network namespaces:" in out
    assert code in (ExitCode.OK, ExitCode.INFRASTRUCTURE)


def test_unsandboxed_run_warns_loudly_in_terminal_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "ada", EXAMPLES / "passes_all_legacy")
    code, out, _ = run([str(repo), "--out", str(tmp_path / "g"), "--no-sandbox"], capsys)
    assert code == ExitCode.OK
    assert "WARNING: NOT SANDBOXED" in out
    page = (tmp_path / "g" / "ada" / "report.html").read_text()
    assert "NOT SANDBOXED" in page
    assert (
        json.loads((tmp_path / "g" / "ada" / "results.json").read_text())["extra_data"]["sandboxed"]
        is False
    )


def test_batch_refuses_to_run_without_a_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    import grader.cli
    from grader.run import capabilities

    # This machine has a sandbox; pretend bubblewrap is missing, as on a laptop without it.
    missing = replace(
        capabilities(), bwrap=None, bwrap_works=False, problems=("bubblewrap is not installed",)
    )
    monkeypatch.setattr(grader.cli, "capabilities", lambda: missing)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"identifier,repo\nada,{tmp_path}\n")
    code, _, err = run(["--roster", str(roster), "--out", str(tmp_path / "g")], capsys)
    assert code == ExitCode.INFRASTRUCTURE
    assert "pass --no-sandbox" in one_sentence(err)
    assert not (tmp_path / "g").exists()


def test_every_exit_code_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = readme[readme.index("Exit codes:") :].split("\n\n", 1)[0]
    for code in ExitCode:
        assert f"`{int(code)}`" in listed, code


def test_ctrl_c_exits_130_with_one_sentence(tmp_path: Path) -> None:
    grading = subprocess.Popen(
        [sys.executable, "-m", "grader", str(EXAMPLES / "slow_but_correct")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while not _children(grading.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # until grading has started processes of its own
    grading.send_signal(signal.SIGINT)
    _, err = grading.communicate(timeout=60)
    assert grading.returncode == ExitCode.INTERRUPTED == 130
    assert err.decode().strip() == "grade: interrupted."


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            found.append(int(stat.parent.name))
    return found
