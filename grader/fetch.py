"""Stage 1 of 7, source -> Checkout: clone a git URL (shallow, time-limited) or take a
local folder, and record exactly what will be graded.

GitPython's errors never leave this module: they become a SourceError whose message is
one sentence with the fix.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import git

from grader.errors import NotGradableError, SourceError
from grader.model import Checkout, CheckoutKind

CLONE_TIMEOUT_S = 60
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a private or missing repo
    "GIT_ASKPASS": "true",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=15",
}


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
    if deadline is not None:
        path = Path(source).expanduser()
        url = source if is_url(source) else str(path.resolve())
        if not is_url(source) and not (path / ".git").exists():
            raise SourceError(f"'{source}' is not a git repository; --deadline needs history.")
        return _clone_at(url, source, dest, timeout_s, deadline)
    if is_url(source):
        return _clone(source, dest, timeout_s)
    path = Path(source).expanduser()
    if not path.exists():
        raise SourceError(
            f"'{source}' is neither an existing folder nor a git URL; give a path to your "
            "clone (e.g. `grade .`) or a URL like https://github.com/you/echo_sockets."
        )
    if not path.is_dir():
        raise SourceError(f"'{source}' is a file; give the folder that holds your files.")
    return _local(source, path.resolve())


def _git_clone(url: str, source: str, dest: Path, timeout_s: float, *options: str) -> git.Repo:
    """Clone without ever prompting; a repository without commits is the student's problem."""
    try:
        repo = git.Repo.clone_from(
            url,
            dest,
            multi_options=["--no-tags", "--quiet", *options],
            env={**os.environ, **_GIT_ENV},
            kill_after_timeout=timeout_s,
        )
    except git.GitCommandError as exc:
        raise SourceError(_clone_problem(source, exc)) from exc
    if not repo.head.is_valid():
        raise SourceError(
            f"the repository {source} has no commits yet; commit and push your files, then "
            "grade again."
        )
    return repo


def _clone(url: str, dest: Path, timeout_s: float) -> Checkout:
    repo = _git_clone(url, url, dest, timeout_s, "--depth=1")
    head = repo.head.commit
    return Checkout(
        source=url,
        path=dest,
        kind=CheckoutKind.GIT_URL,
        url=url,
        branch=_branch(repo),
        commit=head.hexsha,
        commit_time=head.committed_datetime,
    )


def _clone_at(url: str, source: str, dest: Path, timeout_s: float, deadline: datetime) -> Checkout:
    repo = _git_clone(url, source, dest, timeout_s, "--no-checkout")
    try:
        branch = _branch(repo)
        when = deadline.isoformat()
        sha = repo.git.rev_list("-1", f"--before={when}", "HEAD").strip()
        late_range = f"{sha}..HEAD" if sha else "HEAD"
        late = tuple(ln for ln in repo.git.log(late_range, "--format=%h %cI %s").splitlines() if ln)
        if not sha:
            raise NotGradableError(
                f"no commit on the default branch of {source} at or before the deadline "
                f"{when}; {len(late)} commit(s) came later and are not graded."
            )
        repo.git.checkout("--quiet", sha)
    except git.GitCommandError as exc:
        raise SourceError(_clone_problem(source, exc)) from exc
    commit = repo.commit(sha)
    return Checkout(
        source=source,
        path=dest,
        kind=CheckoutKind.GIT_URL if is_url(source) else CheckoutKind.GIT_CLONE,
        url=url,
        branch=branch,
        commit=commit.hexsha,
        commit_time=commit.committed_datetime,
        deadline=deadline,
        late_commits=late,
    )


def _clone_problem(url: str, exc: git.GitCommandError) -> str:
    said = str(exc.stderr or "") + str(exc.stdout or "")
    if "timed out" in said.lower() or exc.status in (-9, -15):
        return f"cloning {url} took longer than {CLONE_TIMEOUT_S} s; check the network and retry."
    if "not found" in said.lower() or "does not exist" in said.lower():
        return (
            f"no repository at {url}; check the address, and that the repository is public "
            "or you have access to it."
        )
    if "could not resolve host" in said.lower():
        return f"cannot reach the host of {url}; check the address and your network."
    first = next((ln.strip() for ln in said.splitlines() if ln.strip()), "git clone failed")
    first = first.removeprefix("stderr:").strip().strip("'")
    return f"could not clone {url} ({first}); check the address and your access to it."


def _local(source: str, path: Path) -> Checkout:
    """A folder is graded as it is on disk, uncommitted changes included."""
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return Checkout(source=source, path=path, kind=CheckoutKind.DIRECTORY)
    try:
        head = repo.head.commit
    except ValueError:
        return Checkout(source=source, path=path, kind=CheckoutKind.DIRECTORY, dirty=True)
    url = next((r.url for r in repo.remotes), None)
    return Checkout(
        source=source,
        path=path,
        kind=CheckoutKind.GIT_CLONE,
        url=url,
        branch=_branch(repo),
        commit=head.hexsha,
        commit_time=head.committed_datetime,
        dirty=repo.is_dirty(untracked_files=True),
    )


def _branch(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:  # detached HEAD
        return None
