"""Stage 3 of 7, Located -> Inspection: a look at the located files without running
them. Does each compile under the student interpreter, is it Python 2, and where will
the client connect? It also reads what the optional tasks need: how each multi-client
server candidate serves several clients (select, threads, neither), and which function,
in any file, takes port bounds.

The analysis (`grader/inside/analyse.py`) runs in a subprocess of the student
interpreter (hostile source can exhaust a parser), so only its JSON answer enters the
grader, and it is parsed strictly.
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
ANALYSE = Path(__file__).resolve().parent / "inside" / "analyse.py"

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
    request = {
        "files": {role: str(p) for role, p in paths.items()},
        "multi": [str(c.path) for c in located.candidates],
        "scan": [str(p) for p in python_files(root)[:MAX_SCAN_FILES]],
    }
    answer = _answer(root, python, request)
    files = answer.get("files", {})
    problems: list[FileProblem] = []
    accepts, literal = False, None
    for role, rel in paths.items():
        entry = files.get(role, {})
        error = entry.get("error")
        if error:
            problems.append(_problem(role, rel, root / rel, error))
        elif role == "client":
            accepts = bool(entry.get("accepts_port"))
            raw = entry.get("port_literal")
            literal = raw if isinstance(raw, int) else None
    optional = OptionalWork(
        servers=tuple(
            _multi_server(c.path, c.reason, answer.get("multi", {}).get(str(c.path), {}))
            for c in located.candidates
        ),
        port_function=_port_function(answer.get("functions", [])),
    )
    return Inspection(tuple(problems), accepts, literal, optional)


def _answer(root: Path, python: str, request: dict[str, Any]) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-B", str(ANALYSE)],
            input=json.dumps(request),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=ANALYSE_TIMEOUT_S,
            check=False,
        )
        answer = json.loads(done.stdout)
        if not isinstance(answer, dict) or not isinstance(answer.get("files"), dict):
            raise ValueError("no files in the answer")
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(
            f"could not run the student interpreter {python} to check the files ({exc}); "
            "pass a working Python 3 with --python."
        ) from exc
    return answer


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


def _port_function(found: list[dict[str, Any]]) -> PortFunction | None:
    """The likeliest function for the port-services task: it calls getservbyport and
    takes bounds named like bounds; nearest the root first."""
    best: tuple[tuple[int, ...], PortFunction] | None = None
    for entry in found:
        try:
            rel = PurePosixPath(str(entry["path"]))
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
