"""The two scripts Gradescope runs from the autograder zip, and the settings file they
share (grader.env, written by `grade gradescope` for one assignment).

The scripts are files of this package (`setup.sh`, `run_autograder`: bash, linted with
shellcheck), read through importlib.resources. The zip carries setup.sh as it is, and
run_autograder with one placeholder, FALLBACK_PLACEHOLDER, replaced by FALLBACK as JSON.

Both take their root from $AUTOGRADER_ROOT (default /autograder), so a test can run them
against a temporary folder laid out like Gradescope's. Overrides, for tests and unusual
images: GRADER_PYTHON (an interpreter to build the venv from, instead of installing
one), GRADER_VENV, GRADER_STUDENT_USER, GRADER_ISOLATION=user (run student code as the
separate user even where bubblewrap works), GRADER_TIME_LIMIT_S.
"""

from __future__ import annotations

import json
import shlex
from importlib import resources

FAILED_MESSAGE = (
    "The autograder could not grade this submission. This is a problem of the autograder, "
    "not of your code: your instructor can see what went wrong. You may submit again later."
)
# results.json when no grader could write one (run_autograder writes it with bash alone).
FALLBACK = {
    "score": 0.0,
    "execution_time": 0.0,
    "output": f"**{FAILED_MESSAGE}**",
    "output_format": "md",
    "visibility": "visible",
    "stdout_visibility": "hidden",
    "tests": [],
    "extra_data": {
        "status": "infra_error",
        "problem": "run_autograder: the grader wrote no valid results.json",
    },
}


def grader_env(
    *, assignment_dir: str, wheel: str, version: str, user: str, time_limit_s: int
) -> str:
    """grader.env: what setup.sh and run_autograder need to know about this zip."""
    values = {
        "GRADER_ASSIGNMENT_DIR": assignment_dir,
        "GRADER_WHEEL": wheel,
        "GRADER_BUILT_VERSION": version,
        "GRADER_DEFAULT_USER": user,
        "GRADER_DEFAULT_TIME_LIMIT_S": str(time_limit_s),
    }
    lines = ["# Written by `grade gradescope`; read by setup.sh and run_autograder."]
    lines += [f"{key}={shlex.quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


FALLBACK_PLACEHOLDER = "@FALLBACK@"  # a line of run_autograder's here-document


def setup_sh() -> bytes:
    """setup.sh, as the zip carries it: the package's file."""
    return _script("setup.sh")


def run_autograder() -> bytes:
    """run_autograder, as the zip carries it: the package's file, with the results.json it
    writes when the grader could not in place of FALLBACK_PLACEHOLDER."""
    fallback = json.dumps(FALLBACK).encode()
    return _script("run_autograder").replace(FALLBACK_PLACEHOLDER.encode(), fallback)


def _script(name: str) -> bytes:
    return resources.files("grader.platforms.gradescope").joinpath(name).read_bytes()
