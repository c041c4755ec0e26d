"""Stage 1b, folder -> Snapshot: read the untrusted tree once, and never again.

A submission is a tree someone else made: it may hold links to anywhere (`/etc/shadow`,
`/dev/zero`, `/dev/tty`), named pipes, a 2 GiB sparse file, folders 1200 levels deep,
a million files, names that are not UTF-8 or that hold terminal escapes. `read_tree`
walks it once, breadth first (the files nearest the root first; in a folder too wide to
read whole, its Python files first), and keeps an immutable
`Snapshot`: the names of every entry, and the bytes of each Python file within the caps.
Locate, integrity, static, stage and the similarity sources read the snapshot only; no
later stage opens a file of the submission.

How it stays safe: every folder and file is opened relative to its parent's descriptor
with O_NOFOLLOW, so no link is followed even if one is swapped in while we read; only
regular files are opened (O_NONBLOCK, so a pipe swapped in never blocks) and each read
stops at its cap; the walk is a loop, not a recursion; names are made printable once,
here, so every output (terminal, HTML, JSON, XML) can show them.

`walk` and `copy_regular` are the same reader for other untrusted trees (fetch copies a
repository's history with them); `remove_tree` deletes a tree of ours however deep it is.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # folder levels below the root; real homework is rarely deeper than 5
MAX_ENTRIES = 20_000  # files and folders looked at
MAX_SCAN = 50 * MAX_ENTRIES  # names listed in all, to choose those entries from
MAX_FILE_BYTES = 1 << 20  # a bigger "source" is not a submission: listed, never read
MAX_TOTAL_BYTES = 32 << 20  # of Python read in all
READ = (".py",)  # only these files' bytes are kept; of the others, the name and size
SKIP_DIRS = frozenset(
    {".git", "__pycache__", "node_modules", "site-packages", ".venv", "venv", "env"}
)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class SnapFile:
    """A regular file: its printable path, its size, and its bytes if it is Python."""

    path: PurePosixPath
    size: int
    data: bytes | None = None  # None: not Python, or over a cap (then also in `unread`)


@dataclass(frozen=True, slots=True)
class Unread:
    """An entry that was seen but not read, and why (reported as "a link, not graded")."""

    path: PurePosixPath
    why: str  # what it is: "a link", "a named pipe", "larger than 1 MiB", ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the submission holds, read once; the only view of it later stages get."""

    files: tuple[SnapFile, ...]
    unread: tuple[Unread, ...] = ()
    cut: tuple[str, ...] = ()  # caps the walk hit, one sentence each
    _by_path: Mapping[PurePosixPath, SnapFile] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {f.path: f for f in self.files})

    def data(self, path: PurePosixPath) -> bytes | None:
        """The bytes of a Python file (None when it was not read)."""
        found = self._by_path.get(path)
        return found.data if found is not None else None

    def text(self, path: PurePosixPath, *, limit: int | None = None) -> str:
        data = (self.data(path) or b"")[:limit]
        return data.decode("utf-8", "replace")

    def python(self) -> tuple[PurePosixPath, ...]:
        """Python files that were read, nearest the root first."""
        return tuple(f.path for f in self.files if f.data is not None)

    def names(self) -> tuple[PurePosixPath, ...]:
        """Every entry's path, read or not (links, pipes and big files included)."""
        return tuple(f.path for f in self.files) + tuple(u.path for u in self.unread)


def printable(name: str) -> str:
    """A name as any output can show it: bytes that are not UTF-8 as \\xNN, control and
    format characters (escapes, bidi overrides, newlines) as \\xNN or \\uNNNN."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in name)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry met by `walk`: its names on disk, its lstat, and its folder's descriptor
    (open only until the walk moves on)."""

    parts: tuple[str, ...]  # names on disk (surrogate-escaped), from the root
    dir_fd: int
    st: os.stat_result

    @property
    def name(self) -> str:
        return self.parts[-1]


def walk(
    root: Path,
    *,
    max_depth: int = MAX_DEPTH,
    max_entries: int = MAX_ENTRIES,
    enter: Callable[[tuple[str, ...]], bool] = lambda parts: True,
    cut: list[str] | None = None,
) -> Iterator[Entry]:
    """Every entry under root, breadth first, sorted within a folder, never through a
    link; a folder is entered when `enter(its parts)` says so, and caps hit are said in
    `cut`. A folder with more entries than the cap leaves gives its Python files first,
    so the files at the root are found however wide or deep the tree below them is."""
    said = cut if cut is not None else []
    queue: deque[tuple[str, ...]] = deque([()])
    seen = scanned = 0
    top = os.open(root, _DIR)
    try:
        while queue:
            parts = queue.popleft()
            fd = _open_dir(top, parts)
            if fd is None:
                continue
            try:
                listing, names = _listing(fd, max_entries - seen, MAX_SCAN - scanned)
                scanned += names
                for name, st in listing:
                    seen += 1
                    if stat.S_ISDIR(st.st_mode) and enter((*parts, name)):
                        if len(parts) + 1 > max_depth:
                            _say_once(
                                said, f"folders deeper than {max_depth} levels were not read."
                            )
                            continue
                        queue.append((*parts, name))
                    yield Entry((*parts, name), fd, st)
                if names > len(listing) or scanned >= MAX_SCAN:
                    said.append(
                        f"more than {max_entries:,} files and folders: the tree was too large "
                        "and was cut; only those nearest the root (Python files first) were read."
                    )
                    return
            finally:
                os.close(fd)
    finally:
        os.close(top)


def _say_once(said: list[str], sentence: str) -> None:
    if sentence not in said:
        said.append(sentence)


def _open_dir(top: int, parts: tuple[str, ...]) -> int | None:
    """A folder below top, opened one level at a time, never through a link."""
    fd = os.dup(top)
    try:
        for name in parts:
            nxt = os.open(name, _DIR, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except OSError:
        os.close(fd)
        return None
    return fd


def _listing(fd: int, most: int, scan: int) -> tuple[list[tuple[str, os.stat_result]], int]:
    """At most `most` entries of a folder (Python files first, then by name), by name,
    with their lstat; and how many names it holds (of the first `scan`)."""
    names = 0

    def counted(it: Iterator[os.DirEntry[str]]) -> Iterator[os.DirEntry[str]]:
        nonlocal names
        for entry in itertools.islice(it, max(scan, 0)):
            names += 1
            yield entry

    found: list[tuple[str, os.stat_result]] = []
    with contextlib.suppress(OSError), os.scandir(fd) as it:
        for entry in heapq.nsmallest(max(most, 0), counted(it), key=_first):
            with contextlib.suppress(OSError):
                found.append((entry.name, entry.stat(follow_symlinks=False)))
    return sorted(found, key=lambda e: os.fsencode(e[0])), names


def _first(entry: os.DirEntry[str]) -> tuple[bool, bytes]:
    return (not entry.name.endswith(READ), os.fsencode(entry.name))


def read_regular(name: str, *, dir_fd: int, limit: int) -> bytes | None:
    """The bytes of a regular file, if it is one and holds at most `limit` bytes."""
    try:
        fd = os.open(name, _FILE, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - got))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            got += len(chunk)
        return None  # it grew past the cap while we read
    except OSError:
        return None
    finally:
        os.close(fd)


def copy_regular(name: str, *, dir_fd: int, dest: Path, limit: int) -> bool:
    """Copy a regular file of at most `limit` bytes to dest (a new file), in the kernel."""
    try:
        src = os.open(name, _FILE, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return False
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            left = st.st_size
            while left > 0:
                sent = os.sendfile(out, src, None, min(left, 1 << 24))
                if sent == 0:
                    break
                left -= sent
        finally:
            os.close(out)
        return True
    except OSError:
        return False
    finally:
        os.close(src)


def read_tree(root: Path) -> Snapshot:
    """Read the submission under root once, within the caps (see the module docstring)."""
    files: list[SnapFile] = []
    unread: list[Unread] = []
    cut: list[str] = []
    shown: set[PurePosixPath] = set()
    budget = MAX_TOTAL_BYTES
    for entry in walk(root, enter=lambda parts: parts[-1] not in SKIP_DIRS, cut=cut):
        path = PurePosixPath(*(printable(p) for p in entry.parts))
        if path in shown:  # two names that read alike once made printable
            unread.append(Unread(path, "a second file whose name reads like another's"))
            continue
        shown.add(path)
        if stat.S_ISDIR(entry.st.st_mode):
            continue
        why = _not_graded(entry.st)
        if why is not None:
            unread.append(Unread(path, why))
        elif not entry.name.endswith(READ):
            files.append(SnapFile(path, entry.st.st_size))
        elif entry.st.st_size > MAX_FILE_BYTES:
            unread.append(Unread(path, f"larger than {MAX_FILE_BYTES >> 20} MiB"))
        elif entry.st.st_size > budget:
            unread.append(
                Unread(
                    path,
                    f"beyond the {MAX_TOTAL_BYTES >> 20} MiB of Python the grader reads",
                )
            )
        else:
            data = read_regular(entry.name, dir_fd=entry.dir_fd, limit=MAX_FILE_BYTES)
            if data is None:
                unread.append(Unread(path, "not a readable regular file"))
                continue
            budget -= len(data)
            files.append(SnapFile(path, len(data), data))
    return Snapshot(tuple(files), tuple(unread), tuple(cut))


def _not_graded(st: os.stat_result) -> str | None:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device file"


def remove_tree(root: Path) -> None:
    """Delete a folder however deep it goes (shutil.rmtree recurses, and fails past about
    a thousand levels), one descriptor at a time, never following a link."""
    try:
        fd = os.open(root, _DIR)
    except FileNotFoundError:
        return
    except OSError:
        with contextlib.suppress(OSError):
            root.unlink()
        return
    below: list[str] = []
    try:
        while True:
            sub = _empty_files(fd)
            if sub is not None:
                nxt = os.open(sub, _DIR, dir_fd=fd)
                os.close(fd)
                fd, below = nxt, [*below, sub]
            elif below:
                up = os.open("..", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
                os.close(fd)
                fd = up
                os.rmdir(below.pop(), dir_fd=fd)
            else:
                break
    except OSError as exc:
        log.warning("could not remove all of %s: %s", root, exc)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(root)


def _empty_files(fd: int) -> str | None:
    """Unlink every non-folder in a folder; return one subfolder left, if any."""
    with os.scandir(fd) as it:
        for entry in it:
            if entry.is_dir(follow_symlinks=False):
                return entry.name
            os.unlink(entry.name, dir_fd=fd)
    return None
