"""The autograder zip: setup.sh and run_autograder at its root (the package's own files),
grader.env, the grader as a wheel, and the assignment folder it grades."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from grader import __version__
from grader.errors import UsageError
from grader.model import Assignment
from grader.platforms.gradescope import scripts
from grader.platforms.wheel import rebuild_installed

STUDENT_USER = "student"  # what setup.sh creates, as Gradescope's best practices suggest
TIME_LIMIT_S = 540  # run_autograder's own limit, under Gradescope's 10 minutes


def build(
    assignment: Assignment,
    *,
    out: Path,
    wheel: Path | None = None,
) -> Path:
    """Write the autograder zip: setup.sh, run_autograder, the grader as a wheel, and
    the assignment folder (with its reference and template) it grades."""
    with tempfile.TemporaryDirectory(prefix="grader-zip-") as tmp:
        built = wheel or build_wheel(Path(tmp))
        if not built.is_file() or built.suffix != ".whl":
            raise UsageError(f"--wheel {built} is not a wheel file; build one with pip wheel.")
        base, parts = assignment_files(assignment)
        rel_root = assignment.root.relative_to(base).as_posix()
        env = scripts.grader_env(
            assignment_dir="assignment" if rel_root == "." else f"assignment/{rel_root}",
            wheel=built.name,
            version=__version__,
            user=STUDENT_USER,
            time_limit_s=TIME_LIMIT_S,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            _add(z, "setup.sh", scripts.setup_sh(), 0o755)
            _add(z, "run_autograder", scripts.run_autograder(), 0o755)
            _add(z, "grader.env", env.encode(), 0o644)
            _add(z, built.name, built.read_bytes(), 0o644)
            for path in parts:
                name = f"assignment/{path.relative_to(base).as_posix()}"
                _add(z, name, path.read_bytes(), 0o644)
        partial.replace(out)
    return out


def assignment_files(assignment: Assignment) -> tuple[Path, list[Path]]:
    """The files of the assignment folder, its reference, its template and its data
    folders, and the folder they share, so the relative paths in assignment.toml hold."""
    roots = [r for r in (assignment.root, assignment.reference_dir, assignment.template_dir) if r]
    roots += [d.source for d in assignment.data]
    base = Path(os.path.commonpath([str(r) for r in roots]))
    files = sorted(
        {
            p
            for r in roots
            for p in r.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }  # a reference or template inside the assignment folder is listed once
    )
    return base, files


def _add(z: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def source_root() -> Path | None:
    """This grader's source tree (pyproject.toml beside the package), if it is one."""
    root = Path(__file__).resolve().parents[3]  # grader/platforms/gradescope/bundle.py
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


def build_wheel(dest: Path) -> Path:
    """Build the grader's wheel from its source with pip (whatever the build backend),
    in a copy of the source so the tree is left untouched; from a plain install, rebuild
    it from the installed files."""
    root = source_root()
    if root is None:  # a plain install: its own files, as its wheel held them
        return rebuild_installed(dest)
    copy = dest / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    copy.mkdir()
    for name in (
        "pyproject.toml",
        "hatch_build.py",
        "README.md",
        "LICENSE",
        "setup.py",
        "setup.cfg",
        "MANIFEST.in",
    ):
        if (root / name).is_file():
            shutil.copy2(root / name, copy / name)
    for folder in ("grader", "assignments", "reference", "student_template"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, copy / folder, ignore=ignore)
    wheels = dest / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(copy)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    built = sorted(wheels.glob("grader-*.whl")) if wheels.is_dir() else []
    if done.returncode != 0 or not built:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise UsageError(
            f"pip could not build the grader's wheel ({said[-1] if said else done.returncode}); "
            "check that pip can reach PyPI for the build backend, or pass --wheel FILE."
        )
    return built[-1]
