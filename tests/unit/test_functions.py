"""Functions a reader can hold (style.md, issue 14): nothing in grader/ over 60 lines, and
public functions take one positional subject, every option by keyword; and modules too
(issue 23): none over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

GRADER = Path(__file__).resolve().parents[2] / "grader"
MAX_LINES = 60
# Public functions that still take more than one positional argument, all in code that
# open issues are changing (11: intake and the student side; 15: sandbox, cluster, view;
# 16: the harness and its checks). Take a name off this list when you fix it; never add one.
SEVERAL_POSITIONAL = {
    "harness/diagnosis.py:student_traceback",
    "harness/evidence.py:Check.explain",
    "harness/evidence.py:Check.hung",
    "harness/fixtures/checks.py:staged_name",
    "harness/fixtures/client_side.py:Served.of",
    "harness/idle.py:wait_until",
    "harness/peers/client.py:exchange",
    "harness/peers/client.py:connect_and_close",
    "harness/peers/servers.py:Scramble.apply",
    "harness/student/server.py:StudentServer.start",
    "harness/student/answer.py:Answer.read",
    "harness/student/calls.py:call_client",
    "harness/student/calls.py:call_function",
    "harness/student/runner.py:run_runner",
    "inside/runner.py:call_client",
    "inside/runner.py:call_function",
    "inside/runner.py:signature",
    "inside/runner.py:run",
}
MODULES = sorted(GRADER.rglob("*.py"))


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


def public_functions(path: Path) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and methods of public classes, by qualified name; dunder
    methods, pytest hooks and fixtures (pytest fills their parameters) are left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [
                (f"{node.name}.{m.name}", m)
                for m in node.body
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return [
        (name, f)
        for name, f in found
        if not f.name.startswith("_")
        and not f.name.startswith("pytest_")
        and not any("fixture" in ast.unparse(d) for d in f.decorator_list)
    ]


def positional(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args.posonlyargs + function.args.args
    return [a.arg for a in args if a.arg not in ("self", "cls")]


def test_no_function_in_grader_is_over_60_lines() -> None:
    long = [
        f"{path.relative_to(GRADER.parent)}:{line} {name}() is {length} lines"
        for path in MODULES
        for name, line, length in functions(path)
        if length > MAX_LINES
    ]
    assert not long, "split these functions:\n" + "\n".join(long)


def test_public_functions_take_one_positional_subject() -> None:
    found = {
        f"{path.relative_to(GRADER).as_posix()}:{name}": positional(function)
        for path in MODULES
        for name, function in public_functions(path)
        if len(positional(function)) > 1
    }
    new = sorted(f"{where}({', '.join(args)})" for where, args in found.items())
    new = [n for n in new if n.split("(")[0] not in SEVERAL_POSITIONAL]
    assert not new, "make every parameter but the first keyword-only (after *):\n" + "\n".join(new)
    fixed = sorted(SEVERAL_POSITIONAL - set(found))
    assert not fixed, "these take one positional subject now; remove them from the list:\n" + (
        "\n".join(fixed)
    )


def test_the_measures(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "@decorator\n"
        "def f(a, b=1, *, c):\n"
        "    '''doc'''\n"
        "\n"
        "    def inner():\n"
        "        pass\n"
        "    return 1\n"
        "class K:\n"
        "    def m(self, x, /, y): ...\n"
        "    def _private(self, x, y): ...\n"
        "    def __init__(self, x, y): ...\n"
        "@pytest.fixture\n"
        "def fixture(request, config): ...\n"
    )
    sizes = {name: (line, length) for name, line, length in functions(module)}
    assert (sizes["f"], sizes["inner"], sizes["m"]) == ((2, 6), (5, 2), (9, 1))
    assert {name: positional(f) for name, f in public_functions(module)} == {
        "f": ["a", "b"],
        "K.m": ["x", "y"],
    }
