"""The test layers stay obvious: every test module is in tests/unit (mirroring grader/)
or tests/e2e, so none is left out of `testpaths` and each unit test sits where the module
it tests does."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
GRADER = TESTS.parent / "grader"
WHOLE_PACKAGE = {"test_layering.py", "test_functions.py", "test_layout.py"}


def test_every_test_module_is_in_a_layer() -> None:
    stray = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("test_*.py")
        if "examples" not in p.relative_to(TESTS).parts
        and p.relative_to(TESTS).parts[0] not in ("unit", "e2e")
    ]
    assert not stray, f"move {stray} into tests/unit/ (mirroring grader/) or tests/e2e/"


def module_under_test(test: Path) -> Path:
    """grader/<dir>/<name>.py for tests/unit/<dir>/test_<name>.py, or the package
    grader/<dir>/<name>/ (a module split along its jobs), or the package itself
    (grader/<dir>/__init__.py) when <name> is the package's name; tests/unit/bench/
    mirrors the benchmark (bench/ beside grader/) the same way."""
    where = test.parent.relative_to(TESTS / "unit")
    folder = (TESTS.parent if where.parts[:1] == ("bench",) else GRADER) / where
    name = test.stem.removeprefix("test_")
    module = folder / f"{name}.py"
    if not module.exists() and (folder / name / "__init__.py").exists():
        return folder / name / "__init__.py"
    return module if module.exists() or name != folder.name else folder / "__init__.py"


def test_unit_tests_mirror_grader() -> None:
    unit = sorted((TESTS / "unit").rglob("test_*.py"))
    orphans = [
        str(t.relative_to(TESTS))
        for t in unit
        if t.name not in WHOLE_PACKAGE and not module_under_test(t).exists()
    ]
    assert not orphans, f"no grader module matches {orphans}: name them after what they test"


MAX_MODULE_LINES = 400


def test_no_module_of_the_grader_is_over_400_lines() -> None:
    """A module a reader can hold (issue 23): one over the limit is split along its jobs,
    into modules whose names say which (style.md: a stage that outgrows ~300 lines
    becomes a subpackage). Nothing is exempt."""
    long = [
        f"{path.relative_to(GRADER.parent)} is {lines} lines"
        for path in sorted(GRADER.rglob("*.py"))
        if (lines := path.read_bytes().count(b"\n")) > MAX_MODULE_LINES
    ]
    assert not long, "split these along their jobs:\n" + "\n".join(long)


def long_strings(path: Path) -> list[str]:
    """The string constants of more than three lines in a module that are not docstrings
    (a three-line .gitignore or git config is data, not a program)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(GRADER.parent)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.count("\n") > 3
        and id(node) not in docstrings
        and not node.value.startswith("examples:\n")  # the CLI's help, text for people
    ]


def test_no_program_is_embedded_in_a_string() -> None:
    """Programs (shell, SQL, the code student interpreters run first) are real files,
    linted like the rest and read through importlib.resources; text for people, the
    CLI's examples, is not a program."""
    assert [s for p in sorted(GRADER.rglob("*.py")) for s in long_strings(p)] == []
