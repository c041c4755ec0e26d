"""codec: every type of the model and of the harness protocol survives dump -> JSON text
-> load unchanged, and data that does not fit its type is refused (ValueError), never
turned into a half-right value."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import types
import typing
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import codec, model, protocol
from grader.model import CheckResult, Exchange, GradeResult, Outcome, PortFunction, Student
from grader.protocol import SCHEMA, Record, RunConfig, SessionEnd
from grader.sandbox.policy import Policy
from grader.settings import Limits

TEXT = "ünï <&> \x00\x1b \udcff \u202e"  # what a student's bytes can become


def example(tp: Any, *, depth: int = 0) -> Any:
    """A value of type `tp` with every field set away from its default (so a field that
    does not survive the trip shows up)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)), depth=depth)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (example(args[0], depth=depth), example(args[0], depth=depth))
        return tuple(example(a, depth=depth) for a in args)
    if origin is dict:
        return {"k": example(args[1], depth=depth)}
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [f for f in dataclasses.fields(tp) if f.init]
        return tp(**{f.name: example(hints[f.name], depth=depth + 1) for f in fields})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return list(tp)[-1]
    simple = {
        str: TEXT,
        int: 7 + depth,
        float: 1.25,
        bool: True,
        bytes: b"\x00\xff\r\n",
        datetime: datetime(2026, 11, 1, 12, 30, tzinfo=timezone(timedelta(hours=-8))),
        Path: Path("/a b/c"),
        PurePosixPath: PurePosixPath("hw/echo server.py"),
    }
    return simple[tp]


def dataclasses_of(*modules: types.ModuleType) -> list[type]:
    """The dataclasses a module (or a package, in any of its modules) defines."""
    return [
        v
        for m in modules
        for v in vars(m).values()
        if isinstance(v, type)
        and dataclasses.is_dataclass(v)
        and (v.__module__ == m.__name__ or v.__module__.startswith(f"{m.__name__}."))
    ]


TYPES = [*dataclasses_of(model, protocol), Policy, Limits]


def test_the_round_trips_cover_every_dataclass_of_the_model() -> None:
    exported = {v for n in model.__all__ if dataclasses.is_dataclass(v := getattr(model, n))}
    assert len(exported) > 20 and exported <= set(TYPES)


def trip(value: Any) -> Any:
    """Through the codec and JSON text, as the gradebook and the pipes carry it."""
    return codec.load(type(value), json.loads(json.dumps(codec.dump(value))))


@pytest.mark.parametrize("tp", TYPES, ids=lambda t: t.__name__)
def test_every_type_round_trips_fully_populated(tp: type) -> None:
    value = example(tp)
    assert trip(value) == value


@pytest.mark.parametrize("tp", TYPES, ids=lambda t: t.__name__)
def test_every_type_round_trips_with_its_defaults(tp: type) -> None:
    """Only the required fields set: optional ones stay None, tuples empty."""
    hints = typing.get_type_hints(tp)
    required = [
        f
        for f in dataclasses.fields(tp)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    value = tp(**{f.name: example(hints[f.name]) for f in required})
    assert trip(value) == value


def test_the_protocol_round_trips_as_the_harness_sends_it() -> None:
    config = example(RunConfig)
    assert trip(config) == config
    for rec in (
        Record(SCHEMA, check=example(CheckResult)),
        Record(SCHEMA, session=SessionEnd((12, 13), 3)),
    ):
        line = json.dumps(codec.dump(rec))
        assert "\n" not in line  # one record, one line
        assert codec.load(Record, json.loads(line)) == rec


def test_bytes_go_as_base64_and_datetimes_keep_their_zone() -> None:
    ex = Exchange("x", sent=b"\x00\xff")
    assert codec.dump(ex)["sent"] == "AP8="
    when = datetime(2026, 1, 1, tzinfo=UTC)
    result = GradeResult("s", model.Status.GRADED, "a", "d", "v", started_at=when)
    assert trip(result).started_at == when


def test_a_two_item_tuple_keeps_its_shape() -> None:
    fn = example(PortFunction)
    assert trip(fn).bounds == fn.bounds
    data = codec.dump(fn)
    data["bounds"] = ["lo", "hi", "extra"]
    with pytest.raises(ValueError, match="expected 2 items"):
        codec.load(PortFunction, data)


def good_check() -> dict[str, Any]:
    return codec.dump(CheckResult("c", Outcome.FAILED, 0.5, "m", (Exchange("x", b"a"),)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("check_id", 3, "expected str"),
        ("check_id", None, "expected str, got NoneType"),
        ("exchanges", [{"label": None}], "expected str, got NoneType"),
        ("hang", None, None),  # optional: null is fine
        ("outcome", "bogus", "is not a valid Outcome"),
        ("outcome", "PASSED", "is not a valid Outcome"),  # values, not names
        ("duration_s", "0.5", "expected a number"),
        ("duration_s", True, "expected a number"),  # a bool is not a number here
        ("duration_s", [0.5], "expected a number"),
        ("message", 5, "expected str"),
        ("exchanges", {"label": "x"}, "expected list"),
        ("exchanges", ["x"], "expected dict"),
        ("exchanges", [{"label": "x", "sent": "***"}], "malformed"),  # not base64
        ("exchanges", [{"label": "x", "sent_len": True}], "expected an integer"),
        ("exchanges", [{"label": "x", "sent_len": 1.0}], "expected an integer"),
        ("hang", "stuck", "is not a valid Hang"),
        ("colour", "red", "unknown field 'colour'"),
    ],
)
def test_malformed_data_is_refused(field: str, value: Any, why: str | None) -> None:
    data = {**good_check(), field: value}
    if why is None:
        assert codec.load(CheckResult, data).hang is None
        return
    with pytest.raises(ValueError, match=why) as refused:
        codec.load(CheckResult, data)
    assert str(refused.value).startswith("malformed CheckResult: ")


def test_a_missing_required_field_is_refused() -> None:
    data = good_check()
    del data["outcome"]
    with pytest.raises(ValueError, match="malformed CheckResult"):
        codec.load(CheckResult, data)


@pytest.mark.parametrize("data", [None, [], "x", 3, [["c", "passed"]]])
def test_what_is_not_an_object_is_refused(data: Any) -> None:
    with pytest.raises(ValueError):
        codec.load(CheckResult, data)


def test_a_bad_date_is_refused() -> None:
    data = codec.dump(Student("ada", None))
    assert codec.load(Student, data) == Student("ada", None)
    bad = codec.dump(example(GradeResult))
    bad["started_at"] = "yesterday"
    with pytest.raises(ValueError):
        codec.load(GradeResult, bad)


def test_nested_malformed_data_is_refused_from_the_top() -> None:
    data = codec.dump(example(GradeResult))
    data["run"]["checks"][1]["outcome"] = 1
    with pytest.raises(ValueError, match="malformed GradeResult"):
        codec.load(GradeResult, data)


def test_an_int_where_a_float_is_expected_is_a_float() -> None:
    loaded = codec.load(CheckResult, {**good_check(), "duration_s": 2})
    assert loaded.duration_s == 2.0 and isinstance(loaded.duration_s, float)


# ---------------------------------------------------------------- read_json


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_read_json_raises_nothing_but_value_error_on_any_bytes(raw: bytes) -> None:
    for data in (raw, b"[" * 5000 + raw, b'{"a": "' + raw):
        with contextlib.suppress(ValueError):  # anything else fails the test
            codec.read_json(data, max_bytes=1 << 20)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_read_json_reads_what_json_writes_within_its_depth(value: Any) -> None:
    raw = json.dumps(value).encode()
    if depth(value) <= codec.MAX_DEPTH:
        assert codec.read_json(raw, max_bytes=1 << 20) == value
    else:
        with pytest.raises(ValueError, match="nested deeper"):
            codec.read_json(raw, max_bytes=1 << 20)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested deeper than 16 levels"),
        (b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "nested deeper than 16 levels"),
        (b"[" * 200_000, "nested deeper than 16 levels, or unbalanced"),  # never closed
        (b'["\xff"]', "utf-8"),
        (b"1" * 5000, "integer"),  # past Python's digit limit
        (b" " * 101, "more than 100"),
    ],
    ids=["arrays", "objects", "unclosed", "not-utf-8", "huge-int", "too-long"],
)
def test_read_json_refuses_with_value_error(raw: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        codec.read_json(raw, max_bytes=100 if why == "more than 100" else 1 << 22)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"a": "[" * 1000 + '\\"{' * 100})
    assert codec.read_json(text.encode(), max_bytes=1 << 20) == json.loads(text)
