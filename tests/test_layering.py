"""The stages import only earlier stages, the model and the errors (style.md)."""

from __future__ import annotations

import ast
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent / "grader"
ORDER = [
    "errors",
    "model",
    "codec",
    "sandbox",
    "harness",
    "assignment",
    "roster",
    "fetch",
    "locate",
    "integrity",
    "static",
    "stage",
    "run",
    "score",
    "report",
    "exports",
    "similarity",
    "classpage",
    "pipeline",
    "selfcheck",
    "gradebook",
    "batch",
    "progress",
    "view",
    "cli",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("grader."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "grader":
            names.update(a.name for a in node.names if a.name in ORDER)
    return names


def test_no_stage_imports_a_later_stage() -> None:
    for path in GRADER.rglob("*.py"):
        rel = path.relative_to(GRADER)
        own = rel.parts[0].removesuffix(".py")
        if own not in ORDER:
            continue
        for used in _imports(path):
            assert ORDER.index(used) <= ORDER.index(own), f"{rel} imports grader.{used}"


def test_the_trusted_side_never_imports_student_code() -> None:
    for path in (GRADER / "harness").glob("*.py"):
        text = path.read_text()
        assert "import_module" not in text and "__import__" not in text, path
