"""Where the command line writes: checked before any work, so a mistyped `--out` is one
sentence (exit 2) and not a traceback after minutes of grading."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.errors import UsageError


def writable_folder(path: Path, *, option: str) -> Path:
    """path as a folder we can write in, or can create (nothing is created here: a run
    that stops before writing leaves no folder behind), or UsageError."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file; give a folder (it is created if missing).")
    there = path.absolute()
    while not there.exists() and there != there.parent:
        there = there.parent
    try:
        if not there.is_dir():
            raise NotADirectoryError(20, os.strerror(20))
        fd, probe = tempfile.mkstemp(dir=there, prefix=".grade-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot write there ({exc.strerror or exc}); give a folder you "
            "can write to."
        ) from exc
    return path


def writable_file(path: Path, *, option: str) -> Path:
    """path as a file we can write (in a folder that is there or can be made), or
    UsageError."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give the path of a file to write.")
    writable_folder(path.parent, option=f"{option} {path}: its folder")
    return path


def ours(out: Path, *, default: Path) -> bool:
    """Whether the output folder is the grader's own: the default grades/, or one this run
    makes. Only those get a .gitignore (a folder the user named, say `.`, is theirs)."""
    return out == default or not (out.exists() or out.is_symlink())
