"""Gradescope: the autograder zip, and the run inside Gradescope's container.

The contract (gradescope/autograder_samples docs/specs.md, submission_metadata.md):
the zip holds `setup.sh` (run once, as root, at image build) and an executable
`run_autograder` at its root; for each submission the harness puts the files in
/autograder/submission, runs /autograder/run_autograder, and uploads
/autograder/results/results.json, whose top-level keys and per-test keys are
FIELDS and TEST_FIELDS. Its stdout goes to instructors only.

- `bundle`: the zip (`build`), with the grader's wheel and the assignment folder;
- `scripts`: setup.sh and run_autograder (files of this package) and grader.env;
- `grading`: the run of one submission in the container (`run`);
- `results`: results.json for Gradescope (`results_document`, `failure_document`);
- `dates`: when the submission was made and due, from submission_metadata.json.
"""

from grader.platforms.gradescope.bundle import (
    STUDENT_USER,
    TIME_LIMIT_S,
    assignment_files,
    build,
    build_wheel,
    source_root,
)
from grader.platforms.gradescope.dates import Due, due_from, due_line, read_metadata
from grader.platforms.gradescope.grading import (
    DEFAULT_ROOT,
    LIMITS,
    ROOT_ENV,
    isolation_line,
    run,
    submission_line,
)
from grader.platforms.gradescope.results import (
    FIELDS,
    TEST_FIELDS,
    TEST_VISIBILITY,
    failure_document,
    results_document,
    write_results,
)
from grader.platforms.gradescope.scripts import FAILED_MESSAGE

__all__ = [
    "DEFAULT_ROOT",
    "FAILED_MESSAGE",
    "FIELDS",
    "LIMITS",
    "ROOT_ENV",
    "STUDENT_USER",
    "TEST_FIELDS",
    "TEST_VISIBILITY",
    "TIME_LIMIT_S",
    "Due",
    "assignment_files",
    "build",
    "build_wheel",
    "due_from",
    "due_line",
    "failure_document",
    "isolation_line",
    "read_metadata",
    "results_document",
    "run",
    "source_root",
    "submission_line",
    "write_results",
]
