"""The one reader of a submission (grader/snapshot.py) and fetch's git reading
(grader/fetch/history.py, tree.py), on small trees made here: fast, no sandbox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

import git
import pytest
from fakes import FakeRunner, tiny_assignment
from support import EXAMPLES, make_repo

from grader.fetch.history import GitFailed, History, _when, copy_history, git_folder
from grader.fetch.tree import LINK_TARGET, TOO_MANY, write_tree
from grader.model import Status
from grader.pipeline import grade
from grader.snapshot import read_tree, remove_tree, walk


def test_links_pipes_big_files_and_devices_are_listed_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET\n")
    root = tmp_path / "sub"
    root.mkdir()
    (root / "echo_server.py").symlink_to(secret)
    (root / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(root / "pipe.py")
    with (root / "big.py").open("wb") as f:
        f.truncate(2 << 30)
    (root / "folder_link").symlink_to(tmp_path)  # a link to a folder is not entered
    (root / "ok.py").write_text("x = 1\n")
    snap = read_tree(root)
    assert [f.path for f in snap.files] == [PurePosixPath("ok.py")]
    assert snap.data(PurePosixPath("ok.py")) == b"x = 1\n"
    why = {str(u.path): u.why for u in snap.unread}
    assert why == {
        "big.py": "larger than 1 MiB",
        "echo_server.py": "a link",
        "folder_link": "a link",
        "pipe.py": "a named pipe",
        "zero.py": "a link",
    }


def test_names_are_made_printable_once(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    for name in (b"caf\xe9.py", b"\x1b[2Jx.py", b"a\nb.py", "\u202ex.py".encode()):
        with open(os.path.join(root, name), "wb") as f:
            f.write(b"pass\n")
    names = sorted(str(p) for p in read_tree(tmp_path).python())
    assert names == ["\\u202ex.py", "\\x1b[2Jx.py", "a\\x0ab.py", "caf\\xe9.py"]


def test_the_walk_is_breadth_first_and_capped(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * 40)
    deep.mkdir(parents=True)
    (deep / "deep.py").write_text("pass\n")
    for i in range(30):
        (tmp_path / f"f{i:02d}.py").write_text("pass\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    snap = read_tree(tmp_path)
    assert "deep.py" not in {p.name for p in snap.python()}
    assert snap.cut == ("folders deeper than 32 levels were not read.",)
    assert not any(".git" in p.parts for p in snap.names())
    cut: list[str] = []
    seen = [e.parts for e in walk(tmp_path, max_entries=10, cut=cut)]
    assert len(seen) == 10 and all(len(p) == 1 for p in seen)  # the root's entries first
    assert cut and "more than 10 files and folders" in cut[0]


def test_remove_tree_goes_as_deep_as_it_must_and_follows_no_link(tmp_path: Path) -> None:
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    doomed = tmp_path / "doomed"
    fd = os.open(tmp_path, os.O_RDONLY)
    os.mkdir("doomed", dir_fd=fd)
    for _ in range(1200):
        below = os.open("doomed" if _ == 0 else "d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
        os.mkdir("d", dir_fd=fd)
    os.symlink(str(keep), "link", dir_fd=fd)
    os.close(fd)
    remove_tree(doomed)
    assert not doomed.exists()
    assert (keep / "precious").read_text() == "x"


def test_a_git_folder_counts_only_if_it_is_a_real_folder_inside(tmp_path: Path) -> None:
    alice = make_repo(tmp_path / "alice", EXAMPLES / "passes_all_legacy")
    assert git_folder(alice) == (alice / ".git", "")
    bob = tmp_path / "bob"
    bob.mkdir()
    (bob / ".git").write_text("gitdir: ../alice/.git\n")
    assert git_folder(bob) == (
        None,
        "its .git is a file pointing elsewhere (gitdir: ../alice/.git)",
    )
    (bob / ".git").unlink()
    (bob / ".git").symlink_to(alice / ".git")
    assert git_folder(bob) == (None, "its .git is a link pointing elsewhere")
    (bob / ".git").unlink()
    assert git_folder(bob) == (None, "")


@pytest.mark.parametrize("attack", ["alternates", "link", "commondir"])
def test_a_history_that_reaches_outside_is_not_copied(tmp_path: Path, attack: str) -> None:
    alice = make_repo(tmp_path / "alice", EXAMPLES / "passes_all_legacy")
    carol = make_repo(tmp_path / "carol", EXAMPLES / "client_sends_nothing")
    objects = carol / ".git" / "objects"
    if attack == "alternates":
        (objects / "info" / "alternates").write_text(str(alice / ".git" / "objects") + "\n")
    elif attack == "link":
        (objects / "pack" / "pack-borrowed.pack").symlink_to(next((alice / ".git").rglob("*")))
    else:
        (carol / ".git" / "commondir").write_text("../../alice/.git\n")
    with pytest.raises(GitFailed):
        copy_history(carol / ".git", dest=tmp_path / "copy")


def test_a_commit_is_written_by_us_and_crafted_paths_stay_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"ok.py": "x = 1\n"})
    run = {"cwd": repo, "capture_output": True, "check": True}
    blob = subprocess.run(["git", "hash-object", "-w", "ok.py"], **run).stdout.decode().strip()
    link = (
        subprocess.run(["git", "hash-object", "-w", "--stdin"], input=b"/etc/passwd", **run)
        .stdout.decode()
        .strip()
    )
    entries = f"100644 blob {blob}\t..\n100644 blob {blob}\t.git\n100644 blob {blob}\tok.py\n"
    entries += f"120000 blob {link}\tsecret.py\n"
    tree = subprocess.run(["git", "mktree"], input=entries.encode(), **run).stdout.decode().strip()
    commit = (
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=a",
                "-c",
                "user.email=b",
                "commit-tree",
                tree,
                "-m",
                "crafted",
            ],
            **run,
        )
        .stdout.decode()
        .strip()
    )
    history = copy_history(repo / ".git", dest=tmp_path / "h.git")
    dest = tmp_path / "out" / "checkout"
    (tmp_path / "out").mkdir()
    assert write_tree(history, commit=commit, dest=dest) == ()
    assert sorted(p.name for p in dest.iterdir()) == ["ok.py", "secret.py"]
    assert os.readlink(dest / "secret.py") == LINK_TARGET
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["checkout"]
    assert History(tmp_path / "h.git").head() == git.Repo(repo).head.commit.hexsha


def test_a_date_no_datetime_can_hold_is_no_date() -> None:
    assert _when("1000000000000000", "+0000") is None  # the year 31690708
    when = _when("1764547200", "-0800")
    assert when is not None and when.utcoffset() is not None and when.year == 2025


# ---------------------------------------------------------------- huge trees, tiny repos


def _git(repo: Path, *args: str, stdin: bytes = b"") -> str:
    run = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True)
    return run.stdout.decode().strip()


def tree_bomb(repo: Path, *, with_pair: bool) -> str:
    """A commit whose folder `a/` names one subtree ten times, eleven levels down: 10^12
    files listed, a few KiB on disk; beside it, at the root, echo_server.py and
    echo_client.py (if with_pair)."""
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=b"x = 1\n")
    tree = _git(
        repo, "mktree", stdin="".join(f"100644 blob {blob}\tf{i}\n" for i in range(10)).encode()
    )
    for _ in range(11):
        tree = _git(
            repo, "mktree", stdin="".join(f"040000 tree {tree}\td{i}\n" for i in range(10)).encode()
        )
    root = f"040000 tree {tree}\ta\n"
    if with_pair:
        for name in ("echo_client.py", "echo_server.py"):
            root += f"100644 blob {_git(repo, 'rev-parse', f'HEAD:{name}')}\t{name}\n"
    top = _git(repo, "mktree", stdin=root.encode())
    commit = _git(repo, "-c", "user.name=a", "-c", "user.email=b", "commit-tree", top, "-m", "bomb")
    _git(repo, "update-ref", "HEAD", commit)
    return commit


def test_a_tree_bomb_is_read_breadth_first_and_its_root_files_are_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", EXAMPLES / "passes_all_send")
    commit = tree_bomb(repo, with_pair=True)
    size = sum(f.stat().st_size for f in (repo / ".git").rglob("*") if f.is_file())
    assert size < 300_000  # the repository stays small
    history = copy_history(repo / ".git", dest=tmp_path / "h.git")
    dest = tmp_path / "checkout"
    notes = write_tree(history, commit=commit, dest=dest)
    server = (EXAMPLES / "passes_all_send" / "echo_server.py").read_bytes()
    assert (dest / "echo_server.py").read_bytes() == server
    assert (dest / "echo_client.py").is_file()
    assert notes == (TOO_MANY,)
    snap = read_tree(dest)
    assert PurePosixPath("echo_server.py") in snap.python()
    remove_tree(dest)


def test_without_the_files_a_cut_tree_says_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", EXAMPLES / "passes_all_send")
    tree_bomb(repo, with_pair=False)
    result = grade(f"file://{repo}", assignment=tiny_assignment(), runner=FakeRunner({}))
    assert result.status is Status.NOT_GRADABLE
    assert "whose tree was too large and was cut (the commit holds more than 20,000" in (
        result.problem
    )


def test_a_folder_too_wide_to_read_gives_its_python_files_first(tmp_path: Path) -> None:
    for i in range(2000):
        (tmp_path / f"n{i:04d}.txt").write_text("")
    (tmp_path / "echo_server.py").write_text("x = 1\n")
    (tmp_path / "echo_client.py").write_text("x = 1\n")
    cut: list[str] = []
    names = [e.name for e in walk(tmp_path, max_entries=50, cut=cut)]
    assert len(names) == 50 and {"echo_client.py", "echo_server.py"} <= set(names)
    assert names == sorted(names)
    assert "the tree was too large and was cut" in cut[0]
