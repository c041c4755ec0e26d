"""`grade .` in a student's own repository leaves nothing git would pick up: the
reports go to grades/, which carries a .gitignore of `*`, and the template ignores
grades/ too, so `git add -A` never commits them and a checkout is never blocked."""

from __future__ import annotations

import io
import json
from pathlib import Path

import git
import pytest
from support import AUTHOR, EXAMPLES, ROOT, make_repo

from grader.cli import main
from grader.errors import ExitCode


def grade_here(repo: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
    monkeypatch.chdir(repo)
    out = io.StringIO()
    assert main([".", *argv], stdout=out) == ExitCode.OK
    return out.getvalue()


@pytest.mark.parametrize("start", ["student_template", "passes_all_legacy"])
def test_grading_a_work_tree_leaves_it_clean_and_checkouts_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """From the template (its own .gitignore) and from a repository without one."""
    folder = ROOT / "student_template" if start == "student_template" else EXAMPLES / start
    repo_dir = make_repo(tmp_path / "echo_sockets", folder)
    repo = git.Repo(repo_dir)
    first = repo.head.commit.hexsha
    printed = grade_here(repo_dir, monkeypatch)
    assert "report: grades/echo_sockets/report.html" in printed
    assert (repo_dir / "grades" / "echo_sockets" / "report.html").is_file()
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""
    if start == "student_template":  # the untouched template: 0 points, much to explain
        whys = [ln.strip() for ln in printed.splitlines() if ln.strip().startswith("why:")]
        said = [w for w in whys if not w.startswith("why: same as above")]
        assert len(whys) > len(said) and len(said) == len(set(said)), whys
        advice = next(ln for ln in printed.splitlines() if "Advice:" in ln)
        assert advice.split()[0] == "ADVICE" and "0/0" not in advice, advice

    server = repo_dir / "echo_server.py"  # the student works on, commits everything, grades
    server.write_text(server.read_text() + "\n# more work\n")
    repo.git.add(A=True)
    repo.index.commit("more work", author=AUTHOR, committer=AUTHOR)
    assert not any(p.startswith("grades/") for p in repo.git.ls_files().splitlines())
    grade_here(repo_dir, monkeypatch)
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""
    results = json.loads((repo_dir / "grades" / "echo_sockets" / "results.json").read_text())
    assert results["extra_data"]["uncommitted_changes"] is False  # its own reports are not
    repo.git.checkout(first)  # neither refused nor leaving reports behind in git's eyes
    repo.git.checkout("main")
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""


def test_the_template_ignores_the_reports_by_itself(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "hw", ROOT / "student_template")
    (repo_dir / "grades" / "hw").mkdir(parents=True)
    (repo_dir / "grades" / "hw" / "report.html").write_text("<p>report</p>")
    (repo_dir / "__pycache__").mkdir()
    (repo_dir / "__pycache__" / "echo_client.cpython-311.pyc").write_bytes(b"\0")
    assert git.Repo(repo_dir).git.status("--porcelain", "--untracked-files=all") == ""


def test_a_folder_the_user_named_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_dir = make_repo(tmp_path / "echo_sockets", EXAMPLES / "passes_all_legacy")
    mine = tmp_path / "mine"
    mine.mkdir()
    grade_here(repo_dir, monkeypatch, "--out", str(mine))
    assert (mine / "echo_sockets" / "report.html").is_file()
    assert not (mine / ".gitignore").exists()  # it was there before: not the grader's
    grade_here(repo_dir, monkeypatch, "--out", "new_results")  # made by this run: ignored
    assert (repo_dir / "new_results" / ".gitignore").read_text().endswith("*\n")
    assert git.Repo(repo_dir).git.status("--porcelain", "--untracked-files=all") == ""
