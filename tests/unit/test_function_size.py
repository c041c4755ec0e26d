"""Functions a reader can hold (style.md, issue 14): nothing in grader/ over 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

GRADER = Path(__file__).resolve().parents[2] / "grader"
MAX_LINES = 60


def functions(path: Path) -> list[tuple[str, int, int]]:
    """Every function and method of a module, nested ones too: (name, line, length).
    The length runs from `def` to the last line of the body, docstring included;
    decorators are not counted."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            found.append((node.name, node.lineno, end - node.lineno + 1))
    return found


def test_no_function_in_grader_is_over_60_lines() -> None:
    long = [
        f"{path.relative_to(GRADER.parent)}:{line} {name}() is {length} lines"
        for path in sorted(GRADER.rglob("*.py"))
        for name, line, length in functions(path)
        if length > MAX_LINES
    ]
    assert not long, "split these functions:\n" + "\n".join(long)


def test_the_measure_counts_from_def_to_the_last_line(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "@decorator\ndef f():\n    '''doc'''\n\n    def inner():\n        pass\n    return 1\n"
    )
    assert functions(module) == [("f", 2, 6), ("inner", 5, 2)]
