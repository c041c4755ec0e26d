"""Run the assignment's checks on one staged submission in a trusted pytest process.

The process is started with a pinned configuration (our ini, our rootdir, no plugin
autoload, `python -I`), inside a private network namespace when the machine allows it,
with a hard wall-clock budget. It reports one JSON line per check; that file is parsed
strictly and cross-checked against the rubric, so a missing check scores zero and
nothing written by student code is ever read as a result.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.errors import InfrastructureError
from grader.harness.config import CONFIG_ENV, SCHEMA, CheckLimits, RunConfig
from grader.model import (
    Assignment,
    Captured,
    CheckResult,
    Diagnosis,
    Exchange,
    Outcome,
    RunResult,
    unb64,
)
from grader.sandbox import Capabilities, Limits, Policy, sweep
from grader.sandbox.capture import OutputCapture
from grader.sandbox.policy import SBIN_PATH, python_prefixes
from grader.static import Inspection

GRADER_ROOT = Path(__file__).resolve().parent.parent
INI = Path(__file__).resolve().parent / "harness" / "pytest.ini"
# Import the grader from its own folder whether or not it is installed; -I keeps the
# student's environment variables, user site and current folder out of this process.
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import pytest; "
    "sys.exit(pytest.main(sys.argv[1:]))"
)
UNSANDBOXED_LOCK = Path(tempfile.gettempdir()) / "grader-unsandboxed.lock"
# Harness processes now running, so an interrupted batch can kill them all at once.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def kill_running() -> None:
    """Kill every harness in flight with its process group (student processes in the
    sandbox die with it); their submissions end as NOT_RUN and are not recorded."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for proc in procs:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)


def policy_for(
    caps: Capabilities, *, sandbox: bool, python: str, limits: Limits | None = None
) -> Policy:
    try:
        prefixes = python_prefixes(python)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(
            f"the student interpreter {python} does not run ({exc}); pass a Python 3 "
            "interpreter with --python."
        ) from exc
    isolated = sandbox and caps.sandbox
    return Policy(
        isolation="bwrap" if isolated else "none",
        python=python,
        python_prefixes=prefixes,
        job_id=uuid.uuid4().hex[:12],
        limits=limits or Limits(),
        cgroup_pids=caps.cgroup_pids,
        cgroup_memory=caps.cgroup_memory,
        netns=isolated,
    )


def run_checks(
    staged: Path,
    files: dict[str, str],
    inspection: Inspection,
    assignment: Assignment,
    *,
    policy: Policy,
    caps: Capabilities,
    scratch: Path,
    check_timeout_s: float | None = None,
) -> RunResult:
    """Run every check of the assignment against the staged files; never raise for a
    student's misbehaviour (that is an outcome), only for a broken harness."""
    results_path = scratch / "results.jsonl"
    config = RunConfig(
        staged=str(staged),
        files=files,
        file_problems={p.role: p.message for p in inspection.problems},
        python2_roles=[p.role for p in inspection.problems if p.python2],
        checks={
            c.id: CheckLimits(check_timeout_s or c.timeout_s or assignment.check_timeout_s, c.needs)
            for c in assignment.checks
        },
        results_path=str(results_path),
        policy=policy,
        default_port=assignment.default_port,
        client_accepts_port=inspection.client_accepts_port,
        client_port_literal=inspection.client_port_literal,
        reference_dir=str(assignment.reference_dir) if assignment.reference_dir else None,
        quiescence_s=assignment.quiescence_s,
        **_optional_config(files, inspection),
    )
    budget = assignment.submission_budget_s
    groups = assignment.harness_groups or ((),)
    with _serialized(not policy.netns):
        started = time.monotonic()
        deadline = started + budget
        # Each group of check files gets its own harness; with private network
        # namespaces they run side by side (a student server on 10000 in one, the trusted
        # servers the client talks to on 10000 in the other), else one after another.
        harnesses: list[_Harness] = []
        for i, files_of_group in enumerate(groups):
            group_dir = scratch / f"group{i}"
            group_dir.mkdir()
            group_policy = replace(policy, job_id=f"{policy.job_id}g{i}")
            harness = _start(
                replace(config, policy=group_policy, results_path=str(group_dir / "results.jsonl")),
                files_of_group,
                assignment,
                caps,
                group_dir,
            )
            harnesses.append(harness)
            if not policy.netns:
                harness.finish(deadline)
        for harness in harnesses:
            harness.finish(deadline)
        wall = time.monotonic() - started
    timed_out = any(h.timed_out for h in harnesses)
    lines = [ln for h in harnesses for ln in _read_lines(h.results_path)]
    sessions = [ln for ln in lines if ln.get("kind") == "session"]
    checks = _checks(lines, assignment, timed_out, budget)
    if not any(c.outcome is not Outcome.NOT_RUN for c in checks) and not timed_out:
        said = " ".join(h.output.text()[-300:] for h in harnesses)
        raise InfrastructureError(
            "the grader's own check harness failed before running any check (exit status "
            f"{[h.proc.returncode for h in harnesses]}); this is a bug or a broken install: "
            f"{said}"
        )
    warnings: list[str] = []
    if any(s.get("escaped") for s in sessions) or any(h.escaped for h in harnesses):
        warnings.append(
            "some of your processes tried to outlive the grading (e.g. a daemon that forks "
            "into the background); they were killed."
        )
    return RunResult(
        checks=checks,
        wall_s=round(wall, 3),
        sandboxed=policy.isolation == "bwrap",
        timed_out=timed_out,
        job_id=policy.job_id,
        harness_output=_merged_output(harnesses),
        warnings=tuple(warnings),
        escaped=len(
            {p for h in harnesses for p in h.escaped}
            | {p for s in sessions for p in _ints(s.get("escaped"))}
        ),
    )


def _ints(value: Any) -> list[int]:
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _optional_config(files: dict[str, str], inspection: Inspection) -> dict[str, Any]:
    """The optional tasks' staged files, as the harness needs them."""
    optional = inspection.optional
    servers = [
        {
            "file": files[f"multi_server_{i}"],
            "path": str(s.path),
            "concurrency": s.concurrency.value,
            "evidence": s.evidence,
        }
        for i, s in enumerate(optional.servers, start=1)
        if f"multi_server_{i}" in files
    ]
    port = optional.port_function
    port_function = (
        {
            "file": files["port_services"],
            "path": str(port.path),
            "name": port.name,
            "line": port.line,
            "bounds": list(port.bounds),
            "defaults": list(port.defaults),
        }
        if port is not None and "port_services" in files
        else None
    )
    return {"multi_servers": servers, "port_function": port_function}


@dataclass
class _Harness:
    """One trusted pytest process running some of the checks."""

    proc: subprocess.Popen[bytes]
    output: OutputCapture
    policy: Policy
    results_path: Path
    timed_out: bool = False
    escaped: tuple[int, ...] = ()
    done: bool = False

    def finish(self, deadline: float) -> None:
        """Wait until it ends or the submission's budget is spent; then clean up after it."""
        if self.done:
            return
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.timed_out = True
        finally:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            with _RUNNING_LOCK:
                _RUNNING.discard(self.proc)
            self.output.join(2.0)
            self.escaped = tuple(sweep(self.policy))
            self.done = True


def _start(
    config: RunConfig,
    files: tuple[str, ...],
    assignment: Assignment,
    caps: Capabilities,
    scratch: Path,
) -> _Harness:
    config_path = scratch / "run.json"
    config.dump(config_path)
    targets = [str(assignment.checks_dir / f) for f in files] or [str(assignment.checks_dir)]
    argv = [
        sys.executable,
        "-I",
        "-c",
        _BOOT,
        str(GRADER_ROOT),
        "-c",
        str(INI),
        "--rootdir",
        str(assignment.checks_dir),
        "--confcutdir",
        str(assignment.checks_dir),
        "-p",
        "pytest_timeout",
        "-p",
        "grader.harness.plugin",
        *targets,
    ]
    if config.policy.netns:
        argv = [*caps.netns_command, *argv]
    setpriv = shutil.which("setpriv", path=SBIN_PATH)
    if setpriv:
        # If the grader itself is killed (even with SIGKILL), the harness dies with it.
        argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        CONFIG_ENV: str(config_path),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    out_r, out_w = os.pipe()
    proc = subprocess.Popen(
        argv,
        cwd=scratch,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out_w,
        stderr=out_w,
        start_new_session=True,
    )
    os.close(out_w)
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    return _Harness(
        proc, OutputCapture("grader harness", out_r), config.policy, Path(config.results_path)
    )


def _merged_output(harnesses: list[_Harness]) -> Captured:
    parts = [h.output.snapshot() for h in harnesses]
    return Captured(
        name="grader harness",
        head="\n".join(p.head for p in parts),
        tail="\n".join(p.tail for p in parts),
        total_bytes=sum(p.total_bytes for p in parts),
        cut_bytes=sum(p.cut_bytes for p in parts),
    )


@contextlib.contextmanager
def _serialized(needed: bool) -> Any:
    """Without network namespaces, submissions share the machine's ports (most hard-code
    10000), so unsandboxed runs take turns."""
    if not needed:
        yield
        return
    with open(UNSANDBOXED_LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """Parse the harness's JSON lines strictly; a torn last line (killed run) is dropped."""
    if not path.exists():
        return []
    lines: list[dict[str, Any]] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            lines.append(data)
    return lines


def _checks(
    lines: list[dict[str, Any]], assignment: Assignment, timed_out: bool, budget: float
) -> tuple[CheckResult, ...]:
    by_id = {ln.get("check"): ln for ln in lines if ln.get("kind") == "check"}
    results: list[CheckResult] = []
    for spec in assignment.checks:
        line = by_id.get(spec.id)
        if line is None:
            why = (
                f"this check did not run: grading your submission hit its {budget:g} s budget "
                "before reaching it."
                if timed_out
                else "this check did not report a result (the check harness stopped early)."
            )
            results.append(CheckResult(spec.id, Outcome.NOT_RUN, message=why))
            continue
        try:
            results.append(_check(spec.id, line))
        except (KeyError, TypeError, ValueError):
            results.append(
                CheckResult(spec.id, Outcome.ERROR, message="the check's report was malformed.")
            )
    return tuple(results)


def _check(check_id: str, line: dict[str, Any]) -> CheckResult:
    return CheckResult(
        check_id=check_id,
        outcome=Outcome(line["outcome"]),
        duration_s=float(line.get("duration_s", 0.0)),
        message=str(line.get("message", "")),
        exchanges=tuple(
            Exchange(
                label=str(e["label"]),
                sent=unb64(e.get("sent")),
                received=unb64(e.get("received")),
                expected=unb64(e.get("expected")),
                elapsed_s=e.get("elapsed_s"),
                note=str(e.get("note", "")),
                sent_len=_int_or_none(e.get("sent_len")),
                received_len=_int_or_none(e.get("received_len")),
                expected_len=_int_or_none(e.get("expected_len")),
            )
            for e in line.get("exchanges", ())
        ),
        outputs=tuple(
            Captured(
                name=str(o["name"]),
                head=str(o["head"]),
                tail=str(o.get("tail", "")),
                total_bytes=int(o.get("total_bytes", 0)),
                cut_bytes=int(o.get("cut_bytes", 0)),
            )
            for o in line.get("outputs", ())
        ),
        diagnoses=tuple(
            Diagnosis(
                str(d["code"]),
                str(d["text"]),
                str(d.get("evidence", "")),
                quotes_expected=d.get("quotes_expected") is True,
            )
            for d in line.get("diagnoses", ())
        ),
        reproduce=tuple(dict.fromkeys(str(r) for r in line.get("reproduce", ()))),
        hang=line.get("hang"),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
