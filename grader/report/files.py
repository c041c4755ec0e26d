"""Write output files so that no reader ever sees half of one, and keep results folders
out of git."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, *, text: str) -> Path:
    """Write via a temporary file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


GIT_IGNORE_ALL = (
    "# Written by the grader: reports are not homework. Git ignores this folder and\n"
    "# everything in it (this file too), so `git add -A` never commits them.\n"
    "*\n"
)


def ignore_in_git(folder: Path) -> None:
    """Give a results folder a .gitignore of `*` (unless it has one), so that grading
    inside a repository never leaves files git would pick up."""
    marker = folder / ".gitignore"
    if folder.is_dir() and not (marker.exists() or marker.is_symlink()):
        atomic_write(marker, text=GIT_IGNORE_ALL)
