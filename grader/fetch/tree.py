"""Write one commit's files into a folder as a checkout would, without `git checkout`.

A checkout applies the repository's filters and attributes (and runs its hooks); here the
blobs are read raw (`git cat-file --batch`) and written by us, so no program named by the
repository can run, and nothing is written outside the folder (every path is checked).

Within caps, because later stages read only what the snapshot keeps: the tree is read
breadth first (the root's files always, then each level of folders), each tree object
once however many times it is named; folders deeper than snapshot.MAX_DEPTH and entries
beyond snapshot.MAX_ENTRIES are left out, and the notes say so; a blob
bigger than snapshot.MAX_FILE_BYTES, or beyond MAX_CONTENT_BYTES in all, becomes a
sparse file of its size (the snapshot lists it as too big, never reads it); a link
becomes a link to nowhere (the snapshot lists it as a link, never follows it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.fetch.history import History
from grader.snapshot import MAX_DEPTH, MAX_ENTRIES, MAX_FILE_BYTES

MAX_CONTENT_BYTES = 64 << 20  # of blobs written with their content
MAX_LISTING = 16 << 20  # bytes of tree objects read at one level of folders
LINK_TARGET = "/nonexistent/a-link-in-the-repository"
_REGULAR = ("100644", "100755", "100664")
_LINK = "120000"
_TREE = "040000"
# What write_tree says when it leaves part of a commit out (Checkout.notes).
TOO_MANY = (
    f"the commit holds more than {MAX_ENTRIES:,} files and folders: the tree was too large "
    "and was cut; those nearest the root (Python files first) were checked out."
)
TOO_DEEP = f"folders deeper than {MAX_DEPTH} levels were not checked out."
TOO_BIG = "a folder of the commit lists too many files to read: the tree was cut there."
CUTS = (TOO_MANY, TOO_DEEP, TOO_BIG)
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
    """The commit's files, read folder by folder from the root (breadth first), within
    the depth and count caps: the files at the root are always among them.

    Each tree object is read once however often the commit names it (a "tree bomb": a
    few KiB whose folders name one subtree ten times, ten levels down, list 10^10
    files), level by level in one `git cat-file --batch` each."""
    root = history.git("rev-parse", "--verify", "-q", f"{sha}^{{tree}}").decode().strip()
    cut: list[str] = []
    found: list[tuple[str, str, tuple[str, ...]]] = []  # (mode, object, parts)
    level: list[tuple[tuple[str, ...], str]] = [((), root)]
    left = MAX_ENTRIES
    while level and left > 0:
        trees = _read_trees(history, {t for _, t in level}, hash_len=len(root) // 2, cut=cut)
        below: list[tuple[tuple[str, ...], str]] = []
        for parts, tree in level:
            entries = trees.get(tree, [])
            if len(entries) > left:
                entries = sorted(entries, key=_priority)[:left]
                _once(cut, TOO_MANY)
            left -= len(entries)
            for mode, name, obj in entries:
                path = (*parts, os.fsdecode(name))
                if not _safe(path):
                    continue
                if mode != _TREE:
                    found.append((mode, obj, path))
                elif len(path) > MAX_DEPTH:
                    _once(cut, TOO_DEEP)
                else:
                    below.append((path, obj))
            if left <= 0:
                break
        level = below
    blobs = _sized(history, [(m, o, p) for m, o, p in found if m in _REGULAR or m == _LINK])
    blobs.sort(key=lambda b: (len(b.parts), b.parts))
    return blobs, tuple(cut)


def _priority(entry: tuple[str, bytes, str]) -> tuple[bool, bool, bytes]:
    """Which entries of a folder too big to read whole come first: Python files, then
    other files, then folders, each by name."""
    mode, name, _ = entry
    return (not name.endswith(b".py"), mode == _TREE, name)


def _read_trees(
    history: History, wanted: set[str], *, hash_len: int, cut: list[str]
) -> dict[str, list[tuple[str, bytes, str]]]:
    """The entries (mode, name, object) of each tree object, read raw."""
    raw = history.git(
        "cat-file",
        "--batch",
        stdin="\n".join(sorted(wanted)).encode() + b"\n",
        max_output=MAX_LISTING,
    )
    if len(raw) >= MAX_LISTING:
        _once(cut, TOO_BIG)
    trees: dict[str, list[tuple[str, bytes, str]]] = {}
    for obj, kind, data in _objects(raw):
        if kind == b"tree":
            trees[obj] = _tree_entries(data, hash_len=hash_len)
    return trees


def _objects(raw: bytes) -> Iterator[tuple[str, bytes, bytes]]:
    """(object, type, bytes) of each whole object in `git cat-file --batch` output."""
    at = 0
    while at < len(raw):
        header_end = raw.find(b"\n", at)
        fields = raw[at:header_end].split() if header_end >= 0 else []
        if len(fields) != 3 or not fields[2].isdigit():
            return  # a missing object, or the output was cut
        end = header_end + 1 + int(fields[2])
        if end > len(raw):
            return
        yield fields[0].decode("ascii", "replace"), fields[1], raw[header_end + 1 : end]
        at = end + 1


def _tree_entries(data: bytes, *, hash_len: int) -> list[tuple[str, bytes, str]]:
    """A tree object's entries: `<mode> <name>\\0<raw object id>`, one after another."""
    entries = []
    at = 0
    while at < len(data):
        space = data.find(b" ", at)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 1 + hash_len > len(data):
            break
        mode = data[at:space].decode("ascii", "replace").zfill(6)
        entries.append((mode, data[space + 1 : nul], data[nul + 1 : nul + 1 + hash_len].hex()))
        at = nul + 1 + hash_len
    return entries


def _sized(history: History, found: list[tuple[str, str, tuple[str, ...]]]) -> list[Blob]:
    """Blobs with their sizes (`git cat-file --batch-check`, one call)."""
    wanted = sorted({obj for _, obj, _ in found})
    sizes: dict[str, int] = {}
    if wanted:
        raw = history.git(
            "cat-file",
            "--batch-check",
            stdin="\n".join(wanted).encode() + b"\n",
            max_output=128 * len(wanted),
        )
        for line in raw.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == b"blob" and fields[2].isdigit():
                sizes[fields[0].decode("ascii", "replace")] = int(fields[2])
    return [Blob(mode, obj, sizes[obj], parts) for mode, obj, parts in found if obj in sizes]


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
