"""Sandboxed autograder for socket-programming homework.

The data flow is the architecture: roster -> fetch -> locate -> static -> stage ->
run (sandbox) -> score -> report. `pipeline` composes the stages; `cli` is a thin shell.

The public API, for scripts and other tools (imported on first use, so `import grader`
stays cheap):

    from grader import Settings, grade, load_assignment
    result = grade("https://github.com/ada/homework", assignment=load_assignment())
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "AssignmentError",
    "ExitCode",
    "GradeResult",
    "GraderError",
    "InfrastructureError",
    "Outcome",
    "Settings",
    "Status",
    "__version__",
    "grade",
    "grade_roster",
    "load_assignment",
    "read_roster",
    "write_class",
    "write_submission",
]


def __getattr__(name: str) -> Any:
    """The public names, imported when first asked for."""
    if name in ("AssignmentError", "ExitCode", "GraderError", "InfrastructureError"):
        from grader import errors

        return getattr(errors, name)
    if name in ("GradeResult", "Outcome", "Status"):
        from grader import model

        return getattr(model, name)
    if name == "Settings":
        from grader.settings import Settings

        return Settings
    if name == "grade":
        from grader.pipeline import grade

        return grade
    if name == "grade_roster":
        from grader.batch import grade_roster

        return grade_roster
    if name == "load_assignment":
        from grader.assignment import load

        return load
    if name == "read_roster":
        from grader.batch.roster import read

        return read
    if name in ("write_class", "write_submission"):
        from grader import report

        return getattr(report, name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
