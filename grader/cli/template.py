"""`grade template [DIR]`: write the assignment's student template into DIR, for students
who installed the grader (pip, pipx) and never cloned its repository."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import NoReturn, TextIO

from grader import assignment
from grader.cli.paths import writable_folder
from grader.errors import AssignmentError, ExitCode, UsageError
from grader.model import Assignment


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `grade template --help`.")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="grade template",
        description="Write the starting files of an assignment into a folder.",
    )
    p.add_argument("folder", nargs="?", type=Path, help="where to write (default: ./<assignment>)")
    p.add_argument("--assignment", help=assignment.help_text())
    return p


def write(folder: Path, *, template: Path) -> list[str]:
    """Copy the template's files into folder (made if missing); never overwrite a file."""
    files = sorted(
        p.relative_to(template)
        for p in template.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    taken = [str(f) for f in files if (folder / f).exists() or (folder / f).is_symlink()]
    if taken:
        raise UsageError(
            f"{folder / taken[0]} already exists; give `grade template` a new or empty folder."
        )
    for f in files:
        (folder / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template / f, folder / f)
    return [str(f) for f in files]


def main(argv: list[str], *, out: TextIO) -> int:
    args = _parser().parse_args(argv)
    spec = assignment.load(args.assignment)
    if spec.template_dir is None or not spec.template_dir.is_dir():
        raise UsageError(f"assignment {spec.name} has no student template to write.")
    folder = args.folder or Path(spec.name)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; give `grade template` a folder.")
    writable_folder(folder, option="grade template")
    written = write(folder, template=spec.template_dir)
    print(f"wrote the {spec.name} template to {folder}/: {', '.join(written)}", file=out)
    readme = " (start with its README.md)" if "README.md" in written else ""
    print(f"next: fill it in{readme}, then run `grade {folder}{_which(spec)}`.", file=out)
    return int(ExitCode.OK)


def _which(spec: Assignment) -> str:
    """The --assignment option `grade` needs for this assignment ('' for the default)."""
    try:
        if assignment.find(None) == spec.root:
            return ""
    except AssignmentError:
        pass
    bundled = spec.root == assignment.ASSIGNMENTS_DIR / spec.name
    return f" --assignment {spec.name if bundled else spec.root}"
