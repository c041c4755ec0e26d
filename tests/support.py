"""Test support: real git repositories built from example folders, and process checks."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import git

from grader.sandbox import procfs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
AUTHOR = git.Actor("Student", "student@example.edu")


def make_repo(dest: Path, files: dict[str, str] | Path | None = None) -> Path:
    """A real git repository with one commit holding `files` (a dict or a folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    if isinstance(files, Path):
        shutil.copytree(files, dest, dirs_exist_ok=True)
    elif files:
        for name, text in files.items():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_text(text, encoding="utf-8")
    repo = git.Repo.init(dest, initial_branch="main")
    if files:
        repo.git.add(A=True)
        repo.index.commit("homework", author=AUTHOR, committer=AUTHOR)
    return dest


def leftover_student_processes(job_id: str, timeout_s: float = 2.0) -> list[int]:
    """Processes of one grading job (marked GRADER_JOB=<id>..., one id per harness group)
    still alive after it ended."""
    marker = f"GRADER_JOB={job_id}".encode()
    deadline = time.monotonic() + timeout_s
    while True:
        left = [pid for pid in _all_pids() if marker in _environ(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _all_pids() -> list[int]:
    return [int(p.name) for p in procfs.PROC.iterdir() if p.name.isdigit()]


def _environ(pid: int) -> bytes:
    try:
        return (procfs.PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return b""
