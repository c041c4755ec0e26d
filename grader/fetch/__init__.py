"""Stage 1 of 7, source -> Checkout: take a folder as it is, or a commit of a repository
written into a folder, and record exactly what will be graded.

Nothing of a submission's repository configuration ever runs (grader/fetch/history.py):
its history is read by git on a copy with a configuration of ours, a remote is cloned
bare, and a commit's files are written by us (grader/fetch/tree.py). Sources:

- a git URL (https, ssh, git): a bare clone (shallow unless `deadline`), then HEAD's
  (or the deadline's) commit written into `dest`;
- `file://PATH`, or a bare repository's folder: the same, from a copy of its history;
- a folder: graded as it is on disk, uncommitted changes included. Its own `.git` (a
  real folder inside it) says which commit it claims and whether it has changes; a `.git`
  that is a file or a link points to history elsewhere and is never followed (the folder
  is graded as a plain folder, no commit claimed); a repository around the folder is
  never searched for. With `deadline`, the folder's own history is required.

git's failures never leave this package: they become a SourceError or NotGradableError
whose message is one sentence with the fix.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from grader.errors import NotGradableError, SourceError
from grader.fetch.history import (
    GitFailed,
    History,
    clone,
    copy_history,
    git_folder,
    is_bare,
)
from grader.fetch.tree import write_tree
from grader.model import Checkout, CheckoutKind
from grader.snapshot import read_regular

CLONE_TIMEOUT_S = 60
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


def fetch(
    source: str,
    *,
    dest: Path,
    timeout_s: float = CLONE_TIMEOUT_S,
    deadline: datetime | None = None,
) -> Checkout:
    """Make the submission available on disk and record exactly what will be graded.

    With a deadline, the last commit of the default branch at or before it is graded
    (commit dates come from the repository and can be forged) and later ones are listed.
    """
    ours = dest.with_name(dest.name + ".git")  # our copy of the history, or a bare clone
    if is_url(source) and not source.startswith("file://"):
        history = _clone(source, ours, timeout_s, shallow=deadline is None)
        return _committed(source, history, dest, CheckoutKind.GIT_URL, deadline, url=source)
    path = _folder(source)
    if source.startswith("file://"):
        history = _copy(source, _own_history(source, path), ours)
        return _committed(source, history, dest, CheckoutKind.GIT_URL, deadline, url=source)
    if deadline is not None or is_bare(path):
        history = _copy(source, _own_history(source, path), ours)
        return _committed(source, history, dest, CheckoutKind.GIT_CLONE, deadline, url=None)
    return _local(source, path, ours)


def _folder(source: str) -> Path:
    """The folder a local source names (a path, or a file:// URL)."""
    path = Path(source.removeprefix("file://")).expanduser()
    if not path.exists():
        if source.startswith("file://"):
            raise SourceError(
                f"no repository at {source}; check the address, and that the repository "
                "is public or you have access to it."
            )
        raise SourceError(
            f"'{source}' is neither an existing folder nor a git URL; give a path to your "
            "clone (e.g. `grade .`) or a URL like https://github.com/you/homework."
        )
    if not path.is_dir():
        raise SourceError(f"'{source}' is a file; give the folder that holds your files.")
    return path.resolve()


def _own_history(source: str, path: Path) -> Path:
    """The git folder whose history a source needs: its own, inside it, or refuse."""
    if is_bare(path):
        return path
    found, why = git_folder(path)
    if found is None:
        detail = f": {why}" if why else ""
        raise SourceError(
            f"'{source}' is not a git repository of its own{detail}; --deadline and file:// "
            "read a submission's own history (a .git folder inside it), so grade a clone."
        )
    return found


def _copy(source: str, git_dir: Path, dest: Path) -> History:
    try:
        return copy_history(git_dir, dest=dest)
    except (GitFailed, OSError) as exc:
        raise SourceError(
            f"the history of {source} cannot be read safely ({exc}); grade a fresh clone of "
            "the repository instead."
        ) from exc


def _clone(url: str, dest: Path, timeout_s: float, *, shallow: bool) -> History:
    try:
        return clone(url, dest=dest, timeout_s=timeout_s, shallow=shallow)
    except GitFailed as exc:
        raise SourceError(_clone_problem(url, exc, timeout_s)) from exc


def _committed(
    source: str,
    history: History,
    dest: Path,
    kind: CheckoutKind,
    deadline: datetime | None,
    *,
    url: str | None,
) -> Checkout:
    """A commit of a history (HEAD, or the last at or before the deadline) written into
    dest, and what it is."""
    late: tuple[str, ...]
    try:
        head = history.head()
        if head is None:
            raise SourceError(
                f"the repository {source} has no commits yet; commit and push your files, "
                "then grade again."
            )
        sha, late = head, ()
        if deadline is not None:
            sha, late = _at_deadline(source, history, deadline)
        notes = write_tree(history, commit=sha, dest=dest)
        commit = history.commit(sha)
        branch = history.branch()
    except GitFailed as exc:
        raise SourceError(
            f"could not read the commits of {source} ({exc.said}); check that it is a git "
            "repository, and grade a fresh clone of it."
        ) from exc
    return Checkout(
        source=source,
        path=dest,
        kind=kind,
        url=url,
        branch=branch,
        commit=commit.sha,
        commit_time=commit.time,
        deadline=deadline,
        late_commits=late,
        notes=notes,
    )


def _at_deadline(source: str, history: History, deadline: datetime) -> tuple[str, tuple[str, ...]]:
    sha, late, count = history.before(deadline)
    if sha is None:
        raise NotGradableError(
            f"no commit on the default branch of {source} at or before the deadline "
            f"{deadline.isoformat()}; {count} commit(s) came later and are not graded."
        )
    return sha, late


def _local(source: str, path: Path, scratch: Path) -> Checkout:
    """A folder is graded as it is on disk, uncommitted changes included; its own .git,
    if any, says which commit that is."""
    plain = Checkout(source=source, path=path, kind=CheckoutKind.DIRECTORY)
    found, why = git_folder(path)
    if found is None:
        if not why:
            return plain
        return _plain(plain, f"{why}; it was not followed")
    try:
        history = copy_history(found, dest=scratch)
        head = history.head()
        if head is None:
            return _plain(plain, "its repository has no commits yet", dirty=True)
        commit = history.commit(head)
        branch = history.branch()
        dirty = history.dirty(path)
    except (GitFailed, OSError) as exc:
        return _plain(plain, f"its history cannot be read safely ({exc})")
    return Checkout(
        source=source,
        path=path,
        kind=CheckoutKind.GIT_CLONE,
        url=history.remote_url(_config(found)),
        branch=branch,
        commit=commit.sha,
        commit_time=commit.time,
        dirty=dirty,
    )


def _plain(checkout: Checkout, why: str, *, dirty: bool = False) -> Checkout:
    note = f"{why}: graded as a plain folder, no commit claimed."
    return Checkout(
        source=checkout.source,
        path=checkout.path,
        kind=CheckoutKind.DIRECTORY,
        dirty=dirty,
        notes=(note,),
    )


def _config(git_dir: Path) -> bytes:
    """A repository's config file, as data (capped)."""
    fd = os.open(git_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        return read_regular("config", dir_fd=fd, limit=64 << 10) or b""
    finally:
        os.close(fd)


def _clone_problem(url: str, exc: GitFailed, timeout_s: float) -> str:
    said = exc.said.lower()
    if exc.timed_out:
        return f"cloning {url} took longer than {timeout_s:g} s; check the network and retry."
    if "not found" in said or "does not exist" in said or "not appear to be a git" in said:
        return (
            f"no repository at {url}; check the address, and that the repository is public "
            "or you have access to it."
        )
    if "could not resolve host" in said:
        return f"cannot reach the host of {url}; check the address and your network."
    first = exc.said.removeprefix("fatal:").strip().strip("'") or "git clone failed"
    return f"could not clone {url} ({first}); check the address and your access to it."
