"""Write output files so that no reader ever sees half of one, CSV that no spreadsheet
runs as a formula, and results folders git leaves alone."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

# OWASP's CSV injection rule: a cell starting with one of these is a formula (or, with a
# TAB or CR first, becomes one in some spreadsheets once the blank is trimmed).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


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


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading `'` before `= + - @`, TAB or CR
    (a plain number, such as a score, stays a number)."""
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_uncell(text: str) -> str:
    """The value `csv_cell` guarded, for reading our own CSV back."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def csv_text(
    rows: Iterable[Sequence[object]], *, delimiter: str = ",", lineterminator: str = "\n"
) -> str:
    """Rows as CSV, every cell through `csv_cell`: the one writer of every CSV we make."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return buf.getvalue()
