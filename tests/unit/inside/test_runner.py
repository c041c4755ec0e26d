"""inside/runner.py: the program that calls one function of a student's module in the
student's interpreter. Its functions are imported directly here (trusted code never
imports it; tests may); a few runs as a subprocess pin the pipe protocol the harness
uses, the protection against shadowing the standard library, and the caps."""

from __future__ import annotations

import base64
import io
import json
import marshal
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.harness.student.answer import ClientCall, Ended, _client_answer
from grader.inside import runner

RUNNER = Path(runner.__file__)


@pytest.fixture(autouse=True)
def clean_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """run() loads modules into sys.modules and replaces socket.getservbyport: undo both."""
    monkeypatch.setattr(socket, "getservbyport", socket.getservbyport)
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("_submission_") or name.startswith("student_"):
            del sys.modules[name]


def module(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- in process


@pytest.mark.parametrize(
    ("filename", "loaded_as"),
    [
        ("echo_client.py", "echo_client"),
        ("socket.py", "_submission_socket"),  # the standard library keeps its name
        ("select.py", "_submission_select"),
        ("sys.py", "_submission_sys"),  # a builtin module
        ("pytest.py", "_submission_pytest"),  # already imported in this process
        ("my-client.v2.py", "_submission_my_client_v2"),  # not an identifier
        ("dir/echo_server.py", "echo_server"),
    ],
)
def test_a_student_module_never_takes_a_standard_name(filename: str, loaded_as: str) -> None:
    assert runner.module_name(filename) == loaded_as


def test_capped_keeps_the_head_and_counts_the_rest() -> None:
    buf = runner.Capped(5)
    assert buf.write("abc") == 3 and buf.write("defgh") == 5
    assert (buf.getvalue(), buf.seen) == ("abcde", 8)


def call_client(reply: Any, *, req: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def client(msg: str, log_buffer: io.StringIO, **kwargs: Any) -> Any:
        print(f"sent {msg} {kwargs}", file=log_buffer)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    runner.call_client(client, req or {"msg": "hi"}, result)
    return result


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("héllo", {"type": "str", "reply": base64.b64encode("héllo".encode()).decode()}),
        (b"\x00\xff", {"type": "bytes", "reply": "AP8=", "reply_len": 2}),
        (bytearray(b"ab"), {"type": "bytearray", "reply": "YWI=", "reply_len": 2}),
        (None, {"type": "NoneType", "repr": "None"}),
        ([1, 2], {"type": "list", "repr": "[1, 2]"}),
        ("\udcff", {"type": "str", "reply": "7bO/"}),  # a lone surrogate survives as bytes
    ],
)
def test_the_clients_reply_is_reported_with_its_type(reply: Any, expected: dict[str, Any]) -> None:
    result = call_client(reply)
    assert {k: result[k] for k in expected} == expected
    assert result["log"] == "sent hi {}\n"


def test_the_port_is_passed_only_when_asked() -> None:
    assert call_client("x", req={"msg": "m", "port": 12000})["log"] == "sent m {'port': 12000}\n"


def test_a_raising_client_keeps_its_log() -> None:
    result: dict[str, Any] = {}

    def client(msg: str, log_buffer: io.StringIO) -> str:
        log_buffer.write("before\n")
        raise ConnectionRefusedError(111, "refused")

    with pytest.raises(ConnectionRefusedError):
        runner.call_client(client, {"msg": "m"}, result)
    assert result == {"log": "before\n"}


def test_lookups_are_recorded_as_the_call_made_them() -> None:
    lookups = runner.Lookups()
    assert lookups(80) == socket.getservbyport(80)
    with pytest.raises(OverflowError):
        lookups(-1)
    with pytest.raises(TypeError):
        lookups("80")
    with pytest.raises(TypeError):
        lookups(True, "tcp", "extra")
    assert lookups.seen == [[80, lookups.real(80)], [-1, None], ["'80'", None], ["True", None]]
    assert lookups.count == 4


def test_a_function_call_reports_its_value_what_it_printed_and_its_own_lookups() -> None:
    lookups = runner.Lookups()
    lookups(79)  # made "on import": not this call's

    def services(lower: int, upper: int) -> dict[int, str]:
        print("looking")
        return {p: lookups(p) for p in range(lower, upper)}

    result: dict[str, Any] = {}
    runner.call_function(services, {"args": [80, 81]}, result, lookups)
    assert result == {
        "type": "dict",
        "repr": "{80: 'http'}",
        "printed": "looking\n",
        "lookups": [[80, "http"]],
        "lookup_count": 1,
    }


def test_a_signature_reports_the_bounds_and_their_defaults() -> None:
    def ports(lower=0, upper=None, flag=True, *rest, key=1):  # type: ignore[no-untyped-def]
        return lower

    result: dict[str, Any] = {}
    runner.signature(ports, result)
    assert result == {
        "params": ["lower", "upper", "flag"],
        "defaults": [
            {"given": True, "int": 0, "repr": "0"},
            {"given": True, "int": None, "repr": "None"},
        ],
    }
    runner.signature(lambda a, b=False: a, result)
    assert result["defaults"] == [{"given": False}, {"given": True, "int": None, "repr": "False"}]


def test_run_reports_each_phase(tmp_path: Path) -> None:
    good = module(tmp_path, "student_good.py", "def client(msg, log_buffer):\n    return msg\n")
    answer = runner.run({"mode": "client", "function": "client", "msg": "m"}, good)
    assert answer["phase"] == "call" and answer["type"] == "str" and answer["schema"] == 1
    missing = runner.run({"mode": "client", "function": "nope", "msg": "m"}, good)
    assert missing == {"schema": 1, "phase": "import", "missing": True}
    broken = module(tmp_path, "student_broken.py", "import sys\nsys.exit(3)\n")
    answer = runner.run({"mode": "signature", "function": "f"}, broken)
    assert answer["phase"] == "import" and answer["exception"]["type"] == "SystemExit"
    raises = module(tmp_path, "student_raises.py", "def f():\n    raise ValueError('no')\n")
    answer = runner.run({"mode": "call", "function": "f", "args": []}, raises)
    assert answer["phase"] == "call"
    assert (answer["exception"]["type"], answer["exception"]["message"]) == ("ValueError", "no")
    assert "raise ValueError('no')" in answer["exception"]["traceback"]


def test_in_call_mode_even_an_imported_getservbyport_is_watched(tmp_path: Path) -> None:
    source = (
        "from socket import getservbyport\n"
        "def services(lower, upper):\n"
        "    return [getservbyport(p) for p in range(lower, upper)]\n"
    )
    path = module(tmp_path, "student_services.py", source)
    answer = runner.run({"mode": "call", "function": "services", "args": [79, 81]}, path)
    assert answer["lookups"] == [[79, "finger"], [80, "http"]]


# ---------------------------------------------------------------- as the harness runs it


def run_runner(folder: Path, filename: str, request: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """As harness/student/runner.run_runner starts it: `python -I -S -B -u runner.py FD FILE`
    in the submission's folder, the request on stdin, the answer on a pipe of its own."""
    answer_r, answer_w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", "-u", str(RUNNER), str(answer_w), filename],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(answer_w,),
    )
    os.close(answer_w)
    chunks: list[bytes] = []
    reader = threading.Thread(
        target=lambda: chunks.extend(iter(lambda: os.read(answer_r, 1 << 16), b""))
    )
    reader.start()
    printed, _ = proc.communicate(marshal.dumps(request).hex().encode() + b"\n", timeout=30)
    reader.join(30)
    os.close(answer_r)
    assert proc.returncode == 0, printed
    return json.loads(b"".join(chunks)), printed.decode()


def test_the_answer_travels_on_its_own_pipe_whatever_the_student_prints(tmp_path: Path) -> None:
    fake = json.dumps({"schema": 1, "phase": "call", "type": "str", "reply": "ZmFrZQ=="})
    (tmp_path / "echo_client.py").write_text(
        "import atexit, threading\n"
        f"print({fake!r})\n"
        "atexit.register(print, 'atexit ran')\n"
        "def client(msg, log_buffer):\n"
        f"    print({fake!r})\n"
        "    print('logged', file=log_buffer)\n"
        "    threading.Thread(target=threading.Event().wait).start()  # never ends\n"
        "    return msg.upper()\n"
    )
    answer, printed = run_runner(
        tmp_path, "echo_client.py", {"mode": "client", "function": "client", "msg": "hi"}
    )
    assert answer == {
        "schema": 1,
        "phase": "call",
        "log": "logged\n",
        "type": "str",
        "reply": base64.b64encode(b"HI").decode(),
        "reply_len": 2,
    }
    assert printed.count(fake) == 2 and "atexit ran" not in printed  # ended with os._exit


def test_a_student_socket_py_never_replaces_the_standard_socket(tmp_path: Path) -> None:
    (tmp_path / "socket.py").write_text(
        "import socket\n"
        "def services(lower, upper):\n"
        "    return (__name__, socket.__name__, hasattr(socket, 'AF_INET'),\n"
        "            [socket.getservbyport(p) for p in range(lower, upper)])\n"
    )
    answer, _ = run_runner(
        tmp_path, "socket.py", {"mode": "call", "function": "services", "args": [80, 81]}
    )
    assert answer["repr"] == "('_submission_socket', 'socket', True, ['http'])"
    assert answer["lookups"] == [[80, "http"]]


def test_what_a_student_can_make_big_is_capped(tmp_path: Path) -> None:
    (tmp_path / "echo_client.py").write_text(
        "def client(msg, log_buffer):\n"
        "    log_buffer.write('L' * 200_000)\n"
        "    return b'R' * (2 * 1024 * 1024)\n"
        "def big(n):\n"
        "    print('P' * n)\n"
        "    return 'V' * n\n"
    )
    answer, _ = run_runner(
        tmp_path, "echo_client.py", {"mode": "client", "function": "client", "msg": "m"}
    )
    assert len(answer["log"]) == runner.MAX_LOG
    assert len(base64.b64decode(answer["reply"])) == runner.MAX_REPLY
    assert answer["reply_len"] == 2 * 1024 * 1024
    answer, _ = run_runner(
        tmp_path, "echo_client.py", {"mode": "call", "function": "big", "args": [50_000]}
    )
    assert len(answer["repr"]) == len(answer["printed"]) == runner.MAX_TEXT


def test_with_linger_it_stays_until_the_grader_closes_its_stdin(tmp_path: Path) -> None:
    (tmp_path / "echo_client.py").write_text("def client(msg, log_buffer):\n    return msg\n")
    answer_r, answer_w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", "-u", str(RUNNER), str(answer_w), "echo_client.py"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        pass_fds=(answer_w,),
    )
    os.close(answer_w)
    assert proc.stdin is not None
    request = {"mode": "client", "function": "client", "msg": "m", "linger": True}
    proc.stdin.write(marshal.dumps(request).hex().encode() + b"\n")
    proc.stdin.flush()
    with os.fdopen(answer_r, "rb") as answer:
        assert json.loads(answer.read())["reply"] == "bQ=="  # the pipe closed: answered
    assert proc.poll() is None  # still there, for the grader to look at its socket
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


# ---------------------------------------------------------------- hostile return values


class Hostile(Exception):
    """Raised by the hostile methods below."""


def _raises(*_args: Any, **_kwargs: Any) -> Any:
    raise Hostile("a method of the student's class raised")


class _Bad(str):
    def __getitem__(self, key: Any) -> Any:
        return self


HOSTILE_METHODS: dict[str, Any] = {
    "encode": lambda self, *a, **k: b"\xff\xfe not utf-8",
    "__len__": _raises,
    "__repr__": _raises,
    "__str__": _raises,
    "__getitem__": _raises,
    "decode": _raises,
}


def hostile(base: type, methods: tuple[str, ...], name: str) -> Any:
    """An instance of a subclass of `base` (named `name`, e.g. `str`) whose methods lie."""
    cls = type(name, (base,), {m: HOSTILE_METHODS[m] for m in methods})
    values = {str: "hello", bytes: b"hello", bytearray: b"hello", int: 7, dict: {"a": 1}}
    return cls(values[base])


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from([str, bytes, bytearray, int, dict]),
    st.lists(st.sampled_from(sorted(HOSTILE_METHODS)), unique=True),
    st.sampled_from(["str", "bytes", "Reply"]),
)
def test_a_subclass_with_hostile_methods_is_never_taken_for_its_base(
    base: type, methods: list[str], name: str
) -> None:
    """Exact types only: a subclass of str (even one named `str`) is not a str, none of
    its methods decides what the grader reads, and the trusted reader reads the answer."""
    reply = hostile(base, tuple(methods), name)
    result = call_client(reply)
    raw = json.dumps({"schema": 1, "phase": "call", **result}).encode()
    assert result["type"] == f"{__name__}.{name}"
    assert "reply" not in result and type(result["repr"]) is str
    call = ClientCall(Ended.RETURNED, 0.1)
    _client_answer(raw, call, 0)
    assert call.ended is Ended.RETURNED and call.text is None and call.reply is None


def test_a_str_subclass_named_str_is_reported_by_its_module_not_as_str() -> None:
    result = call_client(hostile(str, ("encode",), "str"))
    assert result == {"log": "sent hi {}\n", "type": f"{__name__}.str", "repr": "'hello'"}


def test_a_repr_that_raises_or_lies_is_described_not_trusted() -> None:
    assert runner.shown(hostile(int, ("__repr__",), "Reply")).startswith("<")
    assert runner.shown(_Bad("x" * 50), limit=10) == "'xxxxxxxxx"
    assert type(runner.plain(_Bad("abc"), limit=2)) is str


def test_an_exception_whose_str_raises_is_still_described() -> None:
    exc = type("Weird", (Exception,), {"__str__": _raises})("boom")
    described = runner.describe(exc)
    assert described["type"] == f"{__name__}.Weird" and described["message"] == ""


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(PLAIN)
@settings(max_examples=300, deadline=None)
def test_the_answer_is_written_as_json_would_write_it(value: Any) -> None:
    """runner.dumps stands in for json.dumps (whose import of `re` costs more than all the
    runner's other imports): the same ASCII text, lone surrogates and non-BMP included;
    numbers JSON cannot hold are null."""
    finite = json.loads(json.dumps(value), parse_constant=lambda _: None)
    assert runner.dumps(value).isascii()
    assert json.loads(runner.dumps(value)) == finite


def test_a_value_of_a_student_class_is_written_as_its_type_name() -> None:
    class Fake(str):
        pass

    assert runner.dumps({"reply": Fake("x"), "n": [True, None, 2, 1.5]}) == (
        '{"reply":"Fake","n":[true,null,2,1.5]}'
    )
