"""Test support: real git repositories built from example folders, and process checks."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import git

from grader.locate import locate
from grader.model import Assignment
from grader.run import capabilities
from grader.sandbox import policy_for, procfs
from grader.snapshot import read_tree
from grader.static import Inspection, analyse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"  # echo_sockets'
EXAMPLES_HTTP = Path(__file__).resolve().parent / "examples_http"  # http_server's
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


def static_look(root: Path, assignment: Assignment) -> Inspection:
    """The static stage on a folder as the pipeline runs it: snapshot, locate, analysis in
    the sandbox (or unsandboxed, under the same limits, where this machine has none)."""
    snapshot = read_tree(root)
    policy = policy_for(capabilities(), sandbox=True, python=sys.executable)
    with tempfile.TemporaryDirectory(prefix="grader-test-") as scratch:
        return analyse(
            snapshot,
            located=locate(snapshot, assignment=assignment),
            policy=policy,
            scratch=Path(scratch) / "analysis",
            optional=assignment.optional,
        )


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


# ---------------------------------------------------------------- a real browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots, not committed
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def open_page(
    browser: object, where: Path | str, width: int
) -> tuple[object, list[str], list[str]]:
    """Open a file or URL; return the page, its console errors and every URL it fetched."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_viewport_size({"width": width, "height": 800})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(where.as_uri() if isinstance(where, Path) else where)
    page.wait_for_load_state("load")
    return page, errors, requests


# ---------------------------------------------------------------- a fake cgroup v2 tree

CGROUP_SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-grader.scope"


def fake_cgroup_tree(tmp_path: Path, *, procs: str | None = None) -> tuple[Path, Path, Path]:
    """A unified hierarchy laid out as /sys/fs/cgroup would be, with this process alone
    in a delegated scope: (the mount, the scope's folder, a /proc/self/cgroup for it)."""
    mount = tmp_path / "cgroup"
    base = mount / CGROUP_SCOPE.lstrip("/")
    base.mkdir(parents=True)
    (mount / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    (base / "cgroup.controllers").write_text("cpu memory pids\n")
    (base / "cgroup.subtree_control").write_text("")
    (base / "cgroup.procs").write_text(procs if procs is not None else f"{os.getpid()}\n")
    self_cgroup = tmp_path / "self-cgroup"
    self_cgroup.write_text(f"0::{CGROUP_SCOPE}\n")
    return mount, base, self_cgroup


# ---------------------------------------------------------------- Ubuntu's AppArmor restriction

UID_MAP = "bwrap: setting up uid map: Permission denied"
UNSHARE_UID_MAP = "unshare: write failed /proc/self/uid_map: Operation not permitted"


def restricted_tools(folder: Path) -> str:
    """A bwrap and an unshare that fail as they do under Ubuntu's AppArmor restriction of
    unprivileged user namespaces; returns a search path that finds them first."""
    folder.mkdir()
    for name, said in (("bwrap", UID_MAP), ("unshare", UNSHARE_UID_MAP)):
        tool = folder / name
        tool.write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 1\n")
        tool.chmod(0o755)
    return f"{folder}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
