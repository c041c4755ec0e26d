"""Look at a submission's source without running it (runs in the student's interpreter).

    python -I -S -B analyse.py ANSWER_FD < request.json

Request: {"tasks": [{"kind": "file" | "multi" | "scan", "path": ...}, ...]}, paths
relative to the current folder (copies of the submission's files). The answer is a
stream of JSON lines on the file descriptor ANSWER_FD, so that a file that makes this
program run out of time or memory, or crash, is known by name:
- {"start": i} before task i, and {"done": i, "answer": {...}} after it;
- {"end": true} once every task is done.
Answers: for "file", a compile error, or what the client's code says about its port; for
"multi", the select-like and thread-like calls it makes (line and dotted name); for
"scan", every top-level function that looks like the port-services task.

It runs under the student's interpreter because "does it compile?" must be answered by
the Python that will run it; hostile source can exhaust a parser, so the grader runs it
in the sandbox, under the same limits as student code and without a network, and reads
only this answer.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from typing import Any, Callable, Dict

MAX_BYTES = 262_144
MAX_FILE_BYTES = 1 << 20
MAX_TEXT = 500  # characters of a message or source line kept
MAX_FUNCTIONS = 20  # per file
SELECT = {
    "select.select",
    "select.poll",
    "select.epoll",
    "select.kqueue",
    "select.devpoll",
    "asyncio.start_server",
    "asyncio.run",
    "asyncio.get_event_loop",
}
THREADS = {
    "threading.Thread",
    "threading.Timer",
    "_thread.start_new_thread",
    "thread.start_new_thread",
    "os.fork",
    "multiprocessing.Process",
    "multiprocessing.Pool",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "socketserver.ThreadingTCPServer",
    "socketserver.ForkingTCPServer",
    "socketserver.ThreadingMixIn",
    "socketserver.ForkingMixIn",
}
LOWER = re.compile(r"lo|min|start|begin|first|from|bottom|least")
UPPER = re.compile(r"up|hi|max|end|stop|last|to|top|most")
Entry = Dict[str, Any]


def read(path: str, *, limit: int | None = None) -> bytes:
    with open(path, "rb") as f:
        return f.read(-1 if limit is None else limit)


def compile_file(path: str) -> tuple[ast.Module | None, Entry]:
    """The file's syntax tree, or the error that keeps it from compiling."""
    try:
        source = read(path, limit=MAX_FILE_BYTES)
        tree = ast.parse(source, path)
        compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        text = (exc.text or "").rstrip("\n")
        return None, {
            "type": type(exc).__name__,
            "msg": (exc.msg or "")[:MAX_TEXT],
            "line": exc.lineno,
            "text": text[:MAX_TEXT],
        }
    except (ValueError, MemoryError, RecursionError, OSError) as exc:
        return None, {"type": type(exc).__name__, "msg": str(exc)[:300], "line": None, "text": ""}
    return tree, {}


def client_port(tree: ast.Module) -> tuple[bool, int | None]:
    """Whether client() takes a port, and the port number its code names, if any."""
    accepts, literal = False, None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "client":
            names = [a.arg for a in node.args.args + node.args.kwonlyargs]
            accepts = "port" in names or node.args.kwarg is not None
            defaults: dict[str, ast.expr | None] = dict(
                zip([a.arg for a in node.args.args][::-1], node.args.defaults[::-1])
            )
            defaults.update(zip([a.arg for a in node.args.kwonlyargs], node.args.kw_defaults))
            d = defaults.get("port")
            if isinstance(d, ast.Constant) and isinstance(d.value, int):
                literal = d.value
    if literal is None:
        literal = _port_literal(tree)
    return accepts, literal


def _port_literal(tree: ast.Module) -> int | None:
    for node in ast.walk(tree):
        found: object = None
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            a, b = node.elts
            if (
                isinstance(a, ast.Constant)
                and isinstance(a.value, str)
                and isinstance(b, ast.Constant)
                and isinstance(b.value, int)
            ):
                found = b.value
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Name) and "port" in t.id.lower() for t in node.targets)
        ):
            found = node.value.value
        if isinstance(found, int) and not isinstance(found, bool) and 0 < found < 65536:
            return found
    return None


def parse(path: str) -> ast.Module | None:
    """A syntax tree of a file up to MAX_BYTES (None for bigger or broken files)."""
    try:
        source = read(path, limit=MAX_BYTES + 1)
        if len(source) > MAX_BYTES:
            return None
        return ast.parse(source, path)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OSError):
        return None


def dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def concurrency(tree: ast.Module) -> tuple[list[list[Any]], list[list[Any]]]:
    """The select-like and the thread-like calls of a module, as [line, dotted name]."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = node.module + "." + a.name
        elif isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name] = a.name
    selects: list[list[Any]] = []
    threads: list[list[Any]] = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Call):
            names.append(dotted(node.func))
        elif isinstance(node, ast.ClassDef):
            names.extend(dotted(b) for b in node.bases)
        for name in filter(None, names):
            head, _, rest = name.partition(".")
            full = aliases.get(head, head) + ("." + rest if rest else "")
            line = getattr(node, "lineno", 0)
            if full in SELECT or full.startswith("selectors."):
                selects.append([line, full])
            elif full in THREADS:
                threads.append([line, full])
    return sorted(selects), sorted(threads)


def _default(node: ast.expr | None) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return ("-" if isinstance(node.op, ast.USub) else "") + repr(node.operand.value)
    return "..."


def port_functions(tree: ast.Module) -> list[Entry]:
    """Top-level functions that take two port bounds first and look services up, or are
    named like it."""
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name in ("client", "server", "main"):
            continue
        every = list(getattr(node.args, "posonlyargs", [])) + list(node.args.args)
        defaults: list[ast.expr | None] = [None] * (len(every) - len(node.args.defaults))
        defaults += list(node.args.defaults)
        if every and every[0].arg in ("self", "cls"):
            every, defaults = every[1:], defaults[1:]
        if len(every) < 2:
            continue
        a, b = every[0].arg.lower(), every[1].arg.lower()
        calls = {dotted(n.func).split(".")[-1] for n in ast.walk(node) if isinstance(n, ast.Call)}
        looks_up = "getservbyport" in calls
        bounds = bool(LOWER.search(a) and UPPER.search(b))
        named = "serv" in node.name.lower() or "port" in node.name.lower()
        if not (looks_up or (bounds and named)):
            continue
        found.append(
            {
                "rank": [0 if looks_up else 1, 0 if bounds else 1, 0 if named else 1],
                "name": node.name,
                "line": node.lineno,
                "bounds": [every[0].arg, every[1].arg],
                "defaults": [_default(d) for d in defaults[:2]],
            }
        )
    return found[:MAX_FUNCTIONS]


def answer(path: str, *, kind: str) -> Entry:
    """What one task found."""
    if kind == "file":
        tree, error = compile_file(path)
        if tree is None:
            return {"error": error}
        accepts, literal = client_port(tree)
        return {"accepts_port": accepts, "port_literal": literal}
    tree = parse(path)
    if kind == "multi":
        if tree is None:
            return {"error": True}
        selects, threads = concurrency(tree)
        return {"select": selects[:3], "threads": threads[:3]}
    return {"functions": port_functions(tree) if tree is not None else []}


def analyse(tasks: list[Entry], *, say: Callable[[Entry], None]) -> None:
    """Answer every task in order, saying which one is under way."""
    for i, task in enumerate(tasks):
        say({"start": i})
        say({"done": i, "answer": answer(str(task.get("path")), kind=str(task.get("kind")))})
    say({"end": True})


def main() -> None:
    out = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")

    def say(line: Entry) -> None:
        out.write(json.dumps(line) + "\n")
        out.flush()

    request = json.loads(sys.stdin.read())
    analyse(list(request.get("tasks", [])), say=say)
    out.close()


if __name__ == "__main__":
    main()
