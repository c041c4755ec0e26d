"""Gradescope: the autograder zip, and the run inside Gradescope's container.

The contract (gradescope/autograder_samples docs/specs.md, submission_metadata.md):
the zip holds `setup.sh` (run once, as root, at image build) and an executable
`run_autograder` at its root; for each submission the harness puts the files in
/autograder/submission, runs /autograder/run_autograder, and uploads
/autograder/results/results.json, whose top-level keys and per-test keys are
FIELDS and TEST_FIELDS below. Its stdout goes to instructors only.

Scoring: every check counts (Gradescope, not the grader, hides the rubric's `hidden`
and `after_due_date` checks from students until the due date: both are Gradescope's
`after_due_date` tests, never its `hidden`, which hides a test forever), extra credit
is its own tests with max_score 0 and raises `score` above the maximum, and each test's
output is cut to the rubric's `detail` (students see it once Gradescope shows the
test). Due dates come from submission_metadata.json (a student's own extension first,
then the assignment's) and are compared with the submission's `created_at`, never the
clock. An incomplete result (a check the grader could not run) keeps the score it
earned, those checks at 0, and says at the top that it is incomplete and what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.errors import UsageError
from grader.model import Assignment, GradeResult, Isolation, Outcome, Status, Visibility
from grader.pipeline import grade
from grader.platforms import scripts
from grader.platforms.intake import Copied, copy_submission
from grader.platforms.scripts import FAILED_MESSAGE
from grader.platforms.wheel import rebuild_installed
from grader.report.files import atomic_write
from grader.report.markdown import check_markdown, escape
from grader.report.results_json import extra_data
from grader.report.text import (
    feedback_text,
    gradescope_status,
    incomplete_line,
    safe,
    summary_line,
)
from grader.report.visibility import visible_rows
from grader.run import capabilities
from grader.settings import Limits, Settings

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
STUDENT_USER = "student"  # what setup.sh creates, as Gradescope's best practices suggest
FIELDS = frozenset(
    {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
)
TEST_FIELDS = frozenset(
    {
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    }
)
# The rubric's visibility in Gradescope's words (its per-test values: "visible",
# "hidden" = never shown, "after_due_date", "after_published"). Ours says "shown once the
# deadline has passed" for both hidden kinds, which is Gradescope's after_due_date.
TEST_VISIBILITY = {
    Visibility.VISIBLE: "visible",
    Visibility.HIDDEN: "after_due_date",
    Visibility.AFTER_DUE_DATE: "after_due_date",
}
# Gradescope's defaults: 768 MB for the whole container, half a CPU, 10 minutes overall.
# Student processes get less than the container, so the grader itself survives them.
LIMITS = Limits(address_space_bytes=512 << 20, memory_bytes=384 << 20, processes=48)
TIME_LIMIT_S = 540  # run_autograder's own limit, under Gradescope's 10 minutes
TEST_OUTPUT_BYTES = 64 << 10
DOCUMENT_BYTES = 1 << 20  # no documented limit: stay where every platform is comfortable
TOO_LONG = "_The details of this check were too long to include here._"


# ---------------------------------------------------------------- submission metadata


@dataclass(frozen=True, slots=True)
class Due:
    """When the submission was made and when it was due (None: not known)."""

    submitted_at: datetime | None = None
    due: datetime | None = None
    late_due: datetime | None = None
    extension: bool = False  # the dates are the student's own (users[].assignment)
    method: str | None = None  # "upload", "GitHub", "Bitbucket"
    submission_id: str | None = None

    @property
    def late(self) -> bool | None:
        if self.submitted_at is None or self.due is None:
            return None
        return self.submitted_at > self.due


def read_metadata(path: Path) -> tuple[Due, list[str]]:
    """The dates of /autograder/submission_metadata.json, and what could not be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Due(), [f"no usable {path.name} ({exc.__class__.__name__}); dates unknown"]
    if not isinstance(data, dict):
        return Due(), [f"{path.name} is not a JSON object; dates unknown"]
    return due_from(data)


def due_from(data: Mapping[str, Any]) -> tuple[Due, list[str]]:
    """Per-student dates first (the latest among a group's members, so nobody loses an
    extension a partner has), then the assignment's; `created_at` is the submission
    time. `submission_method` is read at the top level and inside `assignment` (the
    docs disagree)."""
    problems: list[str] = []
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    assert isinstance(assignment, dict)

    def when(value: object, what: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{what} {value!r} is not an ISO date")
            return None
        if parsed.tzinfo is None:
            problems.append(f"{what} {value!r} has no time zone")
            return None
        return parsed

    personal = [
        u["assignment"]
        for u in data.get("users") or ()
        if isinstance(u, dict) and isinstance(u.get("assignment"), dict)
    ]
    dues = [d for d in (when(p.get("due_date"), "users[].due_date") for p in personal) if d]
    lates = [
        d for d in (when(p.get("late_due_date"), "users[].late_due_date") for p in personal) if d
    ]
    method = data.get("submission_method") or assignment.get("submission_method")
    return (
        Due(
            submitted_at=when(data.get("created_at"), "created_at"),
            due=max(dues) if dues else when(assignment.get("due_date"), "due_date"),
            late_due=(max(lates) if lates else None)
            if dues
            else when(assignment.get("late_due_date"), "late_due_date"),
            extension=bool(dues),
            method=str(method) if method else None,
            submission_id=str(data["id"]) if data.get("id") is not None else None,
        ),
        problems,
    )


def due_line(due: Due) -> str:
    """One sentence for the student: on time or late, against which due date."""
    if due.submitted_at is None or due.due is None:
        return ""
    whose = "your due date" if due.extension else "the due date"
    if not due.late:
        return f"Submitted on time ({whose}: {due.due.isoformat(timespec='minutes')})."
    late_by = due.submitted_at - due.due
    hours, rest = divmod(int(late_by.total_seconds()), 3600)
    when = due.due.isoformat(timespec="minutes")
    text = f"Submitted {hours} h {rest // 60} min after {whose} ({when})"
    if due.late_due is not None:
        text += f"; the late due date is {due.late_due.isoformat(timespec='minutes')}"
    return text + "."


# ---------------------------------------------------------------- results.json


def results_document(
    result: GradeResult,
    *,
    assignment: Assignment,
    due: Due | None = None,
    copied: Copied | None = None,
) -> dict[str, Any]:
    """results.json as Gradescope reads it; only documented keys (FIELDS, TEST_FIELDS)."""
    due = due or Due()
    graded = result.status is Status.GRADED and result.score is not None
    tests = _tests(result, assignment) if graded else []
    score = result.score
    points = (score.points + score.extra_points) if score and graded else 0.0
    extra = extra_data(result, reveal=False)
    extra.update(
        max_score=score.max_points if score else None,
        submitted_at=due.submitted_at.isoformat() if due.submitted_at else None,
        due_date=due.due.isoformat() if due.due else None,
        late_due_date=due.late_due.isoformat() if due.late_due else None,
        extension=due.extension,
        late=due.late,
        submission_method=due.method,
        submission_id=due.submission_id,
        files_received=[safe(f) for f in copied.files] if copied else [],
    )
    document = {
        "score": points,
        "execution_time": float(result.duration_s),
        "output": _output(result, due, copied),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": extra,
    }
    return _fit(document)


def _tests(result: GradeResult, assignment: Assignment) -> list[dict[str, Any]]:
    tests = []
    # The result is scored with every check counted; `reveal=False` cuts each check to
    # its rubric detail (students may see hidden ones once Gradescope shows them).
    for n, shown in enumerate(visible_rows(result, assignment=assignment, reveal=False), start=1):
        row = shown.row
        if row.outcome is Outcome.ERROR:
            output = (
                "The autograder could not run this check: a fault of the autograder, not of "
                "your code. It earns no points until it is graded again; your instructor can "
                "see why."
            )
        else:
            output = check_markdown(shown)
        if len(output.encode()) > TEST_OUTPUT_BYTES:
            output = escape(
                feedback_text(shown.check, detail=shown.detail)[: TEST_OUTPUT_BYTES // 4]
            )
        tests.append(
            {
                "name": row.title,
                "number": str(n),
                "score": row.points,
                "max_score": 0.0 if row.extra else row.max_points,
                "status": gradescope_status(row),
                "output": output,
                "output_format": "md",
                "visibility": TEST_VISIBILITY[row.visibility],
                "tags": [row.check_id, *([shown.category] if shown.category else [])],
            }
        )
    return tests


def _output(result: GradeResult, due: Due, copied: Copied | None) -> str:
    lines: list[str] = []
    if result.status is Status.INFRA_ERROR:
        lines.append(f"**{FAILED_MESSAGE}**")
    elif result.status is not Status.GRADED or result.score is None:
        lines.append(f"**Not graded:** {escape(result.problem)}")
        if copied is not None:
            received = ", ".join(copied.files[:20]) or "no files"
            lines.append(f"Files received: {escape(received)}")
    else:
        s = result.score
        extra = f" (+{s.extra_points:g} extra credit)" if s.extra_points else ""
        lines.append(f"**{s.points:g}/{s.max_points:g} points**{extra}")
        if result.incomplete:  # the earned score stands; the rest is missing, not lost
            sentence = incomplete_line(result).removeprefix("incomplete: ")
            lines.append(f"**Incomplete:** {escape(sentence)}.")
        if result.located:
            graded = ", ".join(f"{f.path} ({f.reason})" for f in result.located.files)
            lines.append(f"Graded: {escape(graded)}")
    if due_line(due):
        lines.append(escape(due_line(due)))
    lines.extend(f"**Warning:** {escape(w)}" for w in result.warnings)
    return "\n\n".join(lines)


def _fit(document: dict[str, Any]) -> dict[str, Any]:
    """Replace test outputs, longest first, until the document fits DOCUMENT_BYTES."""
    tests = document["tests"]
    while len(json.dumps(document).encode()) > DOCUMENT_BYTES:
        left = [t for t in tests if t["output"] != TOO_LONG]
        if not left:
            break
        max(left, key=lambda t: len(t["output"]))["output"] = TOO_LONG
    return document


def failure_document(reason: str) -> dict[str, Any]:
    """results.json when the grader itself failed: a zero nobody is blamed for."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": f"**{FAILED_MESSAGE}**",
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": Status.INFRA_ERROR.value, "problem": safe(reason)},
    }


def write_results(root: Path, *, document: Mapping[str, Any]) -> Path:
    """Write results/results.json at once (Gradescope reads a whole file or none)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / "results.json", text=json.dumps(document, indent=1) + "\n")


# ---------------------------------------------------------------- the run


def run(
    root: Path,
    *,
    assignment: Assignment,
    settings: Settings,
    out: TextIO,
) -> dict[str, Any]:
    """Grade root/submission and write root/results/results.json; the instructor-only
    stdout says which isolation was used and shows every check in full."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    results.chmod(0o700)  # out of reach of student code running as another user
    due, problems = read_metadata(root / "submission_metadata.json")
    caps = capabilities()
    print(
        f"grader {__version__}, assignment {assignment.name} v{assignment.version} "
        f"({assignment.digest})",
        file=out,
    )
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as scratch:
        copied = copy_submission(root / "submission", dest=Path(scratch) / "submission")
        folder = Path(scratch) / "submission"
        result = grade(
            str(folder),
            assignment=assignment,
            settings=replace(settings, reveal=True),
            student=f"gradescope-{due.submission_id or 'submission'}",
        )
        result = replace(result, problem=result.problem.replace(str(folder), "your submission"))
    if result.checkout is not None:
        checkout = replace(
            result.checkout,
            source=f"gradescope {due.method or 'submission'}",
            path=None,
            commit=copied.commit,
            branch=copied.branch,
        )
        result = replace(result, checkout=checkout)
    document = results_document(result, assignment=assignment, due=due, copied=copied)
    write_results(root, document=document)
    print(isolation_line(result, settings=settings, problems=caps.problems), file=out)
    for problem in problems:
        print(f"metadata: {problem}", file=out)
    print(submission_line(copied), file=out)
    print(f"due: {due_line(due) or 'unknown'}", file=out)
    print(f"{result.status.value}: {summary_line(result)}", file=out)
    if result.problem:
        print(f"problem: {safe(result.problem)}", file=out)
    for shown in visible_rows(result, assignment=assignment, reveal=True):
        if shown.row.outcome is not Outcome.PASSED:
            print(f"\n[{shown.row.outcome.value}] {shown.row.title}", file=out)
            print(feedback_text(shown.check, detail=shown.detail), file=out)
    return document


def submission_line(copied: Copied) -> str:
    """What was received, for the instructor-only stdout."""
    line = f"submission: {len(copied.files)} files copied"
    if copied.skipped:
        line += f", {len(copied.skipped)} skipped ({', '.join(copied.skipped[:5])})"
    if copied.commit:
        line += f"; repository at commit {copied.commit} ({copied.branch or 'detached HEAD'})"
    return safe(line)


def isolation_line(result: GradeResult, *, settings: Settings, problems: tuple[str, ...]) -> str:
    """Which isolation student code had, for the instructor-only stdout."""
    isolation = result.run.isolation if result.run else None
    why = f" (bubblewrap unavailable: {'; '.join(problems)})" if problems else ""
    if isolation is Isolation.BWRAP:
        return "isolation: bubblewrap (own namespaces, unprivileged uid, private network)"
    if isolation is Isolation.USER:
        return (
            f"isolation: a separate unprivileged uid per job (allowed by --user "
            f"'{settings.run_as}'), rlimits, the grader's files and results out of its "
            f"reach{why}"
        )
    if isolation is Isolation.NONE:
        return f"isolation: NONE, student code ran as the grader's own user{why}"
    return "isolation: no student code ran"


# ---------------------------------------------------------------- the zip


def build(
    assignment: Assignment,
    *,
    out: Path,
    wheel: Path | None = None,
) -> Path:
    """Write the autograder zip: setup.sh, run_autograder, the grader as a wheel, and
    the assignment folder (with its reference and template) it grades."""
    with tempfile.TemporaryDirectory(prefix="grader-zip-") as tmp:
        built = wheel or build_wheel(Path(tmp))
        if not built.is_file() or built.suffix != ".whl":
            raise UsageError(f"--wheel {built} is not a wheel file; build one with pip wheel.")
        base, parts = assignment_files(assignment)
        rel_root = assignment.root.relative_to(base).as_posix()
        env = scripts.grader_env(
            assignment_dir="assignment" if rel_root == "." else f"assignment/{rel_root}",
            wheel=built.name,
            version=__version__,
            user=STUDENT_USER,
            time_limit_s=TIME_LIMIT_S,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            _add(z, "setup.sh", scripts.SETUP_SH.encode(), 0o755)
            _add(z, "run_autograder", scripts.RUN_AUTOGRADER.encode(), 0o755)
            _add(z, "grader.env", env.encode(), 0o644)
            _add(z, built.name, built.read_bytes(), 0o644)
            for path in parts:
                name = f"assignment/{path.relative_to(base).as_posix()}"
                _add(z, name, path.read_bytes(), 0o644)
        partial.replace(out)
    return out


def assignment_files(assignment: Assignment) -> tuple[Path, list[Path]]:
    """The files of the assignment folder, its reference, its template and its data
    folders, and the folder they share, so the relative paths in assignment.toml hold."""
    roots = [r for r in (assignment.root, assignment.reference_dir, assignment.template_dir) if r]
    roots += [d.source for d in assignment.data]
    base = Path(os.path.commonpath([str(r) for r in roots]))
    files = sorted(
        {
            p
            for r in roots
            for p in r.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }  # a reference or template inside the assignment folder is listed once
    )
    return base, files


def _add(z: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def source_root() -> Path | None:
    """This grader's source tree (pyproject.toml beside the package), if it is one."""
    root = Path(__file__).resolve().parent.parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


def build_wheel(dest: Path) -> Path:
    """Build the grader's wheel from its source with pip (whatever the build backend),
    in a copy of the source so the tree is left untouched; from a plain install, rebuild
    it from the installed files."""
    root = source_root()
    if root is None:  # a plain install: its own files, as its wheel held them
        return rebuild_installed(dest)
    copy = dest / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    copy.mkdir()
    for name in (
        "pyproject.toml",
        "hatch_build.py",
        "README.md",
        "LICENSE",
        "setup.py",
        "setup.cfg",
        "MANIFEST.in",
    ):
        if (root / name).is_file():
            shutil.copy2(root / name, copy / name)
    for folder in ("grader", "assignments", "reference", "student_template"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, copy / folder, ignore=ignore)
    wheels = dest / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(copy)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    built = sorted(wheels.glob("grader-*.whl")) if wheels.is_dir() else []
    if done.returncode != 0 or not built:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise UsageError(
            f"pip could not build the grader's wheel ({said[-1] if said else done.returncode}); "
            "check that pip can reach PyPI for the build backend, or pass --wheel FILE."
        )
    return built[-1]
