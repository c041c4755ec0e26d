"""Static look at the located files, without running them: does each compile under the
student interpreter, is it Python 2, and where will the client connect?

The analysis runs in a subprocess of the student interpreter (hostile source can exhaust
a parser), so only its JSON answer enters the grader, and it is parsed strictly.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import InfrastructureError
from grader.model import FileProblem, Located

ANALYSE_TIMEOUT_S = 20

# Runs under the student's interpreter with -I; stdlib only, Python 3.6+ syntax.
_SCRIPT = r"""
import ast, json, sys
out = {}
for path in sys.argv[1:]:
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
                args = node.args.args + node.args.kwonlyargs
                names = [a.arg for a in args]
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
print(json.dumps(out))
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


def analyse(root: Path, located: Located, python: str) -> Inspection:
    """Compile every located file under the student interpreter and read the client."""
    paths = {f.role: f.path for f in located.files}
    if not paths:
        return Inspection((), False, None)
    try:
        done = subprocess.run(
            [python, "-I", "-c", _SCRIPT, *(str(root / p) for p in paths.values())],
            capture_output=True,
            text=True,
            timeout=ANALYSE_TIMEOUT_S,
            check=False,
        )
        answer = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(
            f"could not run the student interpreter {python} to check the files ({exc}); "
            "pass a working Python 3 with --python."
        ) from exc
    problems: list[FileProblem] = []
    accepts, literal = False, None
    for role, rel in paths.items():
        entry = answer.get(str(root / rel), {})
        error = entry.get("error")
        if error:
            problems.append(_problem(role, rel, root / rel, error))
        elif role == "client":
            accepts = bool(entry.get("accepts_port"))
            raw = entry.get("port_literal")
            literal = raw if isinstance(raw, int) else None
    return Inspection(tuple(problems), accepts, literal)


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
