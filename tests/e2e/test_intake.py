"""Hostile submissions aimed at the intake (fetch, snapshot, static): repository
configuration that would run programs, a .git that points elsewhere, links, special files,
huge and deep trees, odd names and dates, a file that exhausts the parser.

Each is graded through the real CLI in a subprocess (`python -m grader`), timed, with its
memory sampled from /proc (the grader's own peak RSS, and the whole process tree's), and
with its temporary folder inside tmp_path so that anything left behind shows. The
committed part of each submission is in tests/examples/intake_*; what cannot be committed
there (a .git file, a hostile .git/config, links, a named pipe, a sparse file, names that
are not UTF-8) is made here. The batch test grades them all next to a correct one.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest
from support import AUTHOR, EXAMPLES, ROOT, make_repo

from grader.locate import locate
from grader.model import Assignment
from grader.run import capabilities
from grader.sandbox import Launcher, policy_for, procfs
from grader.snapshot import read_tree, remove_tree
from grader.static import analyse

BUDGET_S = 90.0  # one grading, start to finish
GRADER_MB = 300  # the grader's own process (it used to pass 3 GB reading /dev/zero)
TREE_MB = 1300  # grader, harness and sandboxed processes together (student limit: 512 MiB)
MARKER = "PAYLOAD-RAN"
SECRET = "root:$6$TOP-SECRET-LINE-4217$"  # a line a link's target holds
DEADLINE = "2030-01-01T00:00:00+00:00"


# ---------------------------------------------------------------- running the grader


@dataclass
class Run:
    """One run of the CLI: what it said, how long it took, how much memory it held."""

    code: int
    out: str
    err: str
    wall_s: float
    grader_mb: float
    tree_mb: float
    out_dir: Path

    def results(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out_dir / name / "results.json").read_text())
        return data

    def page(self, name: str | None = None) -> str:
        """A report page (with no name: the run's only one)."""
        pages = sorted(self.out_dir.glob(f"{name or '*'}/report.html"))
        assert len(pages) == 1, pages
        return pages[0].read_text(encoding="utf-8")

    def everything(self) -> str:
        """Every byte the run wrote or printed, as text."""
        texts = [self.out, self.err]
        for path in sorted(self.out_dir.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".json", ".xml", ".csv"):
                texts.append(path.read_text(encoding="utf-8"))
        return "\n".join(texts)


class Sampler(threading.Thread):
    """Poll /proc: the peak RSS of one process (VmHWM) and the largest sum of RSS over
    its whole tree at any poll."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.own_kb = 0
        self.tree_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.own_kb = max(self.own_kb, _status_kb(self.pid, "VmHWM"))
            total = sum(_status_kb(p, "VmRSS") for p in procfs.tree(self.pid))
            self.tree_kb = max(self.tree_kb, total)
            time.sleep(0.02)


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def grade_cli(args: list[str], tmp: Path, **env_extra: str) -> Run:
    """`python -m grader ARGS --out tmp/grades`, measured, its TMPDIR in tmp/scratch."""
    scratch = tmp / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    out_dir = tmp / "grades"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), **env_extra}
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", *args, "--out", str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=BUDGET_S * 3)
    finally:
        sampler.done.set()
        sampler.join()
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    return Run(
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - start,
        sampler.own_kb / 1024,
        sampler.tree_kb / 1024,
        out_dir,
    )


def assert_contained(run: Run, tmp: Path) -> None:
    """What every hostile grading must show: no traceback, in time, in bounded memory,
    nothing of the submission ran outside the sandbox, nothing left in the temp folder."""
    assert "Traceback" not in run.err and "this is a bug" not in run.err, run.err[-3000:]
    assert run.wall_s < BUDGET_S, run.wall_s
    assert run.grader_mb < GRADER_MB, f"the grader's own process held {run.grader_mb:.0f} MB"
    assert run.tree_mb < TREE_MB, f"the process tree held {run.tree_mb:.0f} MB"
    assert not (tmp / MARKER).exists(), (tmp / MARKER).read_text()
    assert not list((tmp / "scratch").iterdir()), list((tmp / "scratch").iterdir())


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def commit_all(repo: Path, message: str = "more", **dates: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": AUTHOR.name,
        "GIT_AUTHOR_EMAIL": AUTHOR.email,
        "GIT_COMMITTER_NAME": AUTHOR.name,
        "GIT_COMMITTER_EMAIL": AUTHOR.email,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        **dates,
    }
    run = {"cwd": repo, "env": {**os.environ, **env}, "check": True, "capture_output": True}
    subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "commit", "-q", "-m", message], **run)  # type: ignore[call-overload]


# ---------------------------------------------------------------- building the submissions


def hostile_config(repo: Path, tmp: Path, *, hang: bool = True) -> None:
    """Arm the repository: its .git/config names the payload everywhere git could run it."""
    payload = tmp / "payload.sh"
    marker = tmp / MARKER
    payload.write_text((repo / "payload.sh").read_text().replace("@MARKER@", str(marker)))
    payload.chmod(0o755)
    hooks = tmp / "hooks"
    hooks.mkdir()
    for hook in (
        "pre-commit",
        "post-checkout",
        "post-merge",
        "pre-push",
        "fsmonitor-watchman",
        "reference-transaction",
        "post-index-change",
        "pre-auto-gc",
        "post-rewrite",
    ):
        (hooks / hook).symlink_to(payload)
    included = tmp / "included.config"
    included.write_text(f"[core]\n\tfsmonitor = {payload}\n")
    text = (repo / "git-config").read_text()
    for key, value in (("@PAYLOAD@", payload), ("@HOOKS@", hooks), ("@INCLUDED@", included)):
        text = text.replace(key, str(value))
    with (repo / ".git" / "config").open("a") as f:
        f.write(text)
    if hang:
        (tmp / f"{MARKER}.hang").touch()


@pytest.fixture
def repo_config(tmp_path: Path) -> Path:
    """intake_repo_config, committed, then armed: and proven live against plain git."""
    repo = make_repo(tmp_path / "ada", EXAMPLES / "intake_repo_config")
    (repo / "gitattributes").rename(repo / ".gitattributes")
    commit_all(repo, "attributes")
    hostile_config(repo, tmp_path, hang=False)
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, timeout=20, check=False)
    assert (tmp_path / MARKER).exists(), "the hostile configuration does not run under git"
    (tmp_path / MARKER).unlink()
    (tmp_path / f"{MARKER}.hang").touch()  # from now on, a payload that runs also hangs
    return repo


def git_elsewhere(tmp: Path) -> tuple[Path, Path]:
    """alice: a correct repository; bob: his own broken client and a .git file to alice's."""
    alice = make_repo(tmp / "alice", EXAMPLES / "passes_all_legacy")
    bob = tmp / "bob"
    shutil.copytree(EXAMPLES / "intake_git_elsewhere", bob)
    (bob / ".git").write_text("gitdir: ../alice/.git\n")
    return alice, bob


def links(tmp: Path) -> Path:
    """intake_links with its links committed: to a secret, /etc/passwd, /dev/zero, /dev/tty."""
    secret = tmp / "secret.txt"
    secret.write_text(SECRET + "\n")
    repo = make_repo(tmp / "eve", EXAMPLES / "intake_links")
    for name, target in (
        ("echo_server.py", secret),
        ("tests.py", secret),
        ("conftest.py", Path("/etc/passwd")),
        ("my_echo_server.py", Path("/dev/zero")),
        ("echo_server_select.py", Path("/dev/tty")),
    ):
        (repo / name).symlink_to(target)
    commit_all(repo, "links")
    return repo


def special_files(tmp: Path) -> Path:
    """A folder (not committable): a pipe, a 2 GiB sparse file, links to devices."""
    folder = make_repo(tmp / "mallory", EXAMPLES / "intake_special_files")
    os.mkfifo(folder / "echo_server.py")
    with (folder / "echo_client.py").open("wb") as f:
        f.truncate(2 << 30)
    (folder / "multi_echo_server.py").symlink_to("/dev/zero")
    (folder / "select_server.py").symlink_to("/dev/tty")
    return folder


def deep_tree(tmp: Path) -> Path:
    """A correct pair at the root, a server 1200 folders deep, 21,000 small files."""
    repo = make_repo(tmp / "trent", EXAMPLES / "intake_deep_tree")
    fd = os.open(repo, os.O_RDONLY)
    for _ in range(1200):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    with os.fdopen(os.open("echo_server.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
        f.write("raise SystemExit('the deep one was graded')\n")
    for i in range(21):
        folder = repo / "gen" / f"part{i:02d}"
        folder.mkdir(parents=True)
        for j in range(1000):
            (folder / f"f{j:04d}.py").write_text(f"X = {j}\n")
    commit_all(repo, "a deep and wide tree")
    return repo


ODD = (
    b"\xff\xfe_services.py",  # not UTF-8; holds the port-services function
    b"caf\xe9/echo_server_select.py",  # a select server in a folder whose name is not UTF-8
    b"\x1b[2J\x1b[Hfake_100.py",  # would clear a terminal and draw over it
    "\u202eyp.txt".encode(),  # a right-to-left override
    b"line\nbreak.py",
    b"tab\there.py",
)
SERVICES = (
    "import socket\n\ndef list_services(lower=0, upper=65535):\n"
    "    if lower < 0 or upper > 65535:\n        raise ValueError('bad bounds')\n"
    "    return [socket.getservbyport(p) for p in range(lower, upper)]\n"
)


def odd_names(tmp: Path) -> Path:
    """A correct pair, names that are not UTF-8 or hold escapes, a commit of year 31690708."""
    repo = make_repo(tmp / "zoe", EXAMPLES / "intake_odd_names")
    select_server = (EXAMPLES / "extra_select_server" / "echo_server_select.py").read_bytes()
    root = os.fsencode(repo)
    for name in ODD:
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = SERVICES.encode() if b"services" in name else b"# nothing here\n"
        with open(path, "wb") as f:
            f.write(select_server if name.endswith(b"select.py") else data)
    commit_all(
        repo,
        "odd names",
        GIT_COMMITTER_DATE="@1000000000000000 +0000",
        GIT_AUTHOR_DATE="@1000000000000000 +0000",
    )
    return repo


BOMB = "x = (" + "a<b," * 262_000 + ")\n"  # 1 MiB; the parser needs more than 512 MiB


def analysis_bomb(tmp: Path) -> Path:
    repo = make_repo(tmp / "oscar", EXAMPLES / "intake_analysis_bomb")
    (repo / "echo_server.py").write_text(BOMB)
    commit_all(repo, "server")
    return repo


# ---------------------------------------------------------------- 1. configuration never runs


@pytest.mark.parametrize("how", ["folder", "file-url", "deadline"])
def test_repository_configuration_never_runs(how: str, repo_config: Path, tmp_path: Path) -> None:
    source = f"file://{repo_config}" if how == "file-url" else str(repo_config)
    args = [source, "--json"] + (["--deadline", DEADLINE] if how == "deadline" else [])
    run = grade_cli(args, tmp_path)
    assert_contained(run, tmp_path)
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["score"] == data["max_score"] > 0
    extra = data["extra_data"]
    assert extra["commit"] == git.Repo(repo_config).head.commit.hexsha
    if how == "folder":  # what the fetch found, read without the repository's config
        assert extra["uncommitted_changes"] is False


def test_a_changed_folder_is_dirty_whatever_its_index_claims(tmp_path: Path) -> None:
    """skip-worktree bits in the student's index cannot hide a change: the grader judges
    the folder against a fresh index of its own."""
    repo = make_repo(tmp_path / "ada", EXAMPLES / "intake_repo_config")
    git.Repo(repo).git.update_index("--skip-worktree", "echo_client.py")
    with (repo / "echo_client.py").open("a") as f:
        f.write("# changed after the commit\n")
    hostile_config(repo, tmp_path)
    run = grade_cli([str(repo), "--json"], tmp_path)
    assert_contained(run, tmp_path)
    assert json.loads(run.out)["extra_data"]["uncommitted_changes"] is True


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A git daemon on 127.0.0.1 serving tmp_path/srv: (base URL, folder)."""
    if shutil.which("git") is None or not Path("/usr/lib/git-core/git-daemon").exists():
        pytest.skip("needs git daemon")
    served = tmp_path / "srv"
    served.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={served}",
            "--export-all",
            f"--port={port}",
            "--listen=127.0.0.1",
            str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"git://127.0.0.1:{port}", served
    daemon.kill()
    daemon.wait()


def test_a_clone_by_url_runs_no_filter_or_hook(
    git_daemon: tuple[str, Path], tmp_path: Path
) -> None:
    """The grading user's own configuration defines a filter (as git-lfs does) and hooks:
    a plain clone of a repository whose .gitattributes names the filter runs them; the
    grader's clone never does, with or without --deadline."""
    url, served = git_daemon
    repo = make_repo(served / "ada", EXAMPLES / "intake_repo_config")
    (repo / "gitattributes").rename(repo / ".gitattributes")
    (repo / "conftest.py").symlink_to("/etc/passwd")
    commit_all(repo, "attributes and a link")
    payload = tmp_path / "payload.sh"
    payload.write_text(
        (repo / "payload.sh").read_text().replace("@MARKER@", str(tmp_path / MARKER))
    )
    payload.chmod(0o755)
    home = tmp_path / "home"
    (home / "hooks").mkdir(parents=True)
    (home / "hooks" / "post-checkout").symlink_to(payload)
    (home / ".gitconfig").write_text(
        f'[filter "evil"]\n\tsmudge = {payload}\n\tclean = {payload}\n'
        f"[core]\n\thooksPath = {home / 'hooks'}\n"
    )
    plain = {**os.environ, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "clone", "-q", f"{url}/ada", str(tmp_path / "control")],
        env=plain,
        check=True,
        timeout=60,
    )
    assert (tmp_path / MARKER).exists(), "the user's filter does not run on a plain clone"
    (tmp_path / MARKER).unlink()
    for extra in ([], ["--deadline", DEADLINE]):
        run = grade_cli(
            [f"{url}/ada", "--json", *extra], tmp_path / f"run{len(extra)}", HOME=str(home)
        )
        assert_contained(run, tmp_path / f"run{len(extra)}")
        assert not (tmp_path / MARKER).exists()
        data = json.loads(run.out)
        assert data["score"] == data["max_score"], run.err
        assert data["extra_data"]["commit"] == git.Repo(repo).head.commit.hexsha


# ---------------------------------------------------------------- 2. a .git that points elsewhere


def test_a_git_file_pointing_elsewhere_is_never_followed(tmp_path: Path) -> None:
    alice, bob = git_elsewhere(tmp_path)
    run = grade_cli([str(bob), "--json", "--reveal"], tmp_path)
    assert_contained(run, tmp_path)
    data = json.loads(run.out)
    assert data["extra_data"].get("commit") is None  # no commit claimed, alice's least of all
    assert data["score"] < data["max_score"] / 2, "bob got alice's points"
    assert "gitdir: ../alice/.git" in " ".join(data["extra_data"]["notes"])

    late = grade_cli([str(bob), "--deadline", DEADLINE], tmp_path / "again")
    assert late.code == 3
    said = one_sentence(late.err)
    assert "not a git repository of its own" in said and "gitdir: ../alice/.git" in said


def test_a_git_link_or_borrowed_objects_are_not_history(tmp_path: Path) -> None:
    alice, bob = git_elsewhere(tmp_path)
    (bob / ".git").unlink()
    (bob / ".git").symlink_to(alice / ".git")
    run = grade_cli([str(bob), "--deadline", DEADLINE], tmp_path)
    assert run.code == 3 and "its .git is a link" in one_sentence(run.err)

    carol = make_repo(tmp_path / "carol", EXAMPLES / "intake_git_elsewhere")
    alternates = carol / ".git" / "objects" / "info" / "alternates"
    alternates.write_text(str(alice / ".git" / "objects") + "\n")
    head = git.Repo(alice).head.commit.hexsha
    (carol / ".git" / "refs" / "heads" / "main").write_text(head + "\n")
    run = grade_cli([str(carol), "--deadline", DEADLINE], tmp_path / "carol-run")
    assert run.code == 3
    said = one_sentence(run.err)
    assert "cannot be read safely" in said and "alternates" in said


def test_a_folder_inside_another_repository_is_only_itself(tmp_path: Path) -> None:
    """`grade course/hw` never grades (nor claims) the commit of the course's repository."""
    course = make_repo(tmp_path / "course", {"README.md": "the course\n"})
    shutil.copytree(EXAMPLES / "passes_all_legacy", course / "hw")
    run = grade_cli([str(course / "hw"), "--json"], tmp_path)
    assert_contained(run, tmp_path)
    data = json.loads(run.out)
    assert data["extra_data"].get("commit") is None
    assert data["score"] == data["max_score"]
    late = grade_cli([str(course / "hw"), "--deadline", DEADLINE], tmp_path / "again")
    assert late.code == 3 and "not a git repository of its own" in one_sentence(late.err)


# ---------------------------------------------------------------- 3. links and special files


@pytest.mark.parametrize("how", ["folder", "file-url"])
def test_links_are_never_followed(how: str, tmp_path: Path) -> None:
    repo = links(tmp_path)
    source = f"file://{repo}" if how == "file-url" else str(repo)
    run = grade_cli([source, "--json", "--reveal"], tmp_path)
    assert_contained(run, tmp_path)
    assert run.code == 0, run.err
    assert "TOP-SECRET" not in run.everything(), "a link's target was read"
    data = json.loads(run.out)
    server = [t for t in data["tests"] if t["tags"][0].startswith("server_")]
    assert server and all(t["score"] == 0 for t in server)
    assert "echo_server.py is a link, not graded" in run.page()
    clients = [t for t in data["tests"] if t["tags"][0].startswith("client_")]
    assert clients and all(t["status"] == "passed" for t in clients), clients


def test_pipes_sparse_files_and_devices_are_never_opened(tmp_path: Path) -> None:
    folder = special_files(tmp_path)
    run = grade_cli([str(folder)], tmp_path)
    assert_contained(run, tmp_path)
    assert run.wall_s < 30, run.wall_s
    assert run.code == 3
    assert "echo_server.py is a named pipe, not graded" in one_sentence(run.err)
    assert "larger than 1 MiB" in run.page()


# ---------------------------------------------------------------- 4. the static look is confined


@pytest.mark.parametrize("machine", ["sandboxed", "no cgroups (portable)"])
def test_a_file_that_exhausts_the_parser_is_the_students_verdict(
    machine: str, tmp_path: Path
) -> None:
    """The same verdict whether a memory cgroup or only the address-space limit holds the
    parser (CI once had none, and the server ran instead: a verdict of the machine)."""
    repo = analysis_bomb(tmp_path)
    env = {"GRADER_PORTABLE": "1"} if machine.startswith("no") else {}
    run = grade_cli([str(repo), "--json", "--reveal"], tmp_path, **env)
    assert_contained(run, tmp_path)
    assert run.code == 0, run.err  # not 4: the machine is fine, the file is not
    data = json.loads(run.out)
    servers = [t for t in data["tests"] if "server" in t["tags"]]
    assert servers and all(
        t["output"].startswith("echo_server.py could not be checked: it ran out of memory")
        for t in servers
    ), json.dumps(servers)[:2000]
    assert 0 < data["score"] < data["max_score"]  # the client is graded as usual


def test_a_slow_file_stops_the_analysis_and_is_named(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    """The analysis's time limit holds, names the file, and the files after it are still
    looked at (here the client, analysed in a second run)."""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "echo_server.py").write_text("x = (" + "f()," * 60_000 + ")\n")
    shutil.copy(EXAMPLES / "passes_all_port_arg" / "echo_client.py", folder)
    snapshot = read_tree(folder)
    policy = policy_for(capabilities(), sandbox=True, python=sys.executable)
    start = time.monotonic()
    found = analyse(
        snapshot,
        located=locate(snapshot, assignment=echo_assignment),
        policy=policy,
        scratch=tmp_path / "analysis",
        timeout_s=0.5,
    )
    assert time.monotonic() - start < 10
    (problem,) = found.problems
    assert problem.role == "server" and "took longer than 0.5 s" in problem.message
    assert found.client_accepts_port  # the client was looked at after the server stopped it


def test_the_static_look_has_no_network(tmp_path: Path) -> None:
    caps = capabilities()
    if not caps.sandbox:
        pytest.skip("this machine cannot sandbox")
    policy = policy_for(caps, sandbox=True, python=sys.executable)
    launcher = Launcher(policy, tmp_path, offline=True)
    code = "import socket; print(sorted(n for _, n in socket.if_nameindex()))"
    proc = launcher.spawn(["-c", code], name="probe")
    proc.wait(20)
    launcher.close()
    assert proc.stdout.text().strip() == "['lo']", proc.stderr.text()


# ---------------------------------------------------------------- 5. odd data, huge trees


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """deep_tree, removed afterwards (pytest's own clean-up recurses, and would fail)."""
    yield deep_tree(tmp_path)
    remove_tree(tmp_path / "trent")


@pytest.mark.parametrize("how", ["folder", "file-url"])
def test_a_deep_and_wide_tree_is_capped_and_said(how: str, deep: Path, tmp_path: Path) -> None:
    repo = deep
    source = f"file://{repo}" if how == "file-url" else str(repo)
    run = grade_cli([source, "--json", "--reveal"], tmp_path)
    assert_contained(run, tmp_path)
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["score"] == data["max_score"]
    page = run.page()
    assert "folders deeper than 32 levels were not" in page or "more than 20,000" in page


def test_odd_names_and_a_date_in_the_year_31690708(tmp_path: Path) -> None:
    repo = odd_names(tmp_path)
    run = grade_cli([str(repo), "--json", "--reveal"], tmp_path)
    assert_contained(run, tmp_path)
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["score"] == data["max_score"]
    assert data["extra_data"]["commit"] == git.Repo(repo).head.commit.hexsha
    page = run.page()
    assert "\x1b" not in run.everything() and "\u202e" not in run.everything()
    assert "\\xff\\xfe_services.py" in page  # the port function's file, named printably
    assert "caf\\xe9/echo_server_select.py" in page


# ---------------------------------------------------------------- a batch of all of them


def test_a_batch_of_hostile_intakes_grades_everyone(tmp_path: Path) -> None:
    repos = {
        "ada": make_repo(tmp_path / "ok", EXAMPLES / "passes_all_legacy"),
        "zoe": odd_names(tmp_path),
        "eve": links(tmp_path),
        "mallory": special_files(tmp_path),
        "oscar": analysis_bomb(tmp_path),
        "bob": git_elsewhere(tmp_path)[1],
    }
    armed = make_repo(tmp_path / "rc", EXAMPLES / "intake_repo_config")
    hostile_config(armed, tmp_path)
    repos["rc"] = armed
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["identifier", "repo"])
        writer.writerows(sorted((k, str(v)) for k, v in repos.items()))
    extra = [] if capabilities().sandbox else ["--no-sandbox"]
    run = grade_cli(["--roster", str(roster), "--no-selfcheck", "--jobs", "2", *extra], tmp_path)
    assert "Traceback" not in run.err, run.err[-3000:]
    assert not (tmp_path / MARKER).exists()
    assert run.code == 0, run.err
    with (run.out_dir / "grades.csv").open() as f:
        rows = {row["identifier"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(repos)
    assert float(rows["ada"]["score"]) == 100.0 and float(rows["zoe"]["score"]) == 100.0
    for name in repos:
        results = run.results(name)
        assert "interrupted" not in json.dumps(results), name
        assert (run.out_dir / name / "report.html").is_file()
        ET.parse(run.out_dir / name / "junit.xml")  # well-formed whatever the names
    assert (run.out_dir / "index.html").is_file()
    assert "\x1b" not in run.everything()
    assert not list((tmp_path / "scratch").iterdir())
