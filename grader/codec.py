"""Turn model values into JSON-safe data and back, exactly (never pickle).

Used by the gradebook (results stored as JSON in SQLite) and anything that ships a
GradeResult between processes. Generic over the frozen dataclasses in `grader.model`:
enums by value, datetimes as ISO text, paths as text, bytes as base64, tuples as lists.
"""

from __future__ import annotations

import base64
import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from grader import model

T = TypeVar("T")


def dump(value: Any) -> Any:
    """A JSON-safe rendering of a model value."""
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
    """Rebuild a model value of type cls from `dump` output; raises ValueError if malformed."""
    try:
        return typing.cast(T, _load(cls, data))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed {getattr(cls, '__name__', cls)}: {exc}") from exc


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def _load(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _load(options[0], data)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_load(item, v) for v in data)
    if origin is dict:
        _, vt = typing.get_args(tp)
        return {k: _load(vt, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: _load(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is datetime:
        return datetime.fromisoformat(data)
    if tp in (Path, PurePosixPath):
        return tp(data)
    if tp is bytes:
        return base64.b64decode(data.encode("ascii"), validate=True)
    if tp is float:
        return float(data)
    return data
