"""inside/analyse.py: the static look at a submission, run in the student's interpreter.
Its functions are imported directly; one subprocess run pins its JSON protocol (request
on stdin, JSON lines on the file descriptor it is given: start, answer, end), as
grader/static.py runs it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.inside import analyse

ANALYSE = Path(analyse.__file__)


def tree(source: str) -> ast.Module:
    return ast.parse(source)


def written(tmp_path: Path, name: str, source: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    return str(path)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("print 'hi'\n", ("SyntaxError", 1)),
        ("def f(:\n    pass\n", ("SyntaxError", 1)),
        ("x = 1\n  y = 2\n", ("IndentationError", 2)),
        ("def f():\n    return\n\nbreak\n", ("SyntaxError", 4)),  # found by compile, not parse
    ],
)
def test_a_file_that_does_not_compile_says_why_and_where(
    tmp_path: Path, source: str, error: tuple[str, int]
) -> None:
    found, entry = analyse.compile_file(written(tmp_path, "f.py", source))
    assert found is None
    assert (entry["type"], entry["line"]) == error
    assert entry["msg"] and isinstance(entry["text"], str)


def test_a_file_with_a_nul_byte_or_that_is_missing_is_an_error_not_a_crash(tmp_path: Path) -> None:
    _, nul = analyse.compile_file(written(tmp_path, "nul.py", b"x = 1\x00\n"))
    assert nul["type"] in ("ValueError", "SyntaxError")
    _, missing = analyse.compile_file(str(tmp_path / "missing.py"))
    assert (missing["type"], missing["line"]) == ("FileNotFoundError", None)


def test_a_file_that_compiles_gives_its_tree(tmp_path: Path) -> None:
    found, entry = analyse.compile_file(written(tmp_path, "ok.py", "x = 1\n"))
    assert isinstance(found, ast.Module) and entry == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def client(msg, log_buffer, port=12000):\n    pass\n", (True, 12000)),
        ("def client(msg, log_buffer, *, port=9999):\n    pass\n", (True, 9999)),
        ("def client(msg, log_buffer, **kw):\n    pass\n", (True, None)),
        ("def client(msg, log_buffer):\n    s.connect(('localhost', 10000))\n", (False, 10000)),
        ("SERVER_PORT = 12345\ndef client(msg, log_buffer):\n    pass\n", (False, 12345)),
        ("PORT = True\nPORT2 = 70000\ndef client(msg, log_buffer):\n    pass\n", (False, None)),
        ("def client(msg, log_buffer, port=None):\n    pass\n", (True, None)),
        ("x = 1\n", (False, None)),
    ],
)
def test_where_the_client_connects(source: str, expected: tuple[bool, int | None]) -> None:
    assert analyse.client_port(tree(source)) == expected


@pytest.mark.parametrize(
    ("source", "selects", "threads"),
    [
        ("import select\nselect.select([], [], [])\n", [[2, "select.select"]], []),
        ("from select import poll\np = poll()\n", [[2, "select.poll"]], []),
        ("import selectors\nselectors.DefaultSelector()\n", [[2, "selectors.DefaultSelector"]], []),
        ("import threading as t\nt.Timer(1, f).start()\n", [], [[2, "threading.Timer"]]),
        ("from threading import Thread\nThread(target=f)\n", [], [[2, "threading.Thread"]]),
        (
            "import socketserver\nclass S(socketserver.ThreadingMixIn, X):\n    pass\n",
            [],
            [[2, "socketserver.ThreadingMixIn"]],
        ),
        ("import os\nos.fork()\n", [], [[2, "os.fork"]]),
        ("def select(x):\n    pass\nselect(1)\n", [], []),  # its own select is not select
    ],
)
def test_how_a_server_serves_several_clients(
    source: str, selects: list[list[Any]], threads: list[list[Any]]
) -> None:
    assert analyse.concurrency(tree(source)) == (selects, threads)


def test_functions_that_look_like_the_port_services_task() -> None:
    source = """
import socket
def services(lower, upper):
    return [socket.getservbyport(p) for p in range(lower, upper)]
def list_ports(start=-5, end=None):
    pass
def scan(a, b=1 + 2):
    socket.getservbyport(a)
def helper(a, b):
    pass
def client(lo, hi):
    socket.getservbyport(lo)
def port_of(x):
    pass
"""
    found = analyse.port_functions(tree(source))
    assert [(f["name"], f["rank"], f["bounds"], f["defaults"]) for f in found] == [
        ("services", [0, 0, 0], ["lower", "upper"], ["", ""]),
        ("list_ports", [1, 0, 0], ["start", "end"], ["-5", "None"]),
        ("scan", [0, 1, 1], ["a", "b"], ["", "..."]),
    ]
    assert [f["line"] for f in found] == [3, 5, 7]


def test_a_source_too_big_to_look_at_is_skipped(tmp_path: Path) -> None:
    assert analyse.parse(written(tmp_path, "big.py", "#" * (analyse.MAX_BYTES + 1))) is None
    assert analyse.parse(written(tmp_path, "bad.py", "def (")) is None
    assert analyse.parse(written(tmp_path, "ok.py", "x = 1")) is not None


REQUEST = {
    "tasks": [
        {"kind": "file", "path": "echo_server.py"},
        {"kind": "file", "path": "hw/echo_client.py"},
        {"kind": "multi", "path": "select_server.py"},
        {"kind": "multi", "path": "broken_server.py"},
        {"kind": "scan", "path": "hw/echo_client.py"},
        {"kind": "scan", "path": "ports.py"},
    ]
}


def submission(folder: Path) -> None:
    (folder / "hw").mkdir()
    (folder / "echo_server.py").write_text("print 'python 2'\n")
    (folder / "hw" / "echo_client.py").write_text(
        "def client(msg, log_buffer, port=10000):\n    return msg\n"
    )
    (folder / "select_server.py").write_text("import select\nselect.select([], [], [])\n")
    (folder / "broken_server.py").write_text("def (\n")
    (folder / "ports.py").write_text(
        "import socket\ndef services(lo=1, hi=2):\n    return socket.getservbyport(lo)\n"
    )


ANSWERS = [
    {"error": {"type": "SyntaxError", "line": 1, "text": "print 'python 2'"}},
    {"accepts_port": True, "port_literal": 10000},
    {"select": [[2, "select.select"]], "threads": []},
    {"error": True},
    {"functions": []},
    {
        "functions": [
            {
                "rank": [0, 0, 0],
                "name": "services",
                "line": 2,
                "bounds": ["lo", "hi"],
                "defaults": ["1", "2"],
            }
        ]
    },
]
EXPECTED = [
    line for i, a in enumerate(ANSWERS) for line in ({"start": i}, {"done": i, "answer": a})
]
EXPECTED.append({"end": True})


def without_messages(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer lines, minus the interpreter's wording of the syntax error."""
    error = lines[1]["answer"]["error"]
    assert error.pop("msg")
    return lines


def test_analyse_says_which_file_it_is_on_and_answers_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission(tmp_path)
    monkeypatch.chdir(tmp_path)
    said: list[dict[str, Any]] = []
    analyse.analyse(REQUEST["tasks"], say=said.append)
    assert without_messages(said) == EXPECTED


def test_the_protocol_request_on_stdin_json_lines_on_the_answer_fd(tmp_path: Path) -> None:
    """As grader/static.py runs it: `python -I -S -B analyse.py FD` in the copies."""
    submission(tmp_path)
    answer_r, answer_w = os.pipe()
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-B", str(ANALYSE), str(answer_w)],
            input=json.dumps(REQUEST),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            pass_fds=(answer_w,),
        )
    finally:
        os.close(answer_w)
    with os.fdopen(answer_r, encoding="utf-8") as answer:
        lines = [json.loads(line) for line in answer]
    assert done.stdout == done.stderr == ""
    assert without_messages(lines) == EXPECTED
