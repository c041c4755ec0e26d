"""The layers of grader/: each imports only layers below it (style.md), the student-side
programs import nothing of the grader, no trusted module imports them, and no file of the
grader names an assignment (what is particular to one lives in its folder)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[2] / "grader"
# Bottom to top: a module may import its own layer and the ones before it.
ORDER = [
    "errors",
    "trace",
    "model",
    "settings",
    "codec",
    "sandbox",
    "protocol",
    "harness",
    "assignment",
    "snapshot",
    "fetch",
    "locate",
    "integrity",
    "static",
    "stage",
    "run",
    "score",
    "pipeline",
    "report",
    "batch",
    "platforms",
    "cli",
]
STUDENT_SIDE = "inside"
ENTRY = {"__init__", "__main__"}  # the package's face: may import anything


def layer(path: Path) -> str:
    return path.relative_to(GRADER).parts[0].removesuffix(".py")


@cache
def imported(path: Path) -> set[str]:
    """Every grader layer a module imports, in any form (from grader.x, from grader import
    x, import grader.x), at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.add(layer(path))  # relative: the module's own package
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "grader" and len(parts) > 1:
                found.add(parts[1])
            elif node.module == "grader":
                found.update(a.name for a in node.names if a.name != "__version__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "grader":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


MODULES = sorted(GRADER.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unknown = {layer(p) for p in MODULES} - set(ORDER) - ENTRY - {STUDENT_SIDE}
    assert not unknown, f"place {sorted(unknown)} in ORDER"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(GRADER)))
def test_no_module_imports_a_later_layer(path: Path) -> None:
    own = layer(path)
    if own in ENTRY or own == STUDENT_SIDE:
        return
    for used in imported(path) - {"__init__"}:
        assert used in ORDER, f"{path.name} imports grader.{used}, which has no layer"
        assert ORDER.index(used) <= ORDER.index(own), f"{path} imports grader.{used}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(GRADER)))
def test_no_trusted_module_imports_the_student_side(path: Path) -> None:
    used = imported(path)
    if layer(path) == STUDENT_SIDE:
        assert not used - {STUDENT_SIDE}, f"{path} (student side) imports the grader"
    else:
        assert STUDENT_SIDE not in used, f"{path} imports grader.inside"
        text = path.read_text()
        assert "import_module" not in text and "__import__" not in text, path


def test_the_student_side_uses_the_standard_library_only() -> None:
    for path in (GRADER / STUDENT_SIDE).glob("*.py"):
        tree = ast.parse(path.read_text())
        roots = {
            (n.module or "").split(".")[0] if isinstance(n, ast.ImportFrom) else a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        assert not {"grader", "pytest", "jinja2", "git"} & roots, path


ASSIGNMENTS = GRADER.parent / "assignments"
# Words that would mean grader/ knows an assignment: every bundled assignment's name, and
# "echo" (the first one's subject: its protocol belongs in its checks, and a shell's
# `echo` is written `printf` so the rule needs no exceptions).
NAMES = sorted({p.parent.name for p in ASSIGNMENTS.glob("*/assignment.toml")} | {"echo"})
FILES = sorted(p for p in GRADER.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_the_assignment_names_are_known() -> None:
    assert {"echo_sockets", "http_server"} <= set(NAMES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(GRADER)))
def test_no_file_of_the_grader_names_an_assignment(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "replace").lower()
    for name in NAMES:
        where = text.find(name)
        assert where < 0, f"{path} line {text.count(chr(10), 0, where) + 1} names {name!r}"
