"""Call one function of a student's module and report what happened (runs in the sandbox).

    python -I -S -B -u runner.py RESULT_FD MODULE_FILE < request

The request (one line on stdin: the grader's `marshal` of a dict, in hex) names a mode:
- "client": `client(msg, log_buffer=..., [port=...])`; the reply, its type and the log;
- "call": `function(*args)`; its value's repr, what it printed, and every port it asked
  `socket.getservbyport` about (as reported by this sandboxed process);
- "signature": the function's parameters and the default values of the first two.

The answer is one JSON object (schema 1, ASCII, written by `dumps` below: the json
package imports `re`, which costs more than the rest of this program's imports together)
written to RESULT_FD, a pipe of its own, so
nothing the student prints can be taken for it. A newline on that pipe just before the
call says "the call starts now": the check's time limit covers the call, not the
interpreter's start and the module's import (they have a limit of their own). The
module is loaded under a name that never shadows the standard library, and the process
ends with os._exit, so student atexit hooks and stray non-daemon threads cannot hold it
open. Everything kept is
capped: the trusted reader caps what it reads as well, since student code could write
to the pipe directly.
"""

from __future__ import annotations

import binascii
import contextlib
import importlib.util
import io
import marshal
import os
import socket
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing, inspect and traceback cost milliseconds at every start
    from collections.abc import Callable
    from typing import Any, Dict

    Result = Dict[str, Any]

SCHEMA = 1
MAX_TEXT = 20_000  # of a value's repr, of what a function printed
MAX_LOG = 65_536  # of client()'s log
MAX_REPLY = 1 << 20  # of client()'s reply
MAX_LOOKUPS = 5_000


def module_name(path: str) -> str:
    """The name the student's module is loaded under: its file's stem, unless that is a
    module of the standard library (a student's socket.py must not replace socket)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    if stem in stdlib or stem in sys.modules or not stem.isidentifier():
        return "_submission_" + "".join(c if c.isalnum() else "_" for c in stem)
    return stem


def load(path: str) -> ModuleType:
    name = module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def b64(data: bytes | bytearray) -> str:
    return binascii.b2a_base64(bytes(data), newline=False).decode("ascii")


def type_name(value: object) -> str:
    """A value's type as the trusted side judges it: a builtin's bare name, any other
    class with its module, so a student's class named `str` reads `client_module.str`."""
    kind = type(value)
    name = str.__str__(kind.__qualname__) if type(kind.__qualname__) is str else "?"
    module = kind.__module__ if type(kind.__module__) is str else "?"
    return name if module == "builtins" else f"{module}.{name}"


def plain(text: object, *, limit: int) -> str:
    """Exactly a str of at most `limit` characters, whatever str subclass came in."""
    return str.__getitem__(str.__str__(text), slice(0, limit)) if isinstance(text, str) else ""


def shown(value: object, *, limit: int = 20_000) -> str:
    """repr(value) cut to `limit`; a repr that raises, or is not text, is described."""
    try:
        return plain(repr(value), limit=limit)
    except Exception as exc:  # the student's __repr__ may raise anything
        return f"<{type_name(value)} whose repr() raised {type_name(exc)}>"


def describe(exc: BaseException) -> dict[str, str]:
    import traceback

    try:
        message = plain(str(exc), limit=2000)
    except Exception:  # a student's exception whose __str__ raises
        message = ""
    try:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        trace = ""
    return {"type": type_name(exc), "message": message, "traceback": trace[-8000:]}


class Capped(io.StringIO):
    """A text buffer that keeps at most `limit` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.seen = 0

    def write(self, text: str) -> int:
        self.seen += len(text)
        room = self.limit - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


def call_client(function: Callable[..., Any], req: Result, result: Result) -> None:
    log = Capped(MAX_LOG)
    result["log"] = ""
    kwargs: dict[str, Any] = {"log_buffer": log}
    if req.get("port") is not None:
        kwargs["port"] = req["port"]
    try:
        reply = function(req["msg"], **kwargs)
    finally:
        result["log"] = log.getvalue()
    # Exact types, and the builtin methods themselves: a subclass of str (even one
    # named `str`) is not a str, and its own encode() or __len__ is never called.
    result["type"] = type_name(reply)
    if type(reply) is str:
        reply = str.encode(reply, "utf-8", "surrogatepass")
    if type(reply) in (bytes, bytearray):
        result["reply"] = b64(bytes(reply[:MAX_REPLY]))
        result["reply_len"] = len(reply)
    else:
        result["repr"] = shown(reply, limit=MAX_TEXT)


class Lookups:
    """Every port a call passes to socket.getservbyport, and what it got back."""

    def __init__(self) -> None:
        self.seen: list[list[Any]] = []
        self.count = 0
        self.real = socket.getservbyport

    def __call__(self, port: Any, *rest: Any) -> str:
        self.count += 1
        seen = port if type(port) is int else shown(port, limit=200)
        try:
            name = self.real(port, *rest)
        except BaseException:
            self.remember([seen, None])
            raise
        self.remember([seen, name])
        return name

    def remember(self, entry: list[Any]) -> None:
        if len(self.seen) < MAX_LOOKUPS:
            self.seen.append(entry)


def call_function(
    function: Callable[..., Any], req: Result, result: Result, lookups: Lookups
) -> None:
    printed = Capped(MAX_TEXT)
    seen_before = len(lookups.seen), lookups.count  # lookups the module made on import
    try:
        with contextlib.redirect_stdout(printed):
            value = function(*req.get("args", ()))
        result["type"] = type_name(value)
        result["repr"] = shown(value, limit=MAX_TEXT)
    finally:
        result["printed"] = printed.getvalue()
        result["lookups"] = lookups.seen[seen_before[0] :]
        result["lookup_count"] = lookups.count - seen_before[1]


def signature(function: Callable[..., Any], result: Result) -> None:
    import inspect

    params = list(inspect.signature(function).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    result["params"] = [p.name for p in positional][:8]
    defaults: list[dict[str, Any]] = []
    for p in positional[:2]:
        if p.default is p.empty:
            defaults.append({"given": False})
        else:
            value = p.default
            number = value if type(value) is int else None
            defaults.append({"given": True, "int": number, "repr": shown(value, limit=200)})
    result["defaults"] = defaults


def run(req: Result, path: str, started: Callable[[], None] = lambda: None) -> Result:
    result: Result = {"schema": SCHEMA, "phase": "import"}
    lookups = Lookups()
    if req["mode"] == "call":
        # before the module is loaded: `from socket import getservbyport` gets ours too
        socket.getservbyport = lookups
    try:
        module = load(path)
        function = getattr(module, req["function"], None)
        if not callable(function):
            result["missing"] = True
            return result
        result["phase"] = "call"
        started()
        if req["mode"] == "client":
            call_client(function, req, result)
        elif req["mode"] == "call":
            call_function(function, req, result, lookups)
        else:
            signature(function, result)
    except BaseException as exc:  # the student's code may raise anything, SystemExit too
        result["exception"] = describe(exc)
    return result


# JSON string escapes for the ASCII characters that need one.
_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 127: "\\u007f"})


def _string(text: str) -> str:
    if text.isascii():
        return '"' + text.translate(_ESCAPES) + '"'
    out = []
    for c in text:
        n = ord(c)
        if n < 128:
            out.append(c.translate(_ESCAPES))
        elif n < 0x10000:
            out.append(f"\\u{n:04x}")
        else:
            n -= 0x10000
            out.append(f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}")
    return '"' + "".join(out) + '"'


def dumps(value: object) -> str:
    """JSON of the answer's plain values (dict, list, str, int, float, bool, None), all in
    ASCII as json.dumps writes it; anything else is written as its type's name. Exact
    types only: the answer is built by this program, never by the student's classes."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is str:
        return _string(value)
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float:
        number = float.__repr__(value)
        return number if number not in ("inf", "-inf", "nan") else "null"
    if type(value) is list or type(value) is tuple:
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if type(value) is dict:
        return "{" + ",".join(_string(str(k)) + ":" + dumps(v) for k, v in value.items()) + "}"
    return _string(type(value).__name__)


def main() -> None:
    channel = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")
    path = sys.argv[2]
    req = marshal.loads(bytes.fromhex(sys.stdin.readline()))

    def started() -> None:
        channel.write("\n")
        channel.flush()

    result = run(req, path, started)
    channel.write(dumps(result))
    channel.flush()
    channel.close()
    if req.get("linger"):
        sys.stdin.read()  # stay alive until the grader has looked at the connection
    os._exit(0)


if __name__ == "__main__":
    main()
