"""harness/student/answer.py's readers of a runner's answer, fed hostile bytes: the runner runs
in the student's interpreter, so its pipe carries whatever the student's code writes.
Random bytes, JSON nested 200,000 deep, invalid UTF-8, answers over the cap, fields of
every JSON type, lone surrogates: each reader returns an answer or the student's
failure ("your process made the grader's reading fail: ..."), never raises, and every
field it keeps has exactly its type and is safe to encode."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.harness.student.answer import (
    FLOODED,
    MAX_ANSWER,
    ClientCall,
    Ended,
    FunctionCall,
    _client_answer,
    _function_answer,
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["\ud800", "\udcff", "str", "bytes"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
FIELDS = (
    "schema",
    "phase",
    "exception",
    "missing",
    "log",
    "type",
    "reply",
    "reply_len",
    "repr",
    "printed",
    "lookups",
    "lookup_count",
    "params",
    "defaults",
)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def client(raw: bytes) -> ClientCall:
    call = ClientCall(Ended.RETURNED, 0.1)
    _client_answer(raw, call, 0)
    return call


def function(raw: bytes) -> FunctionCall:
    call = FunctionCall(Ended.RETURNED, 0.1)
    _function_answer(raw, call, 0)
    return call


def sound(call: ClientCall | FunctionCall) -> None:
    """What a reader keeps: exact types, text that encodes as strict UTF-8."""
    assert type(call.ended) is Ended
    texts = [call.exception_type, call.exception_message, call.traceback, call.phase]
    if isinstance(call, ClientCall):
        texts += [call.log, call.reply_type, call.reply_repr]
        assert call.reply is None or type(call.reply) is bytes
        assert type(call.reply_len) is int and call.reply_len >= 0
        if call.ended is Ended.RETURNED and call.reply_type == "str":
            assert type(call.text) is str
    else:
        texts += [call.printed, call.value_type, call.value_repr, *call.params]
        assert type(call.lookup_count) is int
        for port, name in call.lookups:
            assert type(port) in (int, str) and (name is None or type(name) is str)
        for d in call.defaults:
            assert type(d["given"]) is bool and type(d["repr"]) is str
            assert d["int"] is None or type(d["int"]) is int
    for text in texts:
        assert type(text) is str
        text.encode("utf-8")  # strict: no lone surrogate survives


def answer(**fields: Any) -> bytes:
    return json.dumps({"schema": 1, "phase": "call", **fields}).encode()


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_read_as_an_answer_or_the_students_failure(raw: bytes) -> None:
    for call in (client(raw), function(raw), client(b"\n" + raw)):
        sound(call)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), JSON))
def test_any_json_in_any_field_is_read_without_raising(fields: dict[str, Any]) -> None:
    raw = json.dumps({"schema": 1, **fields}).encode()
    sound(client(raw))
    sound(function(raw))


@settings(FUZZ, max_examples=40)
@given(st.integers(0, 200_000), st.sampled_from([b"[", b'{"a":']), st.sampled_from(["reply", "x"]))
def test_deep_nesting_is_refused_before_the_parser_recurses(
    depth: int, opener: bytes, key: str
) -> None:
    closer = b"]" if opener == b"[" else b"}"
    raw = b'{"schema": 1, "' + key.encode() + b'": ' + opener * depth + b"0" + closer * depth + b"}"
    call = client(raw)
    sound(call)
    if depth > 16:
        assert call.ended is Ended.EXITED
        assert call.exception_message.startswith("your process made the grader's reading fail")


@FUZZ
@given(st.binary(min_size=1, max_size=64), st.integers(0, 200))
def test_invalid_utf8_anywhere_is_the_students_failure(junk: bytes, at: int) -> None:
    good = answer(log="a log", type="str", reply=base64.b64encode(b"hi").decode(), reply_len=2)
    at = min(at, len(good))
    call = client(good[:at] + b"\xff" + junk + good[at:])
    sound(call)
    assert call.ended is Ended.EXITED


def test_a_good_answer_is_read_whole() -> None:
    call = client(answer(log="received", type="str", reply="aGk=", reply_len=2, repr="'hi'"))
    assert (call.ended, call.text, call.reply_len) == (Ended.RETURNED, "hi", 2)
    assert call.log == "received"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "without returning from client()"),
        (b"\n", "without returning from client()"),
        (FLOODED, "over 4 MiB"),
        (b"[" * (MAX_ANSWER + 1), "made the grader's reading fail"),  # over the cap
        (b"[" * 200_000 + b"]" * 200_000, "nested deeper than 16"),
        (b'{"schema": 2}', "something other than the runner's answer"),
        (b'"just a string"', "something other than the runner's answer"),
        (answer(type="str", reply="not base64!"), "a reply that is not base64"),
        # a str subclass whose encode() gave bytes that are not UTF-8 (an old runner), or
        # a student writing the answer itself
        (answer(type="str", reply=base64.b64encode(b"\xff\xfehi").decode()), "not UTF-8"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, bytes) else None,
)
def test_an_answer_that_cannot_be_read_fails_the_call_with_a_diagnosis(
    raw: bytes, said: str
) -> None:
    call = client(raw)
    assert call.ended is Ended.EXITED and said in call.exception_message, call.exception_message
    sound(call)


def test_fields_are_cut_to_the_runners_caps_and_lose_lone_surrogates() -> None:
    raw = answer(log="\ud800" + "x" * 100_000, exception={"type": 7, "message": "m" * 10**5})
    call = client(raw)
    assert call.ended is Ended.RAISED
    assert call.exception_type == "an exception" and len(call.exception_message) == 2000
    assert call.log.startswith("\ufffdx") and len(call.log) == 65_536


def test_function_fields_keep_only_what_has_the_runners_shape() -> None:
    call = function(
        answer(
            type="list",
            repr="[]",
            lookups=[[80, "http"], ["'x'", None], [[1], "no"], [True, 1], "junk", [1, 2, 3]],
            lookup_count=-1,
            params=["lower", 7, "upper"],
            defaults=[{"given": True, "int": 0, "repr": "0"}, {"given": "yes"}, 5],
        )
    )
    assert call.lookups == [(80, "http"), ("'x'", None)]
    assert call.lookup_count == 2  # a negative count is not believed: the entries are
    assert call.params == ["lower", "", "upper"]
    assert call.defaults == [{"given": True, "int": 0, "repr": "0"}]
