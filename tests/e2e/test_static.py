"""Static look at the files: Python 2 and syntax errors, and where the client connects."""

from __future__ import annotations

from pathlib import Path

from support import EXAMPLES, static_look

from grader.locate import locate
from grader.model import Assignment
from grader.snapshot import read_tree


def test_python2_is_named_with_its_line_and_fix(echo_assignment: Assignment) -> None:
    root = EXAMPLES / "python2"
    found = static_look(root, echo_assignment)
    server = next(p for p in found.problems if p.role == "server")
    assert server.python2
    assert "Python 2" in server.message and "print(..., file=log_buffer)" in server.message
    assert server.line is not None and "print >>" in server.source_line


def test_syntax_error_names_file_and_line(echo_assignment: Assignment) -> None:
    root = EXAMPLES / "syntax_error"
    found = static_look(root, echo_assignment)
    (problem,) = found.problems
    assert problem.role == "client" and not problem.python2
    assert "does not compile" in problem.message and f"line {problem.line}" in problem.message


def test_client_port_is_read_from_source(echo_assignment: Assignment) -> None:
    for name, accepts, literal in (
        ("legacy_port_12000", False, 12000),
        ("passes_all_legacy", False, 10000),
        ("passes_all_port_arg", True, 10000),
    ):
        root = EXAMPLES / name
        found = static_look(root, echo_assignment)
        assert (found.client_accepts_port, found.client_port_literal) == (accepts, literal), name


def test_locate_prefers_root_then_subfolder_then_lookalike(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    sub = EXAMPLES / "in_subfolder"
    located = locate(read_tree(sub), assignment=echo_assignment)
    assert [str(f.path) for f in located.files] == [
        "session04/echo_server.py",
        "session04/echo_client.py",
    ]
    (tmp_path / "sm_echo_server.py").write_text("s.bind(('127.0.0.1', 10000)); s.listen()")
    (tmp_path / "echo_server_select.py").write_text("s.bind(x); s.listen(); select.select()")
    (tmp_path / "echo_client.py").write_text("def client(msg): pass")
    located = locate(read_tree(tmp_path), assignment=echo_assignment)
    server = located.get("server")
    assert server is not None and str(server.path) == "sm_echo_server.py"
    assert "looks like it" in server.reason
