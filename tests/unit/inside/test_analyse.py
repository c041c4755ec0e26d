"""inside/analyse.py: the static look at a submission, run in the student's interpreter.
Its functions are imported directly; one subprocess run pins its JSON protocol (request
on stdin, one answer object on stdout), as grader/static.py runs it."""

from __future__ import annotations

import ast
import json
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
    found = analyse.port_functions("hw/p.py", tree(source))
    assert [(f["name"], f["rank"], f["bounds"], f["defaults"]) for f in found] == [
        ("services", [0, 0, 0], ["lower", "upper"], ["", ""]),
        ("list_ports", [1, 0, 0], ["start", "end"], ["-5", "None"]),
        ("scan", [0, 1, 1], ["a", "b"], ["", "..."]),
    ]
    assert {f["path"] for f in found} == {"hw/p.py"}
    assert [f["line"] for f in found] == [3, 5, 7]


def test_a_source_too_big_to_look_at_is_skipped(tmp_path: Path) -> None:
    assert analyse.parse(written(tmp_path, "big.py", "#" * (analyse.MAX_BYTES + 1))) is None
    assert analyse.parse(written(tmp_path, "bad.py", "def (")) is None
    assert analyse.parse(written(tmp_path, "ok.py", "x = 1")) is not None


REQUEST = {
    "files": {"server": "echo_server.py", "client": "hw/echo_client.py"},
    "multi": ["select_server.py", "broken_server.py"],
    "scan": ["hw/echo_client.py", "ports.py"],
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


EXPECTED = {
    "files": {
        "server": {"error": {"type": "SyntaxError", "line": 1, "text": "print 'python 2'"}},
        "client": {"accepts_port": True, "port_literal": 10000},
    },
    "multi": {
        "select_server.py": {"select": [[2, "select.select"]], "threads": []},
        "broken_server.py": {"error": True},
    },
    "functions": [
        {
            "rank": [0, 0, 0],
            "path": "ports.py",
            "name": "services",
            "line": 2,
            "bounds": ["lo", "hi"],
            "defaults": ["1", "2"],
        }
    ],
}


def without_messages(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer, minus the interpreter's wording of the syntax error."""
    error = answer["files"]["server"]["error"]
    assert error.pop("msg")
    return answer


def test_analyse_answers_for_every_part_of_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert without_messages(analyse.analyse(REQUEST)) == EXPECTED


def test_the_protocol_request_on_stdin_one_answer_on_stdout(tmp_path: Path) -> None:
    """As grader/static.py runs it: `python -I -S -B analyse.py` in the submission."""
    submission(tmp_path)
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(ANALYSE)],
        input=json.dumps(REQUEST) + "\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stderr == ""
    assert without_messages(json.loads(done.stdout)) == EXPECTED
