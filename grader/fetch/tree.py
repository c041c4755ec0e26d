"""Write one commit's files into a folder as a checkout would, without `git checkout`.

A checkout applies the repository's filters and attributes (and runs its hooks); here the
blobs are read raw (`git cat-file --batch`) and written by us, so no program named by the
repository can run, and nothing is written outside the folder (every path is checked).

Within caps, because later stages read only what the snapshot keeps: folders deeper
than snapshot.MAX_DEPTH and entries beyond snapshot.MAX_ENTRIES are left out; a blob
bigger than snapshot.MAX_FILE_BYTES, or beyond MAX_CONTENT_BYTES in all, becomes a
sparse file of its size (the snapshot lists it as too big, never reads it); a link
becomes a link to nowhere (the snapshot lists it as a link, never follows it).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from grader.fetch.history import History
from grader.snapshot import MAX_DEPTH, MAX_ENTRIES, MAX_FILE_BYTES

MAX_CONTENT_BYTES = 64 << 20  # of blobs written with their content
MAX_LISTING = 16 << 20  # bytes of `git ls-tree` output read
LINK_TARGET = "/nonexistent/a-link-in-the-repository"
_REGULAR = ("100644", "100755", "100664")
_LINK = "120000"
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class Blob:
    """One file of the commit: its mode, object, size and path (names on disk)."""

    mode: str
    sha: str
    size: int
    parts: tuple[str, ...]


def write_tree(history: History, *, commit: str, dest: Path) -> tuple[str, ...]:
    """Write the files of a commit into dest (created); return the caps hit."""
    dest.mkdir()
    blobs, cut = _listing(history, commit)
    content = _with_content(blobs)
    _write_content(history, [b for b in blobs if b.sha in content], dest)
    for blob in blobs:
        if blob.mode in _REGULAR and blob.sha not in content:
            _create(dest, blob.parts, size=blob.size)
    for blob in blobs:  # last: no file is ever written through a link made here
        if blob.mode == _LINK:
            with contextlib.suppress(OSError):
                (dest.joinpath(*blob.parts[:-1])).mkdir(parents=True, exist_ok=True)
                os.symlink(LINK_TARGET, dest.joinpath(*blob.parts))
    return cut


def _listing(history: History, sha: str) -> tuple[list[Blob], tuple[str, ...]]:
    """The commit's files nearest the root first, within the depth and count caps."""
    raw = history.git("ls-tree", "-r", "-l", "-z", "--full-tree", sha, max_output=MAX_LISTING)
    cut: list[str] = []
    if len(raw) >= MAX_LISTING:
        cut.append("the commit lists too many files to read them all; the first were read.")
    blobs: list[Blob] = []
    for record in raw.split(b"\0"):
        meta, tab, path = record.partition(b"\t")
        fields = meta.split()
        if not tab or len(fields) != 4 or fields[1] != b"blob":
            continue  # a cut last record, or a submodule
        parts = tuple(os.fsdecode(p) for p in path.split(b"/"))
        if not _safe(parts):
            continue
        if len(parts) - 1 > MAX_DEPTH:
            _once(cut, f"folders deeper than {MAX_DEPTH} levels were not checked out.")
            continue
        mode, _, obj, size = (f.decode("ascii", "replace") for f in fields)
        blobs.append(Blob(mode, obj, int(size) if size.isdigit() else 0, parts))
    blobs.sort(key=lambda b: (len(b.parts), b.parts))
    if len(blobs) > MAX_ENTRIES:
        cut.append(
            f"the commit holds more than {MAX_ENTRIES:,} files; those nearest the "
            "root were checked out."
        )
        blobs = blobs[:MAX_ENTRIES]
    return blobs, tuple(cut)


def _safe(parts: tuple[str, ...]) -> bool:
    """A path that stays inside the folder and names no git folder."""
    return all(p not in ("", ".", "..") and p.lower() != ".git" for p in parts)


def _once(said: list[str], sentence: str) -> None:
    if sentence not in said:
        said.append(sentence)


def _with_content(blobs: list[Blob]) -> set[str]:
    """The blobs written with their bytes: Python first, nearest the root, within caps."""
    chosen: set[str] = set()
    budget = MAX_CONTENT_BYTES
    regular = [b for b in blobs if b.mode in _REGULAR and b.size <= MAX_FILE_BYTES]
    for blob in sorted(regular, key=lambda b: (not b.parts[-1].endswith(".py"), len(b.parts))):
        if blob.sha not in chosen and blob.size <= budget:
            chosen.add(blob.sha)
            budget -= blob.size
    return chosen


def _write_content(history: History, blobs: list[Blob], dest: Path) -> None:
    """Read the blobs raw, all in one `git cat-file --batch`, and write them."""
    wanted = sorted({b.sha for b in blobs})
    if not wanted:
        return
    most = sum({b.sha: b.size for b in blobs}.values()) + 128 * len(wanted)
    raw = history.git(
        "cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n", max_output=most
    )
    data: dict[str, bytes] = {}
    at = 0
    while at < len(raw):
        header_end = raw.find(b"\n", at)
        fields = raw[at:header_end].split()
        if header_end < 0 or len(fields) != 3 or fields[1] != b"blob":
            break
        size = int(fields[2])
        data[fields[0].decode()] = raw[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    for blob in blobs:
        if blob.sha in data:
            _create(dest, blob.parts, data=data[blob.sha])


def _create(dest: Path, parts: tuple[str, ...], *, data: bytes = b"", size: int = 0) -> None:
    """A new file in dest (never through a link), with data or, sparse, of `size`."""
    try:
        parent = dest.joinpath(*parts[:-1])
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent / parts[-1], _NEW, 0o644)
    except OSError:
        return  # a crafted tree (a file and a folder of one name): leave it out
    try:
        if data:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        elif size:
            os.ftruncate(fd, size)
    finally:
        os.close(fd)
