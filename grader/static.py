"""Stage 3 of 7, Snapshot + Located -> Inspection: a look at the located files without
running them. Does each compile under the student interpreter, is it Python 2, and where
will the client connect? It also reads what the optional tasks the
assignment lists need: how each multi-client server candidate serves several clients
(select, threads, neither), and which function, in any file, takes port bounds.

The analysis (`grader/inside/analyse.py`) runs in the sandbox, under the same limits as
student code and with no network, on copies of the files written from the snapshot. It
answers one JSON line per file as it goes, so a file that makes it run out of time or
memory, or crash, is known by name: that is the student's verdict (a FileProblem), and
the files after it are looked at in a second run. Only an analysis that cannot start at
all is the machine's fault (InfrastructureError). The grader's own process reads no
student file: Python 2 is recognised in the snapshot's (capped) bytes.
"""

from __future__ import annotations

import json
import os
import re
import select
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from grader import codec
from grader.errors import InfrastructureError
from grader.locate import python_files
from grader.model import (
    Concurrency,
    FileProblem,
    Located,
    LocatedFile,
    MultiServer,
    OptionalWork,
    PortFunction,
)
from grader.sandbox import Launcher, Policy, StudentProcess
from grader.snapshot import Snapshot

ANALYSE_TIMEOUT_S = 20.0
MAX_SCAN_FILES = 200  # files searched for the port-services function
MAX_SCAN_BYTES = 256 * 1024  # bigger files are not searched (analyse.py's own cap)
MAX_ANSWER = 4 << 20  # bytes of answer read from the analysis
MAX_RUNS = 3  # analyses of one submission: one, and one after each file that stopped it

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


@dataclass(frozen=True, slots=True)
class Task:
    """One file to look at: compile a graded file ("file", with its role), read a
    multi-client candidate ("multi"), or search for the port function ("scan")."""

    kind: str
    path: PurePosixPath
    role: str = ""


@dataclass(frozen=True, slots=True)
class Stopped:
    """The file the analysis was on when it ran out of time or memory, or crashed."""

    task: Task
    why: str


def analyse(
    snapshot: Snapshot,
    *,
    located: Located,
    policy: Policy,
    scratch: Path,
    timeout_s: float = ANALYSE_TIMEOUT_S,
    optional: tuple[str, ...] = (),
) -> Inspection:
    """Compile every located file under the student interpreter, read the client, and
    look for the `optional` tasks (the assignment's), in the sandbox (scratch: a new
    folder of ours)."""
    if not located.files:
        return Inspection((), False, None)
    tasks = _tasks(snapshot, located, scan="port_services" in optional)
    answers, stops = _answers(snapshot, tasks, policy, scratch, timeout_s)
    problems: list[FileProblem] = []
    accepts, literal = False, None
    for task in (t for t in tasks if t.kind == "file"):
        stop = next((s for s in stops if s.task == task), None)
        entry = answers.get(task, {})
        if stop is not None:
            problems.append(_stopped(task, stop.why))
        elif _out_of_memory(entry.get("error")):
            problems.append(_stopped(task, _memory_why(policy)))
        elif isinstance(entry.get("error"), dict):
            problems.append(_problem(task, snapshot.data(task.path) or b"", entry["error"]))
        elif task.role == "client":
            accepts = entry.get("accepts_port") is True
            raw = entry.get("port_literal")
            literal = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    servers = tuple(
        _multi_server(c, answers.get(Task("multi", c.path), {}), stops) for c in located.candidates
    )
    found = [
        (t.path, f)
        for t in tasks
        if t.kind == "scan"
        for f in _items(answers.get(t, {}), "functions")
    ]
    work = OptionalWork(servers=servers, port_function=_port_function(found))
    return Inspection(tuple(problems), accepts, literal, work)


def _tasks(snapshot: Snapshot, located: Located, *, scan: bool) -> list[Task]:
    """The graded files first, then the candidates, then the files to search (`scan`)."""
    tasks = [Task("file", f.path, f.role) for f in located.files]
    tasks += [Task("multi", c.path) for c in located.candidates]
    if not scan:
        return tasks
    small = [p for p in python_files(snapshot) if len(snapshot.data(p) or b"") <= MAX_SCAN_BYTES]
    tasks += [Task("scan", p) for p in small[:MAX_SCAN_FILES]]
    return tasks


def _answers(
    snapshot: Snapshot, tasks: list[Task], policy: Policy, scratch: Path, timeout_s: float
) -> tuple[dict[Task, dict[str, Any]], list[Stopped]]:
    """Every task's answer; a file that stops the analysis is noted, and the analysis
    goes on after it (at most MAX_RUNS runs)."""
    scratch.mkdir(parents=True)
    names = _write_copies(snapshot, tasks, scratch / "files")
    answers: dict[Task, dict[str, Any]] = {}
    stops: list[Stopped] = []
    pending = tasks
    for run in range(MAX_RUNS):
        request = [{"kind": t.kind, "path": f"files/{names[t.path]}"} for t in pending]
        (scratch / "request.json").write_text(json.dumps({"tasks": request}))
        lines, why = _run(scratch, policy, timeout_s)
        done, started = _read(lines, pending)
        answers.update(done)
        if why is None:
            break
        if started is None:
            if run == 0 and not done:
                raise InfrastructureError(
                    f"could not run the student interpreter {policy.python} to check the "
                    f"files ({why}); pass a working Python 3 with --python."
                )
            break
        stops.append(Stopped(pending[started], why))
        pending = pending[started + 1 :]
    return answers, stops


def _write_copies(snapshot: Snapshot, tasks: list[Task], folder: Path) -> dict[PurePosixPath, str]:
    """Each file once, under a plain name: no name of the student's reaches a command."""
    folder.mkdir()
    names: dict[PurePosixPath, str] = {}
    for task in tasks:
        if task.path not in names:
            names[task.path] = f"{len(names)}.py"
            (folder / names[task.path]).write_bytes(snapshot.data(task.path) or b"")
    return names


def _run(folder: Path, policy: Policy, timeout_s: float) -> tuple[list[bytes], str | None]:
    """Run analyse.py in the sandbox; its answer lines, and why it stopped early (None:
    it finished)."""
    job_id = f"{policy.job_id}s{uuid.uuid4().hex[:4]}"  # the submission's, marked "static"
    # Its address space is capped at the memory a submission gets, so a file that takes
    # the parser past it stops the analysis with or without a memory cgroup: the verdict
    # does not depend on the machine.
    limits = policy.limits
    capped = replace(
        limits, address_space_bytes=min(limits.address_space_bytes, limits.memory_bytes)
    )
    launcher = Launcher(replace(policy, job_id=job_id, limits=capped), folder, offline=True)
    answer_r, answer_w = os.pipe()
    try:
        try:
            with open(folder / "request.json", "rb") as request:
                proc = launcher.spawn(
                    [launcher.program("analyse.py"), str(answer_w)],
                    name="analysis",
                    pass_fds=(answer_w,),
                    stdin=request.fileno(),
                )
        finally:
            os.close(answer_w)
        raw, why = _collect(answer_r, proc, timeout_s)
    finally:
        os.close(answer_r)
        launcher.close()
    lines = raw.splitlines()
    if why is None and lines[-1:] != [b'{"end": true}']:
        why = _death(proc.returncode, policy)
    return lines, why


def _death(code: int | None, policy: Policy) -> str:
    """Why the analysis ended without finishing, in the student's terms."""
    if code in (-9, 128 + 9):
        return _memory_why(policy)
    if code in (-24, 128 + 24):
        return f"it used more than {policy.limits.cpu_s} s of CPU"
    return f"the Python parser crashed on it (exit status {code})"


def _collect(fd: int, proc: StudentProcess, timeout_s: float) -> tuple[bytes, str | None]:
    """The answer pipe read to its end, within the time limit and MAX_ANSWER."""
    raw = bytearray()
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(raw), f"looking at it took longer than {timeout_s:g} s"
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            proc.wait(max(deadline - time.monotonic(), 0.1))
            return bytes(raw), None
        raw += chunk
        if len(raw) > MAX_ANSWER:
            return bytes(raw[:MAX_ANSWER]), "looking at it gave an answer too big to read"


def _read(lines: list[bytes], tasks: list[Task]) -> tuple[dict[Task, dict[str, Any]], int | None]:
    """The answers in the lines, and the task started but not answered, if any."""
    done: dict[Task, dict[str, Any]] = {}
    started: int | None = None
    for line in lines:
        try:
            item = codec.read_json(line, max_bytes=MAX_ANSWER)
        except ValueError:
            break
        if not isinstance(item, dict):
            break
        index = item.get("start", item.get("done"))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(tasks):
            continue
        if "start" in item:
            started = index
        elif isinstance(item.get("answer"), dict):
            done[tasks[index]] = item["answer"]
            started = None
    return done, started


def _memory_why(policy: Policy) -> str:
    """A kill by the memory cgroup and the parser's MemoryError say the same."""
    return f"it ran out of memory (student code gets {policy.limits.memory_bytes >> 20} MiB)"


def _out_of_memory(error: object) -> bool:
    """The parser ran out of memory (a MemoryError under the capped address space)."""
    return isinstance(error, dict) and error.get("type") == "MemoryError"


def _stopped(task: Task, why: str) -> FileProblem:
    return FileProblem(
        task.role,
        task.path,
        None,
        f"{task.path} could not be checked: {why}; the grader compiles each file under "
        "the limits your code gets, so make this one smaller or simpler.",
    )


def _items(entry: dict[str, Any], key: str) -> list[Any]:
    found = entry.get(key)
    return found if isinstance(found, list) else []


def _multi_server(
    candidate: LocatedFile, entry: dict[str, Any], stops: list[Stopped]
) -> MultiServer:
    """How a candidate serves several clients, with the lines that say so."""
    path, reason = candidate.path, candidate.reason
    stop = next((s for s in stops if s.task == Task("multi", path)), None)
    if stop is not None:
        return MultiServer(path, reason, Concurrency.NEITHER, f"it could not be read: {stop.why}")
    if entry.get("error") or not entry:
        return MultiServer(path, reason, Concurrency.NEITHER, "it does not compile")
    try:
        selects = [(int(line), str(name)) for line, name in _items(entry, "select")]
        threads = [(int(line), str(name)) for line, name in _items(entry, "threads")]
    except (TypeError, ValueError):
        return MultiServer(path, reason, Concurrency.NEITHER, "it could not be read")
    kind = {
        (True, False): Concurrency.SELECT,
        (False, True): Concurrency.THREADS,
        (True, True): Concurrency.BOTH,
        (False, False): Concurrency.NEITHER,
    }[(bool(selects), bool(threads))]
    said = [f"calls {name}() at line {line}" for line, name in (selects[:1] + threads[:1])]
    evidence = "; ".join(said) or "calls neither select nor threads"
    return MultiServer(path, reason, kind, evidence)


def _port_function(found: list[tuple[PurePosixPath, Any]]) -> PortFunction | None:
    """The likeliest function for the port-services task: it calls getservbyport and
    takes bounds named like bounds; nearest the root first."""
    best: tuple[tuple[int, ...], PortFunction] | None = None
    for rel, entry in found:
        try:
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


def _problem(task: Task, data: bytes, error: dict[str, Any]) -> FileProblem:
    rel = task.path
    line = error.get("line") if isinstance(error.get("line"), int) else None
    text = _clean(str(error.get("text") or ""))
    py2 = _python2(data)
    if py2 is not None:
        n, src, fix = py2
        return FileProblem(
            task.role,
            rel,
            n,
            f"{rel} is Python 2 code, which Python 3 cannot run: line {n} `{src.strip()}`; "
            f"{fix}. Every other Python 2 line needs the same change.",
            source_line=src.strip(),
            python2=True,
        )
    where = f"line {line}" if line else "somewhere"
    return FileProblem(
        task.role,
        rel,
        line,
        f"{rel} does not compile: {_clean(str(error.get('type')))} at {where}: "
        f"{_clean(str(error.get('msg')))}"
        + (f" (`{text.strip()}`)" if text.strip() else "")
        + f". Run `python -m py_compile {rel.name}` to see it.",
        source_line=text.strip(),
    )


def _clean(text: str) -> str:
    """Text from the analysis with nothing that cannot be written as UTF-8."""
    return text[:500].encode("utf-8", "backslashreplace").decode("utf-8")


def _python2(data: bytes) -> tuple[int, str, str] | None:
    """The first line that only Python 2 accepts, with what to write instead."""
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        code = line.split("#", 1)[0]
        for pattern, fix in _PY2:
            if pattern.search(code):
                return n, line[:500], fix
    return None
