"""Read a repository's history with git, never with the repository's own configuration.

A repository's `.git/config` can make git run programs: `core.fsmonitor` on every
status, hooks, filter drivers named in `.gitattributes`, `core.sshCommand`, includes of
other files. So git never runs on a submission's own git folder. Its history (HEAD,
refs, objects, shallow; regular files only, never through a link, no alternates, capped)
is copied into a git folder of ours whose configuration is ours, and every git call runs
with the system and global configuration off, no hooks, no fsmonitor, no transport, no
prompt, and a time limit that kills its whole process group.

Only `clone` talks to a remote; it keeps the user's own configuration (for credentials)
but never checks anything out: the files come from `grader.fetch.tree`, which writes
blobs itself, so no filter or hook of the repository can run.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from grader.snapshot import copy_regular, read_regular, walk

GIT_TIMEOUT_S = 30.0
MAX_OUTPUT = 16 << 20  # bytes of one git command's output
MAX_HISTORY_BYTES = 512 << 20  # a homework repository's history is a few MB
MAX_HISTORY_FILES = 100_000
MAX_LATE = 50  # late commits listed (all are counted)
CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"
# Belt and braces on top of a configuration of ours: none of these can be turned on.
NEUTRAL = (
    *("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"),
    *("-c", "core.untrackedCache=false", "-c", "submodule.recurse=false"),
    *("-c", "protocol.allow=never", "-c", "core.sshCommand=false"),
)
# A remote clone keeps the user's configuration (credentials), with these on top.
REMOTE = (
    *("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"),
    *("-c", "protocol.file.allow=never", "-c", "protocol.ext.allow=never"),
    *("-c", "submodule.recurse=false", "-c", "transfer.bundleURI=false"),
)
_PASS = (
    *("PATH", "HOME", "USER", "LOGNAME", "SSH_AUTH_SOCK", "SSL_CERT_FILE", "SSL_CERT_DIR"),
    *("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"),
)
_QUIET = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
_HISTORY = ("HEAD", "packed-refs", "shallow", "refs", "objects")


class GitFailed(Exception):
    """git could not do it: what it said (its first line), and whether time ran out."""

    def __init__(self, said: str, *, timed_out: bool = False, status: int | None = None):
        super().__init__(said)
        self.said = said
        self.timed_out = timed_out
        self.status = status


def neutral_env() -> dict[str, str]:
    """The environment of every git call on untrusted history: nothing of the user's."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "XDG_CONFIG_HOME": "/nonexistent",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_LAZY_FETCH": "1",
        **_QUIET,
    }


def run(
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout_s: float = GIT_TIMEOUT_S,
    stdin: bytes = b"",
    max_output: int = MAX_OUTPUT,
) -> tuple[bytes, bool]:
    """Run git; return its output (at most max_output bytes) and whether it was cut.
    Raises GitFailed when it fails or runs out of time (its process group is killed)."""
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as err:
        given.write(stdin)
        given.seek(0)
        proc = subprocess.Popen(
            ["git", *argv],
            cwd=cwd,
            env=dict(env),
            stdin=given,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
        try:
            out, cut, timed_out = _drain(proc, time.monotonic() + timeout_s, max_output)
        finally:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
        err.seek(0)
        said = err.read(4096).decode("utf-8", "replace")
    if timed_out:
        raise GitFailed(f"git {argv[0]} took longer than {timeout_s:g} s", timed_out=True)
    if proc.returncode != 0 and not cut:
        first = next((ln.strip() for ln in said.splitlines() if ln.strip()), "")
        raise GitFailed(first or f"git {argv[0]} failed", status=proc.returncode)
    return out, cut


def _drain(proc: subprocess.Popen[bytes], deadline: float, most: int) -> tuple[bytes, bool, bool]:
    """Read stdout until it ends, `most` bytes have come, or the deadline passes."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    out = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(out), False, True
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                return bytes(out), False, True
            return bytes(out), False, False
        out += chunk
        if len(out) > most:
            return bytes(out[:most]), True, False


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    time: datetime | None  # None when the recorded date is no real date (year 31690708)


@dataclass(frozen=True, slots=True)
class History:
    """git on a git folder of ours (a copy, or a bare clone): neutral, timed, capped."""

    git_dir: Path
    timeout_s: float = GIT_TIMEOUT_S

    def git(
        self,
        *args: str,
        work_tree: Path | None = None,
        stdin: bytes = b"",
        max_output: int = MAX_OUTPUT,
    ) -> bytes:
        """Run one git command on this history; its output (cut at max_output)."""
        env = {**neutral_env(), "GIT_DIR": str(self.git_dir)}
        env["GIT_INDEX_FILE"] = str(self.git_dir / "grader-index")
        if work_tree is not None:
            env["GIT_WORK_TREE"] = str(work_tree)
        out, _ = run(
            [*NEUTRAL, *args],
            env=env,
            cwd=self.git_dir,
            timeout_s=self.timeout_s,
            stdin=stdin,
            max_output=max_output,
        )
        return out

    def head(self) -> str | None:
        """The commit HEAD names, or None for a repository without commits."""
        try:
            return self.git("rev-parse", "--verify", "-q", "HEAD^{commit}").decode().strip()
        except GitFailed:
            return None

    def branch(self) -> str | None:
        try:
            name = self.git("symbolic-ref", "--short", "-q", "HEAD")
        except GitFailed:
            return None  # detached HEAD
        return name.decode("utf-8", "replace").strip() or None

    def commit(self, sha: str) -> Commit:
        out = self.git("log", "-1", "--format=%H%x00%ct%x00%cz", sha).decode("ascii", "replace")
        full, seconds, zone = (out.strip().split("\0") + ["", ""])[:3]
        return Commit(full, _when(seconds, zone))

    def before(self, deadline: datetime) -> tuple[str | None, tuple[str, ...], int]:
        """The last commit at or before the deadline, and the later ones (listed, counted)."""
        when = deadline.isoformat()
        sha = self.git("rev-list", "-1", f"--before={when}", "HEAD").decode().strip() or None
        late_range = f"{sha}..HEAD" if sha else "HEAD"
        count = int(self.git("rev-list", "--count", late_range).decode().strip() or 0)
        listed = self.git("log", f"-{MAX_LATE}", "--format=%h %cI %s", late_range)
        lines = listed.decode("utf-8", "replace").splitlines()
        return sha, tuple(ln for ln in lines if ln), count

    def dirty(self, work_tree: Path) -> bool:
        """Whether the folder differs from HEAD (changed or new files), judged against a
        fresh index of ours (the repository's own index, and its skip-worktree bits, are
        never used). When git cannot tell in time, the answer is "yes"."""
        try:
            self.git("read-tree", "HEAD")
            out = self.git(
                "status",
                "--porcelain",
                "-z",
                "--untracked-files=normal",
                "--ignore-submodules=all",
                "--no-renames",
                work_tree=work_tree,
                max_output=1 << 20,
            )
        except GitFailed:
            return True
        return bool(out.strip(b"\0"))

    def remote_url(self, config: bytes) -> str | None:
        """The first remote's URL in a repository's config, read as data (no includes)."""
        path = self.git_dir / "student-config"
        path.write_bytes(config)
        try:
            out = self.git(
                "config", "--file", str(path), "--no-includes", "--get-regexp", r"^remote\..*\.url$"
            )
        except GitFailed:
            return None
        first = out.decode("utf-8", "replace").splitlines()[:1]
        return first[0].split(" ", 1)[-1].strip() if first else None


def _when(seconds: str, zone: str) -> datetime | None:
    """A commit date as recorded, or None when it is no date Python can hold."""
    try:
        sign = -1 if zone.startswith("-") else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        tz = timezone(offset) if abs(offset) < timedelta(hours=24) else UTC
    except ValueError:
        tz = UTC
    try:
        return datetime.fromtimestamp(int(seconds), tz)
    except (ValueError, OverflowError, OSError):
        return None


def git_folder(folder: Path) -> tuple[Path | None, str]:
    """The folder's own git folder (`.git`, a real folder inside it), or None and why not.

    A `.git` file (`gitdir: ../alice/.git`) or link points to history outside the
    folder: it is never followed. Parent folders are never searched.
    """
    dot = folder / ".git"
    try:
        st = dot.lstat()
    except OSError:
        return None, ""
    if stat.S_ISDIR(st.st_mode):
        return dot, ""
    pointer = ""
    if stat.S_ISREG(st.st_mode):
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                pointer = (read_regular(".git", dir_fd=fd, limit=4096) or b"").decode(
                    "utf-8", "replace"
                )
            finally:
                os.close(fd)
    said = f" ({pointer.strip()[:200]})" if pointer.strip() else ""
    return None, f"its .git is a {'file' if pointer else 'link'} pointing elsewhere{said}"


def is_bare(folder: Path) -> bool:
    """A bare repository: the folder itself is a git folder."""
    return (
        (folder / "HEAD").is_file()
        and (folder / "objects").is_dir()
        and (folder / "refs").is_dir()
        and not (folder / ".git").exists()
    )


def copy_history(source: Path, *, dest: Path) -> History:
    """Copy a git folder's history into dest, a git folder of ours (see the docstring).

    Raises GitFailed when the history is not all inside the folder (a link, alternates,
    a worktree's commondir) or is too big to read.
    """
    dest.mkdir()
    (dest / "config").write_text(CONFIG)
    cut: list[str] = []
    total = 0
    entries = walk(
        source,
        max_depth=16,
        max_entries=MAX_HISTORY_FILES,
        cut=cut,
        enter=lambda parts: parts[0] in ("refs", "objects"),
    )
    for entry in entries:
        if entry.parts == ("commondir",):
            raise GitFailed("it is a worktree of a repository kept elsewhere")
        if entry.parts[0] not in _HISTORY:
            continue
        if entry.parts[-2:] == ("info", "alternates") and entry.parts[0] == "objects":
            raise GitFailed("it borrows objects from another repository (alternates)")
        target = dest.joinpath(*entry.parts)
        if stat.S_ISDIR(entry.st.st_mode):
            target.mkdir(exist_ok=True)
            continue
        total += entry.st.st_size
        if total > MAX_HISTORY_BYTES:
            raise GitFailed(f"its history is larger than {MAX_HISTORY_BYTES >> 20} MiB")
        if not copy_regular(entry.name, dir_fd=entry.dir_fd, dest=target, limit=MAX_HISTORY_BYTES):
            raise GitFailed(f"{'/'.join(entry.parts)} is a link or not a regular file")
    if cut:
        raise GitFailed(f"its history is too big to read whole: {cut[0]}")
    return History(dest)


def clone(url: str, *, dest: Path, timeout_s: float, shallow: bool) -> History:
    """A bare clone (nothing checked out, so nothing of the repository runs)."""
    env = {k: v for k in _PASS if (v := os.environ.get(k)) is not None}
    env.update(_QUIET, GIT_SSH_COMMAND="ssh -o BatchMode=yes -o ConnectTimeout=15")
    depth = ["--depth=1"] if shallow else []
    run(
        [*REMOTE, "clone", "--bare", "--no-tags", "--quiet", *depth, "--", url, str(dest)],
        env=env,
        cwd=dest.parent,
        timeout_s=timeout_s,
    )
    return History(dest, timeout_s=GIT_TIMEOUT_S)
