"""The policy student code runs under on this machine (probed once per process), and the
preflight that proves the student interpreter (and a check harness) start under it
before any verdict: a machine that cannot grade says so in one sentence."""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TypeVar

from grader import trace
from grader.errors import InfrastructureError
from grader.model import Isolation
from grader.run import harness as harnesses
from grader.sandbox import Capabilities, Launcher, Policy, policy_for, probe
from grader.sandbox.policy import NOBODY, with_job
from grader.settings import Settings

T = TypeVar("T")


def capabilities(portable: bool | None = None) -> Capabilities:
    """What this machine offers, probed once per process (`portable`: as if it had none
    of Linux's facilities; by default as the settings say)."""
    return _probed(Settings().portable if portable is None else portable)


@cache
def _probed(portable: bool) -> Capabilities:
    return probe(portable=portable)


def require_sandbox(caps: Capabilities) -> None:
    """Refuse, in one sentence, to grade a batch on a machine without the sandbox."""
    if not caps.sandbox:
        raise InfrastructureError(
            "batch grading runs student code only in the sandbox, which this machine lacks ("
            + "; ".join(caps.problems)
            + "); fix that, or pass --no-sandbox to run it unprotected."
        )


def student_policy(settings: Settings) -> Policy:
    """The policy student code runs under on this machine, once the interpreter is known
    to start under it (the static look of the files runs under it too)."""
    caps = capabilities(settings.portable)
    if settings.require_sandbox:
        require_sandbox(caps)
    policy = _policy(settings, caps)
    with trace.span("preflight"):
        preflight(policy, caps=caps)
    return policy


def student_policy_beside(settings: Settings, *, work: Callable[[Policy], T]) -> tuple[Policy, T]:
    """As student_policy, with `work` done under the policy while the preflight runs
    beside it (both start the interpreter: side by side they take the time of one). If
    the interpreter cannot start, the preflight's sentence is the one raised."""
    caps = capabilities(settings.portable)
    if settings.require_sandbox:
        require_sandbox(caps)
    policy = _policy(settings, caps)
    failed: list[InfrastructureError] = []

    def check() -> None:
        try:
            with trace.span("preflight"):
                preflight(policy, caps=caps)
        except InfrastructureError as exc:
            failed.append(exc)

    beside = threading.Thread(target=check, name="preflight")
    beside.start()
    try:
        done = work(policy)
    finally:
        beside.join()
        if failed:
            raise failed[0]
    return policy, done


def _policy(settings: Settings, caps: Capabilities) -> Policy:
    return policy_for(
        caps,
        sandbox=settings.sandbox,
        python=settings.python,
        limits=settings.limits,
        run_as=settings.run_as,
        prefer_run_as=settings.prefer_run_as,
    )


_PREFLIGHT_LOCK = threading.Lock()
_PREFLIGHT_DONE: set[Policy] = set()
PREFLIGHT_S = 30.0


def ready(settings: Settings) -> None:
    """Before a batch (or on a worker): raise InfrastructureError, in one sentence, unless
    student code and the check harness start here as the settings ask."""
    caps = capabilities(settings.portable)
    preflight(_policy(settings, caps), caps=caps, harness=True)


def preflight(policy: Policy, *, caps: Capabilities | None = None, harness: bool = False) -> None:
    """Start the student interpreter under the policy (in the sandbox, when sandboxed),
    and with `harness` a check harness that only imports (in its network namespace), once
    per process and policy, before any check: if one cannot start, this raises and no
    student verdict is produced. (A single run leaves the harness out: it costs 0.3 s, and
    a harness that reports nothing is the grader's fault anyway, see runner.py's `_result`.)"""
    key = replace(
        policy, job_id="", uid=NOBODY, run_as=(0, 0) if policy.run_as else None, hidden=()
    )
    with _PREFLIGHT_LOCK:
        todo = [k for k, wanted in ((key, True), (_harness_key(key), harness)) if wanted]
        if all(k in _PREFLIGHT_DONE for k in todo):
            return
        probe = (
            harnesses.start_probe(policy, caps=caps or capabilities(policy.portable))
            if harness
            else None
        )
        try:
            _interpreter_starts(policy)
        finally:
            problem = harnesses.probe_result(probe, timeout_s=PREFLIGHT_S) if probe else ""
        if problem:
            raise InfrastructureError(
                f"the grader's check harness does not start here ({problem}); run "
                "`grade --check-sandbox`, and reinstall the grader if that finds nothing."
            )
        _PREFLIGHT_DONE.update(todo)


def _harness_key(key: Policy) -> Policy:
    return replace(key, job_id="harness")


def _interpreter_starts(policy: Policy) -> None:
    with tempfile.TemporaryDirectory(prefix="grader-preflight-") as folder:
        launcher = Launcher(with_job(policy, job_id=uuid.uuid4().hex[:12]), Path(folder))
        proc = launcher.spawn(["-c", "import socket, select, json"], name="preflight")
        code = proc.wait(PREFLIGHT_S)
        if code is not None:  # what it said, all of it, before it is read
            proc.stderr.join(1.0)
            proc.stdout.join(1.0)
        said = (proc.stderr.text() + proc.stdout.text()).strip().splitlines()
        launcher.close()
    if code != 0:
        why = said[-1] if said else f"exit status {code}"
        where = "in the sandbox" if policy.isolation is Isolation.BWRAP else "here"
        raise InfrastructureError(
            f"the student interpreter {policy.python} does not start {where} ({why}); "
            "run `grade --check-sandbox`, or pass another interpreter with --python."
        )
