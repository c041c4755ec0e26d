"""End to end, as users install it: the wheel, built from this checkout, installed with
its dependencies into a fresh venv in an ordinary user's home, and run by that user from
another folder (bubblewrap's own user namespace, no cgroup, no root): the reference at
100%, a hanging and a fork-bomb example judged right, a two-student batch with its
self-check, the starting files from `grade template`.

Needs root (to create the user and switch to it) and a package index; it takes about a
minute, so it runs when asked: `make test-install` (CI does), or GRADER_TEST_INSTALL=1.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT

USER = "grader-ci"
SYSTEM_PYTHON = Path("/usr/bin/python3")

pytestmark = [
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to make a user"
    ),
    pytest.mark.skipif(
        os.environ.get("GRADER_TEST_INSTALL") != "1", reason="set GRADER_TEST_INSTALL=1"
    ),
]


@dataclass
class User:
    """An ordinary user with the grader installed in a venv in their home."""

    name: str
    home: Path
    work: Path  # a folder of theirs for this run, removed afterwards
    bin: Path

    def run(self, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """argv as this user, with a login-like environment and nothing of root's."""
        env = [
            f"HOME={self.home}",
            f"USER={self.name}",
            f"LOGNAME={self.name}",
            f"PATH={self.bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
        ]
        return subprocess.run(
            ["runuser", "-u", self.name, "--", "env", "-i", *env, *argv],
            capture_output=True,
            text=True,
            cwd=cwd or self.work,
            timeout=600,
        )

    def give(self, source: Path, name: str) -> Path:
        """Copy a folder of the checkout into the user's work folder, theirs."""
        dest = self.work / name
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(["chown", "-R", f"{self.name}:{self.name}", str(dest)], check=True)
        return dest


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[User]:
    if not SYSTEM_PYTHON.is_file():
        pytest.skip("needs the system's python3 (the user cannot reach root's interpreter)")
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
    entry = pwd.getpwnam(USER)
    home = Path(entry.pw_dir)
    work = Path(tempfile.mkdtemp(prefix="grader-e2e-", dir=home))
    os.chown(work, entry.pw_uid, entry.pw_gid)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("grader-*.whl")
    shutil.copy(wheel, work / wheel.name)
    os.chown(work / wheel.name, entry.pw_uid, entry.pw_gid)
    someone = User(USER, home, work, work / "venv" / "bin")
    try:
        made = someone.run(str(SYSTEM_PYTHON), "-m", "venv", str(work / "venv"))
        assert made.returncode == 0, made.stderr[-2000:]
        got = someone.run(str(someone.bin / "pip"), "install", "-q", str(work / wheel.name))
        assert got.returncode == 0, got.stderr[-2000:]
        (work / "elsewhere").mkdir()
        os.chown(work / "elsewhere", entry.pw_uid, entry.pw_gid)
        yield someone
    finally:
        subprocess.run(["pkill", "-KILL", "-u", USER], check=False)
        shutil.rmtree(work, ignore_errors=True)


def repo(user: User, example: Path, name: str) -> Path:
    """A git repository of the user's holding an example."""
    folder = user.give(example, name)
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=Student", "-c", "user.email=s@example.edu", "commit", "-qm", "hw"],
    ):
        done = user.run(*argv, cwd=folder)
        assert done.returncode == 0, done.stderr
    return folder


def graded(user: User, source: Path, *options: str) -> dict[str, object]:
    done = user.run(
        "grade", str(source), "--json", "--reveal", *options, cwd=user.work / "elsewhere"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data: dict[str, object] = json.loads(done.stdout)
    return data


def failed(data: dict[str, object]) -> dict[str, str]:
    tests = data["tests"]
    assert isinstance(tests, list)
    return {t["name"]: t["output"] for t in tests if t["status"] != "passed"}


def left_running(user: User) -> list[str]:
    """The user's processes still running (zombies left to a PID 1 that does not reap,
    as in some containers, are not running)."""
    done = subprocess.run(
        ["ps", "-u", user.name, "-o", "pid=,stat=,args="], capture_output=True, text=True
    )
    return [ln for ln in done.stdout.splitlines() if ln.split()[1][:1] != "Z"]


def test_check_sandbox_as_the_user(user: User) -> None:
    done = user.run("grade", "--check-sandbox")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Student code will run sandboxed." in done.stdout
    assert "running as root:     NO" in done.stdout


def test_the_reference_scores_100(user: User) -> None:
    data = graded(user, user.give(ROOT / "reference", "reference"))
    assert data["score"] == data["max_score"], failed(data)
    extra = data["extra_data"]
    assert isinstance(extra, dict) and extra["sandboxed"] is True


def test_unsandboxed_as_the_user_with_the_warning(user: User) -> None:
    """--no-sandbox as a user: the process limit leaves room for the user's own processes
    (RLIMIT_NPROC counts them all), and the run takes its turn with a lock of the user's."""
    data = graded(user, user.give(ROOT / "reference", "plain"), "--no-sandbox")
    assert data["score"] == data["max_score"], failed(data)
    extra = data["extra_data"]
    assert isinstance(extra, dict) and extra["sandboxed"] is False
    assert (user.home / ".cache" / "grader" / "unsandboxed.lock").is_file()


def test_a_hanging_client_is_called_hung(user: User) -> None:
    data = graded(user, repo(user, EXAMPLES / "client_stops_on_short_chunk", "hangs"))
    wrong = failed(data)
    assert "Hang: blocked" in wrong["Client returns a reply of exactly 16 bytes"]
    assert all(not name.startswith("Server") for name in wrong), wrong.keys()


def test_a_fork_bomb_is_contained(user: User) -> None:
    data = graded(user, repo(user, EXAMPLES / "hostile_fork_bomb", "bomb"))
    wrong = failed(data)
    assert "Server echoes a message shorter than 16 bytes" in wrong
    assert not [n for n in wrong if n.startswith("Client")], wrong.keys()
    extra = data["extra_data"]
    assert isinstance(extra, dict) and extra["sandboxed"] is True
    assert not left_running(user)


def test_a_batch_with_its_self_check(user: User) -> None:
    ada = repo(user, EXAMPLES / "passes_all_legacy", "ada")
    bob = repo(user, EXAMPLES / "client_stops_on_short_chunk", "bob")
    roster = user.work / "roster.csv"
    roster.write_text(f"identifier,repo\nada,{ada}\nbob,{bob}\n")
    out = user.work / "batch"
    done = user.run(
        "grade", "--roster", str(roster), "--out", str(out), cwd=user.work / "elsewhere"
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "self-check passed" in done.stdout
    rows = {r["identifier"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["ada"]["percent"] == "100.0" and rows["ada"]["status"] == "graded"
    assert float(rows["bob"]["percent"]) < 100 and rows["bob"]["status"] == "graded"
    assert (out / "index.html").is_file()
    assert not left_running(user)


def scores_of(user: User, grade: str, *names: str) -> list[tuple[object, object]]:
    """(score, extra credit) of each example, graded by this user's `grade`."""
    out = []
    for name in names:
        folder = user.give(
            ROOT / "student_template" if name == "template" else EXAMPLES / name, name
        )
        done = user.run(grade, str(folder), "--json", "--reveal", cwd=user.work / "elsewhere")
        assert done.returncode == 0, done.stderr[-3000:]
        data = json.loads(done.stdout)
        assert data["extra_data"]["sandboxed"] is True
        out.append((data["score"], data["extra_data"].get("extra_points")))
        shutil.rmtree(folder)
    return out


def test_the_answer_key_is_out_of_reach_of_student_code(user: User) -> None:
    """The grader from its wheel in a venv of the user's: a submission that searches the
    prefixes, site-packages, /proc and / for the bundled reference, and would run it,
    scores what the template scores."""
    template, attack = scores_of(user, "grade", "template", "hostile_runs_reference")
    assert attack == template


def test_the_answer_key_is_out_of_reach_with_an_editable_install(user: User) -> None:
    """The same with the grader installed editable from a checkout in the user's home."""
    checkout = user.work / "checkout"
    shutil.copytree(
        ROOT,
        checkout,
        ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".venv", "bench"),
    )
    subprocess.run(["chown", "-R", f"{user.name}:{user.name}", str(checkout)], check=True)
    venv = user.work / "editable"
    made = user.run(str(SYSTEM_PYTHON), "-m", "venv", str(venv))
    assert made.returncode == 0, made.stderr[-2000:]
    got = user.run(str(venv / "bin" / "pip"), "install", "-q", "-e", str(checkout))
    assert got.returncode == 0, got.stderr[-2000:]
    template, attack = scores_of(
        user, str(venv / "bin" / "grade"), "template", "hostile_runs_reference"
    )
    assert attack == template


def test_template_for_a_student_without_the_repository(user: User) -> None:
    done = user.run("grade", "template", "homework", cwd=user.work / "elsewhere")
    assert done.returncode == 0, done.stderr
    assert (user.work / "elsewhere" / "homework" / "echo_client.py").is_file()
