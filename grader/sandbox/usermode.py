"""Isolation.USER's files: the copy of a submission a job's own uid may add to but not
change, what that uid left in the shared temporary folders, and the Landlock rules that
keep the rest of the machine out of its reach (or, without Landlock, the grader's files
made private by permissions alone)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from grader.errors import InfrastructureError
from grader.sandbox import private
from grader.sandbox.command import BOUND, INSIDE_SOURCE
from grader.sandbox.policy import Policy

USER_COPY_BASE = "/tmp"  # world-traversable, sticky
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def user_copy(staged: Path, *, policy: Policy) -> Path:
    """For Isolation.USER: a copy of the graded files and of grader/inside that the
    student's uid can read but not change, in a folder of the job's own (mode 0711, so
    the grader's other folders stay out of reach), and a temporary folder of its own.
    The student may add files next to its own (root-owned, sticky, group-writable by the
    job's group)."""
    # Not under $TMPDIR: the trusted harness points that at a folder of its own (0700).
    root = Path(tempfile.mkdtemp(prefix=f"grader-{policy.job_id}-", dir=USER_COPY_BASE))
    root.chmod(0o711)
    shutil.copytree(INSIDE_SOURCE, root / "inside", ignore=shutil.ignore_patterns("__pycache__"))
    readable_tree(root / "inside")
    fresh_copy(staged, root=root, policy=policy)
    return root


def fresh_copy(staged: Path, *, root: Path, policy: Policy) -> None:
    """(Re)make the job's writable folders: the submission as staged, an empty tmp; so
    nothing one check wrote (a hidden check's input, say) is there for the next.

    Emptied and filled in place, never replaced: the processes started for the next check
    (grader/sandbox/warm.py) already work in them, and their Landlock rules hold the
    folders themselves, not their paths."""
    assert policy.run_as is not None
    uid, gid = policy.run_as
    submission, tmp = root / "submission", root / "tmp"
    for folder in (submission, tmp):
        folder.mkdir(mode=0o700, exist_ok=True)
        _empty(folder)
    shutil.copytree(staged, submission, symlinks=False, dirs_exist_ok=True)
    readable_tree(submission)
    os.chown(submission, 0, gid)
    submission.chmod(0o1770)
    os.chown(tmp, uid, gid)
    tmp.chmod(0o700)


def _empty(folder: Path) -> None:
    """Remove everything in folder (what the student's uid made there included: its
    processes are gone by now), following no link."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def remove_owned(policy: Policy) -> None:
    """Remove what the job's own uid left in the machine's shared temporary folders
    (reachable by it only where Landlock does not restrict it)."""
    uid = policy.run_as[0] if policy.run_as else None
    if uid is None or policy.portable:
        return
    for base in SHARED_TMP:
        with contextlib.suppress(OSError):
            for entry in os.scandir(base):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def private_or_refuse(policy: Policy) -> None:
    """Without Landlock, Isolation.USER keeps the grader's files from student code by
    permissions alone: take other users' permissions off them, or refuse."""
    left = private.make_private(policy.hidden)
    if left:
        raise InfrastructureError(
            f"student code could read the grader's files at {left[0]} (no Landlock here, "
            "and the grader cannot make them private); make them private with `chmod o-rwx "
            f"{left[0]}`, or use bubblewrap."
        )


def landlock(policy: Policy, *, root: Path) -> str:
    """The Landlock prelude of a job's USER-mode processes, whose own folders are under
    `root` (the copy `user_copy` made)."""
    readable = [
        *BOUND,
        *policy.python_prefixes,
        "/etc",
        "/proc",
        str(root / "inside"),
    ]
    python = Path(policy.python)
    if not any(python.is_relative_to(p) for p in readable):
        readable.append(str(python.resolve().parent))
    rules = private.landlock_rules(
        readable,
        writable=[str(root / "submission"), str(root / "tmp")],
        hidden=policy.hidden,
    )
    return private.landlock_prelude(rules, abi=policy.landlock)


def readable_tree(root: Path) -> None:
    """Let every uid read (never write) a tree of files: the student's uid reads the
    graded files."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
