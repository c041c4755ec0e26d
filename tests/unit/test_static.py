"""static.py's reading of the analysis's answer lines. The analysis runs in the sandbox
on the student's files, so its lines are bytes the grader did not write: whatever they
hold (random bytes, deep nesting, invalid UTF-8, fields of any JSON type), the reader
keeps what it can and raises nothing."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.model import LocatedFile
from grader.static import Task, _multi_server, _port_function, _problem, _read

TASKS = [
    Task("file", PurePosixPath("echo_server.py"), "server"),
    Task("scan", PurePosixPath("a.py")),
]
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=200) | st.sampled_from([b"[" * 100_000, b'{"done": 0'])))
def test_any_lines_are_read_without_raising(lines: list[bytes]) -> None:
    done, started = _read([b'{"start": 0}', *lines], TASKS)
    assert started in (None, 0, 1) and set(done) <= set(TASKS)


@settings(max_examples=100, deadline=None)
@given(ANY_JSON)
def test_an_answer_of_any_shape_makes_a_verdict_not_an_exception(answer: Any) -> None:
    line = json.dumps({"done": 0, "answer": answer}).encode()
    done, _ = _read([line], TASKS)
    entry = done.get(TASKS[0], {})
    if isinstance(answer, dict):
        _multi_server(LocatedFile("multi", PurePosixPath("m.py"), "named so"), entry, [])
        _port_function([(PurePosixPath("a.py"), answer)])
        if isinstance(answer.get("error"), dict):
            assert _problem(TASKS[0], b"print 'x'\n", answer["error"]).python2


def test_a_line_nested_deep_stops_the_reading_there() -> None:
    deep = b'{"done": 1, "answer": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    done, started = _read([b'{"start": 0}', b'{"done": 0, "answer": {}}', deep], TASKS)
    assert done == {TASKS[0]: {}} and started is None
