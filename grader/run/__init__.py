"""Stage 5 of 7, staged submission -> RunResult: run the assignment's checks on it.

The pipeline talks to a `Runner` (job.py). The real one, `SandboxRunner` (runner.py),
starts trusted pytest processes (grader/run/harness.py) that drive the student's code in
the sandbox and report one record per check, parsed strictly (grader/run/results.py) and
cross-checked against the rubric: a missing check did not run and scores zero, and
nothing written by student code is ever read as a result. The policy student code runs
under, and the preflight that proves it starts, are in policy.py. Tests use a fake
runner with the same shape.
"""

from grader.run.job import Job, Runner, plan
from grader.run.policy import (
    PREFLIGHT_S,
    capabilities,
    preflight,
    ready,
    require_sandbox,
    student_policy,
    student_policy_beside,
)
from grader.run.runner import (
    ESCAPED_WARNING,
    PORTABLE_NOTE,
    SIDE_BY_SIDE,
    UNSANDBOXED_WARNING,
    SandboxRunner,
)

__all__ = [
    "ESCAPED_WARNING",
    "PORTABLE_NOTE",
    "PREFLIGHT_S",
    "SIDE_BY_SIDE",
    "UNSANDBOXED_WARNING",
    "Job",
    "Runner",
    "SandboxRunner",
    "capabilities",
    "plan",
    "preflight",
    "ready",
    "require_sandbox",
    "student_policy",
    "student_policy_beside",
]
