"""A submission a platform put on disk (uploaded files, or a linked repository), copied
into a folder of the grader's own before anything looks at it.

Only regular files are copied: no link is followed, and no `.git` folder comes along,
so no git configuration, hook or filter of the student's ever runs in the grader's
process (it may be root on a platform). The commit of a linked repository is read from
`.git` as plain text, never through git.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 2000
MAX_BYTES = 64 << 20
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True, slots=True)
class Copied:
    """What was copied, and what a linked repository's .git said about itself."""

    files: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # links, special files, and what went over the caps
    commit: str | None = None
    branch: str | None = None


def copy_submission(src: Path, *, dest: Path) -> Copied:
    """Copy the regular files under `src` (any depth, .git left out) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    skipped: list[str] = []
    total = 0
    if not src.is_dir():
        return Copied(())
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        rel_dir = here.relative_to(src)
        kept = []
        for d in sorted(dirnames):
            if d == ".git" or (here / d).is_symlink():
                if d != ".git":
                    skipped.append((rel_dir / d).as_posix())
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            rel = (rel_dir / name).as_posix()
            if path.is_symlink() or not path.is_file():
                skipped.append(rel)
                continue
            size = path.stat().st_size
            if len(files) >= MAX_FILES or total + size > MAX_BYTES:
                skipped.append(rel)
                continue
            target = dest / rel_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target, follow_symlinks=False)
            files.append(rel)
            total += size
    commit, branch = git_head(src)
    return Copied(tuple(files), tuple(skipped), commit, branch)


def git_head(root: Path) -> tuple[str | None, str | None]:
    """The commit and branch of a repository's checked-out HEAD, read as text (never
    through git or a link), or (None, None); looks in `root` and one level below."""
    for git in (root / ".git", *sorted(root.glob("*/.git"))):
        if git.is_dir() and not git.is_symlink():
            return _head(git)
    return None, None


def _head(git: Path) -> tuple[str | None, str | None]:
    head = _read(git / "HEAD")
    if head is None:
        return None, None
    if _SHA.match(head):
        return head, None
    if not head.startswith("ref: refs/heads/"):
        return None, None
    ref = head.removeprefix("ref: ")
    branch = ref.removeprefix("refs/heads/")
    if ".." in ref or not re.fullmatch(r"[\w./-]+", ref):
        return None, None
    sha = _read(git / ref)
    if sha is None:
        packed = _read(git / "packed-refs", limit=1 << 20) or ""
        sha = next(
            (ln.split()[0] for ln in packed.splitlines() if ln.endswith(f" {ref}")),
            None,
        )
    return (sha if sha and _SHA.match(sha) else None), branch


def _read(path: Path, limit: int = 4096) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            return f.read(limit).decode("ascii", "replace").strip()
    except OSError:
        return None
