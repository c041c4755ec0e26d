"""Turn frozen dataclasses (the model, the harness protocol, the sandbox policy) into
JSON-safe data and back, exactly and strictly (never pickle).

Used by the gradebook (results stored as JSON in SQLite), by the grader and the harness
to talk to each other, and by anything that ships a GradeResult between processes.
Enums go by value, datetimes as ISO text, paths as text, bytes as base64, tuples as
lists. `load` checks every field's type: data that does not fit raises ValueError, so a
malformed record never becomes a half-right value.

`read_json` is the one way JSON from another process is parsed (the runner's answer, the
static analysis, a harness's records): bounded in size and depth before the parser
recurses, so bytes a student influenced can only make it raise ValueError.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

T = TypeVar("T")

MAX_DEPTH = 16  # levels of arrays and objects in JSON read from another process
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def read_json(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON written by another process; raises ValueError (never RecursionError or
    UnicodeError) if it is not UTF-8, longer than max_bytes, or nested deeper than
    max_depth: the depth is measured on the bytes, before json.loads recurses."""
    if len(raw) > max_bytes:
        raise ValueError(f"{len(raw)} bytes of JSON, more than {max_bytes}")
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    for _ in range(max_depth):
        inner = _INNERMOST.sub(b"", brackets)
        if inner == brackets:
            break  # empty, or unbalanced
        brackets = inner
    if brackets:
        raise ValueError(f"JSON nested deeper than {max_depth} levels, or unbalanced")
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as exc:  # cannot happen within max_depth; kept closed anyway
        raise ValueError("JSON nested too deeply") from exc


def dump(value: Any) -> Any:
    """A JSON-safe rendering of a dataclass value (or of anything it holds)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, PurePosixPath | Path):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


def load(cls: type[T], data: Any) -> T:
    """Rebuild a value of type cls from `dump` output; raises ValueError if malformed."""
    try:
        return typing.cast(T, _load(cls, data))
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise ValueError(f"malformed {getattr(cls, '__name__', cls)}: {exc}") from exc


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union(tp, data)
    if origin is tuple:
        return _tuple(tp, data)
    if origin is dict:
        _, vt = typing.get_args(tp)
        return {_expect(k, str): _load(vt, v) for k, v in _expect(data, dict).items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is datetime:
        return datetime.fromisoformat(_expect(data, str))
    if tp in (Path, PurePosixPath):
        return tp(_expect(data, str))
    if tp is bytes:
        return base64.b64decode(_expect(data, str).encode("ascii"), validate=True)
    return _scalar(tp, data)


def _union(tp: Any, data: Any) -> Any:
    options = [a for a in typing.get_args(tp) if a is not type(None)]
    if data is None:
        if len(options) == len(typing.get_args(tp)):
            raise ValueError("null where a value is required")
        return None
    return _load(options[0], data)


def _tuple(tp: Any, data: Any) -> tuple[Any, ...]:
    args = typing.get_args(tp)
    items = _expect(data, list)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_load(args[0], v) for v in items)
    if len(items) != len(args):
        raise ValueError(f"expected {len(args)} items, got {len(items)}")
    return tuple(_load(a, v) for a, v in zip(args, items, strict=True))


def _dataclass(tp: type, data: Any) -> Any:
    hints = _hints(tp)
    fields = {f.name for f in dataclasses.fields(tp) if f.init}
    data = _expect(data, dict)
    unknown = set(data) - fields
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r} in {tp.__name__}")
    return tp(**{name: _load(hints[name], value) for name, value in data.items()})


def _scalar(tp: Any, data: Any) -> Any:
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"expected a number, got {type(data).__name__}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError(f"expected an integer, got {type(data).__name__}")
        return data
    if tp in (str, bool):
        return _expect(data, tp)
    if tp is Any:
        return data
    raise TypeError(f"cannot load a {tp!r}")


def _expect(data: Any, kind: type[T]) -> T:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")
    return data
