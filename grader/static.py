"""Static look at the located files, without running them: does each compile under the
student interpreter, is it Python 2, and where will the client connect? It also reads
what the optional tasks need: how each multi-client server candidate serves several
clients (select, threads, neither), and which function, in any file, takes port bounds.

The analysis runs in a subprocess of the student interpreter (hostile source can exhaust
a parser), so only its JSON answer enters the grader, and it is parsed strictly.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from grader.errors import InfrastructureError
from grader.locate import python_files
from grader.model import (
    Concurrency,
    FileProblem,
    Located,
    MultiServer,
    OptionalWork,
    PortFunction,
)

ANALYSE_TIMEOUT_S = 20
MAX_SCAN_FILES = 200  # files searched for the port-services function (bigger ones: skipped)

# Runs under the student's interpreter with -I; stdlib only, Python 3.6+ syntax.
# argv: the located files, then "--multi" and the multi-server candidates, then "--scan"
# and the files to search for a function taking port bounds.
_SCRIPT = r"""
import ast, json, re, sys
MAX_BYTES = 262144
args = sys.argv[1:]
def split(marker):
    global args
    if marker not in args:
        return []
    i = args.index(marker)
    rest, args = args[i + 1:], args[:i]
    return rest
scan = split("--scan")
multi = split("--multi")
out = {}
for path in args:
    entry = {}
    try:
        with open(path, "rb") as f:
            source = f.read()
        tree = compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        entry["error"] = {"type": type(exc).__name__, "msg": exc.msg or "", "line": exc.lineno,
                          "text": (exc.text or "").rstrip("\n")}
    except (ValueError, MemoryError, RecursionError) as exc:
        entry["error"] = {"type": type(exc).__name__, "msg": str(exc)[:300], "line": None,
                          "text": ""}
    else:
        accepts_port = False
        literal = None
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "client":
                args_ = node.args.args + node.args.kwonlyargs
                names = [a.arg for a in args_]
                accepts_port = "port" in names or node.args.kwarg is not None
                defaults = dict(zip([a.arg for a in node.args.args][::-1],
                                    node.args.defaults[::-1]))
                defaults.update(zip([a.arg for a in node.args.kwonlyargs],
                                    node.args.kw_defaults))
                d = defaults.get("port")
                if isinstance(d, ast.Constant) and isinstance(d.value, int):
                    literal = d.value
        for node in ast.walk(tree):
            found = None
            if isinstance(node, ast.Tuple) and len(node.elts) == 2:
                a, b = node.elts
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and \
                        isinstance(b, ast.Constant) and isinstance(b.value, int):
                    found = b.value
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if any(isinstance(t, ast.Name) and "port" in t.id.lower() for t in node.targets):
                    found = node.value.value
            if literal is None and isinstance(found, int) and not isinstance(found, bool) \
                    and 0 < found < 65536:
                literal = found
                break
        entry["accepts_port"] = accepts_port
        entry["port_literal"] = literal
    out[path] = entry


def parse(path):
    try:
        with open(path, "rb") as f:
            source = f.read(MAX_BYTES + 1)
        if len(source) > MAX_BYTES:
            return None, ""
        tree = compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return tree, source.decode("utf-8", "replace")
    except (SyntaxError, ValueError, MemoryError, RecursionError, OSError):
        return None, ""


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


SELECT = {"select.select", "select.poll", "select.epoll", "select.kqueue", "select.devpoll",
          "asyncio.start_server", "asyncio.run", "asyncio.get_event_loop"}
THREADS = {"threading.Thread", "_thread.start_new_thread", "thread.start_new_thread",
           "os.fork", "multiprocessing.Process", "multiprocessing.Pool",
           "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
           "socketserver.ThreadingTCPServer", "socketserver.ForkingTCPServer",
           "socketserver.ThreadingMixIn", "socketserver.ForkingMixIn"}


def concurrency(tree):
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = node.module + "." + a.name
        elif isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name] = a.name
    selects, threads = [], []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Call):
            names.append(dotted(node.func))
        elif isinstance(node, ast.ClassDef):
            names.extend(dotted(b) for b in node.bases)
        for name in names:
            if not name:
                continue
            head, _, rest = name.partition(".")
            full = aliases.get(head, head) + ("." + rest if rest else "")
            line = getattr(node, "lineno", 0)
            if full in SELECT or full.startswith("selectors."):
                selects.append([line, full])
            elif full in THREADS:
                threads.append([line, full])
    return sorted(selects), sorted(threads)


LOWER = re.compile(r"lo|min|start|begin|first|from|bottom|least")
UPPER = re.compile(r"up|hi|max|end|stop|last|to|top|most")


def port_functions(path, tree):
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name in ("client", "server", "main"):
            continue
        every = list(getattr(node.args, "posonlyargs", [])) + list(node.args.args)
        defaults = [None] * (len(every) - len(node.args.defaults)) + list(node.args.defaults)
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
        shown = []
        for d in defaults[:2]:
            if d is None:
                shown.append("")
            elif isinstance(d, ast.Constant):
                shown.append(repr(d.value))
            elif isinstance(d, ast.UnaryOp) and isinstance(d.operand, ast.Constant):
                shown.append(("-" if isinstance(d.op, ast.USub) else "") + repr(d.operand.value))
            else:
                shown.append("...")
        rank = [0 if looks_up else 1, 0 if bounds else 1, 0 if named else 1]
        found.append({"rank": rank, "path": path, "name": node.name, "line": node.lineno,
                      "bounds": [every[0].arg, every[1].arg], "defaults": shown})
    return found


servers = {}
for path in multi:
    tree, _ = parse(path)
    if tree is None:
        servers[path] = {"error": True}
        continue
    selects, threads = concurrency(tree)
    servers[path] = {"select": selects[:3], "threads": threads[:3]}
functions = []
for path in scan:
    tree, _ = parse(path)
    if tree is not None:
        functions.extend(port_functions(path, tree))
print(json.dumps({"files": out, "multi": servers, "functions": functions}))
"""

_PY2 = (
    (re.compile(r"^\s*print\s*>>"), "write print(..., file=log_buffer) instead of print >>"),
    (re.compile(r"^\s*print\s+[^\s(=]"), "call print as a function: print(...)"),
    (re.compile(r"^\s*print\s*$"), "call print as a function: print()"),
    (re.compile(r"except\s+[\w.]+\s*,\s*\w+\s*:"), "write `except Error as e:`"),
    (re.compile(r"^\s*raise\s+\w+\s*,"), "write `raise Error('message')`"),
    (re.compile(r"^\s*exec\s+['\"]"), "call exec as a function"),
    (re.compile(r"<>"), "write != instead of <>"),
)


@dataclass(frozen=True, slots=True)
class Inspection:
    problems: tuple[FileProblem, ...]
    client_accepts_port: bool
    client_port_literal: int | None
    optional: OptionalWork = field(default_factory=OptionalWork)


def analyse(root: Path, located: Located, python: str) -> Inspection:
    """Compile every located file under the student interpreter, read the client, and
    look for the optional tasks (multi-client server, port-services function)."""
    paths = {f.role: f.path for f in located.files}
    if not paths:
        return Inspection((), False, None)
    multi = [c.path for c in located.candidates]
    scan = python_files(root)[:MAX_SCAN_FILES]
    argv = [str(root / p) for p in paths.values()]
    argv += ["--multi", *(str(root / p) for p in multi), "--scan", *(str(root / p) for p in scan)]
    try:
        done = subprocess.run(
            [python, "-I", "-c", _SCRIPT, *argv],
            capture_output=True,
            text=True,
            timeout=ANALYSE_TIMEOUT_S,
            check=False,
        )
        answer = json.loads(done.stdout)
        files = answer["files"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as exc:
        raise InfrastructureError(
            f"could not run the student interpreter {python} to check the files ({exc}); "
            "pass a working Python 3 with --python."
        ) from exc
    problems: list[FileProblem] = []
    accepts, literal = False, None
    for role, rel in paths.items():
        entry = files.get(str(root / rel), {})
        error = entry.get("error")
        if error:
            problems.append(_problem(role, rel, root / rel, error))
        elif role == "client":
            accepts = bool(entry.get("accepts_port"))
            raw = entry.get("port_literal")
            literal = raw if isinstance(raw, int) else None
    optional = OptionalWork(
        servers=tuple(
            _multi_server(c.path, c.reason, answer.get("multi", {}).get(str(root / c.path), {}))
            for c in located.candidates
        ),
        port_function=_port_function(root, answer.get("functions", [])),
    )
    return Inspection(tuple(problems), accepts, literal, optional)


def _multi_server(path: PurePosixPath, reason: str, entry: dict[str, Any]) -> MultiServer:
    """How a candidate serves several clients, with the lines that say so."""
    if entry.get("error"):
        return MultiServer(path, reason, Concurrency.NEITHER, "it does not compile")
    selects = [(int(line), str(name)) for line, name in entry.get("select", [])]
    threads = [(int(line), str(name)) for line, name in entry.get("threads", [])]
    kind = {
        (True, False): Concurrency.SELECT,
        (False, True): Concurrency.THREADS,
        (True, True): Concurrency.BOTH,
        (False, False): Concurrency.NEITHER,
    }[(bool(selects), bool(threads))]
    said = [f"calls {name}() at line {line}" for line, name in (selects[:1] + threads[:1])]
    evidence = "; ".join(said) or "calls neither select nor threads"
    return MultiServer(path, reason, kind, evidence)


def _port_function(root: Path, found: list[dict[str, Any]]) -> PortFunction | None:
    """The likeliest function for the port-services task: it calls getservbyport and
    takes bounds named like bounds; nearest the root first."""
    best: tuple[tuple[int, ...], PortFunction] | None = None
    for entry in found:
        try:
            rel = PurePosixPath(Path(str(entry["path"])).relative_to(root).as_posix())
            bounds = tuple(str(b) for b in entry["bounds"][:2])
            defaults = tuple(str(d) for d in entry["defaults"][:2])
            function = PortFunction(
                rel, str(entry["name"]), int(entry["line"]), (bounds[0], bounds[1]), defaults
            )
            rank = (*(int(r) for r in entry["rank"]), len(rel.parts), len(str(rel)))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        if best is None or rank < best[0]:
            best = (rank, function)
    return best[1] if best else None


def _problem(role: str, rel: PurePosixPath, path: Path, error: dict[str, object]) -> FileProblem:
    line = error.get("line") if isinstance(error.get("line"), int) else None
    text = str(error.get("text") or "")
    py2 = _python2(path)
    if py2 is not None:
        n, src, fix = py2
        return FileProblem(
            role,
            rel,
            n,
            f"{rel} is Python 2 code, which Python 3 cannot run: line {n} `{src.strip()}`; "
            f"{fix}. Every other Python 2 line needs the same change.",
            source_line=src.strip(),
            python2=True,
        )
    where = f"line {line}" if line else "somewhere"
    return FileProblem(
        role,
        rel,
        line,  # type: ignore[arg-type]
        f"{rel} does not compile: {error.get('type')} at {where}: {error.get('msg')}"
        + (f" (`{text.strip()}`)" if text.strip() else "")
        + f". Run `python -m py_compile {rel.name}` to see it.",
        source_line=text.strip(),
    )


def _python2(path: Path) -> tuple[int, str, str] | None:
    """The first line that only Python 2 accepts, with what to write instead."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for n, line in enumerate(lines, start=1):
        code = line.split("#", 1)[0]
        for pattern, fix in _PY2:
            if pattern.search(code):
                return n, line, fix
    return None
