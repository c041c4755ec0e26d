"""The optional tasks ("going further"), graded as extra credit: found where students put
them, run in the sandbox, reported and scored apart from the main score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from support import static_look

from grader.locate import locate
from grader.model import (
    Assignment,
    Concurrency,
    GradeResult,
    OptionalWork,
    Outcome,
    PortFunction,
    Status,
)
from grader.report import render_html, results_json
from grader.snapshot import read_tree

P, F, S = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
SELECT = ("extra_select_echo", "extra_select_two_clients", "extra_select_without_threads")
SERVICES = (
    "extra_services_well_known",
    "extra_services_defaults",
    "extra_services_rejects_invalid",
)

# example -> (outcomes of the select checks, of the services checks, extra points, what
# the report must say about the optional tasks)
EXPECTED: dict[str, tuple[tuple[Outcome, ...], tuple[Outcome, ...], float, tuple[str, ...]]] = {
    "extra_select_server": (
        (P, P, P),
        (S, S, S),
        5,
        ("echo_server_select.py", "<strong>select</strong>", "calls select.select() at line"),
    ),
    "extra_threaded_server": (
        (P, P, F),
        (S, S, S),
        4,
        ("threaded_echo_server.py", "<strong>threads</strong>", "calls threading.Thread()"),
    ),
    "extra_sequential_named_select": (
        (P, F, F),
        (S, S, S),
        1,
        ("echo_server_select.py", "<strong>neither</strong>", "calls neither select nor"),
    ),
    "extra_services_in_client": (
        (S, S, S),
        (P, P, P),
        4,
        ("list_services(lower=0, upper=65535)</code> in <code>echo_client.py</code>, line 31",),
    ),
    "extra_services_unchecked": (
        (S, S, S),
        (P, F, F),
        2,
        ("services(start, end)</code> in <code>port_services.py</code>",),
    ),
    "passes_all_legacy": (
        (S, S, S),
        (S, S, S),
        0,
        ("Multi-client server: none found", "Port services: no function"),
    ),
}


def outcomes(result: GradeResult, ids: tuple[str, ...]) -> tuple[Outcome, ...]:
    assert result.run is not None
    return tuple(next(c.outcome for c in result.run.checks if c.check_id == cid) for cid in ids)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_optional_tasks_get_the_teachers_verdict(
    name: str, graded: Callable[[str], GradeResult], echo_assignment: Assignment
) -> None:
    select, services, extra, said = EXPECTED[name]
    result = graded(name)
    assert result.status is Status.GRADED, result.problem
    assert result.run is not None
    messages = {c.check_id: c.message for c in result.run.checks}
    assert outcomes(result, SELECT) == select, messages
    assert outcomes(result, SERVICES) == services, messages
    assert result.score is not None
    # extra credit is scored apart: the main score is the example's own (full marks)
    assert (result.score.points, result.score.max_points) == (100, 100)
    assert result.score.extra_points == extra
    page = render_html(result, assignment=echo_assignment, reveal=False)
    for words in said:
        assert words in page, words
    if extra:
        assert f"{extra:g} extra credit" in page


def test_a_failed_optional_check_says_why(graded: Callable[[str], GradeResult]) -> None:
    sequential = graded("extra_sequential_named_select").run
    assert sequential is not None
    two = sequential.get("extra_select_two_clients")
    assert two is not None and "serves one client at a time" in two.message
    assert [d.code for d in two.diagnoses] == ["multi_server_one_at_a_time"]
    assert any("--stay 30" in c for c in two.reproduce)
    unchecked = graded("extra_services_unchecked").run
    assert unchecked is not None
    rejects = unchecked.get("extra_services_rejects_invalid")
    assert rejects is not None and "looked up port -5" in rejects.message
    defaults = unchecked.get("extra_services_defaults")
    assert defaults is not None and "no default for start and end" in defaults.message


def test_optional_tasks_not_attempted_are_not_listed_as_checks(
    graded: Callable[[str], GradeResult], echo_assignment: Assignment
) -> None:
    result = graded("passes_all_legacy")
    data = results_json(result, assignment=echo_assignment, reveal=True)
    assert not [t for t in data["tests"] if "extra" in t["tags"]]
    assert data["extra_data"]["optional"] == {"multi_servers": [], "port_function": None}
    page = render_html(result, assignment=echo_assignment, reveal=True)
    assert "Optional: " not in page
    assert "did not pass" not in page


def test_results_json_says_what_was_found_where(
    graded: Callable[[str], GradeResult], echo_assignment: Assignment
) -> None:
    data = results_json(graded("extra_threaded_server"), assignment=echo_assignment, reveal=False)
    assert data["max_score"] == 100 and data["extra_data"]["extra_points"] == 4
    (server,) = data["extra_data"]["optional"]["multi_servers"]
    assert server["path"] == "threaded_echo_server.py" and server["uses"] == "threads"


# ---------------------------------------------------------------- finding them (no sandbox)


def test_candidates_are_second_servers_however_named(
    tmp_path: Path, echo_assignment: Assignment
) -> None:
    serve = "import socket\ns = socket.socket(); s.bind(('127.0.0.1', 10000)); s.listen()\n"
    files = {
        "echo_server.py": serve,
        "echo_client.py": "def client(msg, log_buffer=None):\n    return msg\n",
        "hw/parallel_echo_server.py": "import select\n" + serve + "select.select([s], [], [])\n",
        "old/echo_server.py": serve,  # a stale copy: not a multi-client server
        "notes.py": "# select is covered next week\n",  # mentions select, serves nothing
        "multi.py": "from socketserver import ThreadingTCPServer\n"
        "ThreadingTCPServer(('127.0.0.1', 10000), None).serve_forever()  # bind listen\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    located = locate(read_tree(tmp_path), assignment=echo_assignment)
    assert [str(c.path) for c in located.candidates] == ["hw/parallel_echo_server.py", "multi.py"]
    found = static_look(tmp_path, echo_assignment).optional
    assert [s.concurrency for s in found.servers] == [Concurrency.SELECT, Concurrency.THREADS]
    assert found.servers[1].evidence.startswith("calls socketserver.ThreadingTCPServer()")


@pytest.mark.parametrize(
    ("source", "signature"),
    [
        (
            "import socket\ndef list_services(lower=0, upper=65535):\n"
            "    return [socket.getservbyport(p) for p in range(lower, upper)]\n",
            "list_services(lower=0, upper=65535)",
        ),
        (
            "from socket import getservbyport\ndef ports(a, b=1024):\n"
            "    return {p: getservbyport(p) for p in range(a, b)}\n",
            "ports(a, b=1024)",
        ),
        (
            "def port_range_services(min_port, max_port):\n    pass\n",
            "port_range_services(min_port, max_port)",
        ),
        ("def add(lower, upper):\n    return lower + upper\n", None),  # bounds, nothing about ports
        ("def services(port):\n    pass\n", None),  # one argument
    ],
)
def test_the_port_services_function_is_found_by_its_parameters(
    tmp_path: Path, echo_assignment: Assignment, source: str, signature: str | None
) -> None:
    (tmp_path / "echo_server.py").write_text("s.bind(x); s.listen()\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "helpers.py").write_text(source)
    found = static_look(tmp_path, echo_assignment).optional
    port = found.port_function
    assert (port.signature if port else None) == signature
    if port is not None:
        assert str(port.path) == "tools/helpers.py"


def test_what_students_named_is_escaped_in_the_report(
    graded: Callable[[str], GradeResult], echo_assignment: Assignment
) -> None:
    evil = "<script>x</script>"
    result = graded("extra_select_server")
    assert result.optional is not None
    server = replace(result.optional.servers[0], path=PurePosixPath(f"{evil}.py"), reason=evil)
    port = PortFunction(PurePosixPath(f"{evil}.py"), evil, 1, (evil, "b"), (evil, ""))
    result = replace(result, optional=OptionalWork((server,), port))
    page = render_html(result, assignment=echo_assignment, reveal=True)
    assert "<script>" not in page and "&lt;script&gt;" in page
