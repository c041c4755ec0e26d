"""`grade`: the command line, a thin shell over the library; the only code that prints
or exits.

Exit codes: 0 graded (whatever the score), 1 below --fail-under, 2 usage error,
3 could not fetch or nothing gradable, 4 this machine (or the grader) could not grade,
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from grader import __version__, assignment, report, trace
from grader.cli import interrupt, summary
from grader.cli.paths import ours, writable_file, writable_folder
from grader.errors import ExitCode, GraderError, SourceError, UsageError
from grader.model import Assignment, GradeResult, Status
from grader.pipeline import grade
from grader.report.files import ignore_in_git
from grader.run import capabilities, ready, require_sandbox
from grader.sandbox.policy import limits_in_force
from grader.settings import Settings, default_jobs

if TYPE_CHECKING:
    from grader.batch import BatchSummary
    from grader.batch.cluster import Cluster

# Subcommands and the batch load on use: a student's `grade .` imports neither the
# batch, Dask, rich nor the web server (a tenth of a second at every start).
PLATFORM_COMMANDS = ("gradescope", "prairielearn", "export")

DEFAULTS = Settings()
EPILOG = """examples:
  grade .                                   grade the folder you are in
  grade --roster roster.csv --repo-template 'https://github.com/{github_username}/homework' \\
        --deadline 2026-12-01T23:59:00-08:00 --out grades/
  grade view grades/                        serve the reports on 127.0.0.1
  grade template my_homework                write the starting files into my_homework/
  grade https://github.com/you/homework    grade a pushed repository
  grade . --fail-under 100                  exit 1 unless everything passes (for CI)
  grade --check-sandbox                     what isolation this machine provides
  grade . --assignment NAME                 grade another bundled assignment (or a folder)
  grade gradescope NAME -o autograder.zip   the zip to upload to Gradescope
  grade export canvas grades/ --gradebook export.csv --match 'SIS Login ID' -o canvas.csv
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `grade --help`.")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="grade",
        description="Grade a socket homework submission in a sandbox and write a report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", nargs="?", help="git URL, local clone, or folder (e.g. .)")
    p.add_argument("--out", type=Path, default=DEFAULTS.out_dir, help="output folder (grades/)")
    p.add_argument("--assignment", help=assignment.help_text())
    p.add_argument("--python", default=DEFAULTS.python, help="interpreter for student code")
    p.add_argument("--timeout", type=float, help="seconds per check (default from the rubric)")
    p.add_argument("--json", action="store_true", help="print results.json to stdout")
    p.add_argument("--fail-under", type=float, metavar="PCT", help="exit 1 below this percent")
    p.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help='also write a Markdown summary (e.g. "$GITHUB_STEP_SUMMARY")',
    )
    p.add_argument("--reveal", action="store_true", help="show and count hidden checks")
    p.add_argument("--no-sandbox", action="store_true", help="run student code unsandboxed")
    p.add_argument("--check-sandbox", action="store_true", help="report isolation and exit")
    p.add_argument("--name", help="name of the submission's output folder")
    _batch_options(p.add_argument_group("batch grading (instructors)"))
    p.add_argument("--version", action="version", version=f"grade {__version__}")
    return p


def _batch_options(b: argparse._ArgumentGroup) -> None:
    b.add_argument(
        "--roster", type=Path, help="CSV roster: GitHub Classroom export or identifier,repo"
    )
    b.add_argument("--repo-template", help="e.g. 'https://github.com/{github_username}/homework'")
    b.add_argument(
        "--deadline",
        help="ISO time with zone: grade the last commit at or before it; once it has "
        "passed, hidden checks are shown and counted",
    )
    b.add_argument("--jobs", type=int, help="submissions graded at once (default: 3 per core)")
    b.add_argument("--regrade", action="store_true", help="grade again even if already graded")
    b.add_argument(
        "--no-selfcheck",
        action="store_true",
        help="skip grading the reference and faulty variants first (they check the grader)",
    )
    b.add_argument(
        "--cluster",
        default=os.environ.get("GRADER_CLUSTER"),
        help="Dask scheduler address, e.g. tcp://head:8786 (or $GRADER_CLUSTER)",
    )


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None) -> int:
    trace.record("cli main", start=time.monotonic(), seconds=0.0)
    out = stdout or sys.stdout
    args_in = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args_in[:1] == ["view"]:  # Ctrl-C is how a server stops: not an interruption
        return _guarded(args_in, out)
    return interrupt.remembered(lambda: _guarded(args_in, out))


def _guarded(args_in: list[str], out: TextIO) -> int:
    try:
        if args_in[:1] == ["view"]:
            from grader.cli import view

            return view.main(args_in[1:], out=out)
        if args_in[:1] and args_in[0] in PLATFORM_COMMANDS:
            from grader.cli import platforms

            return platforms.main(args_in, out=out)
        if args_in[:1] == ["template"]:
            from grader.cli import template

            return template.main(args_in[1:], out=out)
        return _main(_parser().parse_args(args_in), out)
    except GraderError as exc:
        print(f"grade: {report.text.safe_line(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(interrupt.SENTENCE, file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception:
        traceback.print_exc()
        print("grade: this is a bug in the grader; please report it.", file=sys.stderr)
        return int(ExitCode.INFRASTRUCTURE)


def _main(args: argparse.Namespace, out: TextIO) -> int:
    if args.check_sandbox:
        return _check_sandbox(out)
    if args.markdown is not None and args.roster is not None:
        raise UsageError("--markdown summarises one submission; it does not go with --roster.")
    if args.roster is not None:
        return _batch(args, out)
    if args.repo_template or args.jobs or args.regrade or args.no_selfcheck:
        raise UsageError("--repo-template, --jobs, --regrade and --no-selfcheck go with --roster.")
    if not args.source:
        raise UsageError(
            "give what to grade, e.g. `grade .` or `grade https://github.com/you/homework`."
        )
    return _single(args, out)


def _settings(args: argparse.Namespace, *, batch: bool) -> Settings:
    if args.timeout is not None and not 0 < args.timeout <= 600:
        raise UsageError("--timeout must be a number of seconds between 0 and 600.")
    python = args.python
    if not (Path(python).is_file() and os.access(python, os.X_OK)):
        raise UsageError(
            f"--python {python} is not an executable file; give a Python 3 interpreter."
        )
    return Settings(
        out_dir=args.out,
        python=python,
        check_timeout_s=args.timeout,
        sandbox=not args.no_sandbox,
        require_sandbox=batch and not args.no_sandbox,
        reveal=batch or args.reveal,
    )


def _single(args: argparse.Namespace, out: TextIO) -> int:
    """Grade one submission, write its report, print it, and say how it went."""
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise UsageError("--fail-under must be a percentage between 0 and 100.")
    if args.name is not None and not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}", args.name):
        raise UsageError(
            f"--name {args.name!r} is not a folder name; use letters, digits, '-', '_' and "
            "'.', not starting with '.'."
        )
    writable_folder(args.out, option="--out")
    if args.markdown is not None:
        writable_file(args.markdown, option="--markdown")
    settings = _settings(args, batch=False)
    spec = assignment.load(args.assignment)
    ignore = ours(settings.out_dir, default=DEFAULTS.out_dir)
    with trace.span("grade"):
        result = grade(
            args.source,
            assignment=spec,
            settings=settings,
            student=args.name,
            deadline=_deadline(args.deadline),
        )
    if result.status is Status.FETCH_FAILED:  # nothing to report on: no folder, one sentence
        raise SourceError(result.problem)
    with trace.span("report"):
        folder = report.write_submission(
            result, assignment=spec, out_dir=settings.out_dir, reveal=settings.reveal
        )
    if ignore:
        ignore_in_git(settings.out_dir)
    if args.markdown is not None:
        report.write_markdown(result, assignment=spec, path=args.markdown, reveal=settings.reveal)
    if args.json:
        data = report.results_json(result, assignment=spec, reveal=settings.reveal)
        print(json.dumps(data, indent=2), file=out)
    elif result.status is Status.GRADED:
        summary.print_summary(
            result, assignment=spec, folder=folder, out=out, reveal=settings.reveal
        )
    else:  # why is said once, by _exit_code, on stderr
        print(f"report: {folder / 'report.html'}", file=out)
    return _exit_code(result, fail_under=args.fail_under)


def _exit_code(result: GradeResult, *, fail_under: float | None) -> int:
    if result.status in (Status.FETCH_FAILED, Status.NOT_GRADABLE, Status.INFRA_ERROR):
        print(f"grade: {report.text.safe_line(result.problem)}", file=sys.stderr)
        infra = result.status is Status.INFRA_ERROR
        return int(ExitCode.INFRASTRUCTURE if infra else ExitCode.NOT_GRADABLE)
    if result.incomplete:
        print(f"grade: {report.text.incomplete_line(result)}.", file=sys.stderr)
        return int(ExitCode.INFRASTRUCTURE)
    if fail_under is not None and result.score and result.score.percent < fail_under:
        return int(ExitCode.BELOW_THRESHOLD)
    return int(ExitCode.OK)


def _check_sandbox(out: TextIO) -> int:
    """Say what isolation this machine provides, which limits hold, what is missing."""
    caps = capabilities()
    yes = {True: "yes", False: "NO"}
    print(
        f"bubblewrap:          {yes[caps.bwrap_works]} "
        f"({caps.bwrap or ('not used' if caps.portable else 'not installed')})",
        file=out,
    )
    print(f"network namespaces:  {yes[caps.netns]}", file=out)
    print(f"running as root:     {yes[caps.is_root]}", file=out)
    print("limits on student code:", file=out)
    for line in limits_in_force(caps, limits=DEFAULTS.limits):
        print(f"  {line}", file=out)
    for problem in (*caps.problems, *caps.notes):
        print(f"- {problem}", file=out)
    if caps.sandbox:
        print("Student code will run sandboxed.", file=out)
        return int(ExitCode.OK)
    print(
        "Student code would run UNSANDBOXED here: `grade SOURCE` still grades, with a "
        "warning; a batch (--roster) refuses unless given --no-sandbox.",
        file=out,
    )
    return int(ExitCode.INFRASTRUCTURE)


def _deadline(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"--deadline {text!r} is not an ISO date and time; "
            "write e.g. 2026-12-01T23:59:00-08:00."
        ) from exc
    if when.tzinfo is None:
        raise UsageError(f"--deadline {text!r} has no time zone; add one, e.g. -08:00 or Z.")
    return when


def _batch(args: argparse.Namespace, out: TextIO) -> int:
    """Grade a roster; instructors see and count every check."""
    from grader.batch import grade_roster, roster
    from grader.batch.cluster import Cluster, worker_task
    from grader.cli import progress

    if args.source:
        raise UsageError("give either SOURCE or --roster, not both.")
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise UsageError("--jobs must be a whole number from 1 to 256.")
    writable_folder(args.out, option="--out")
    students = roster.read(args.roster, repo_template=args.repo_template)
    deadline = _deadline(args.deadline)
    spec = assignment.load(args.assignment)
    settings = _settings(args, batch=True)
    if not args.cluster:
        if settings.require_sandbox:
            require_sandbox(capabilities())
        ready(settings)  # student code and the harness start here, or exit 4 now
    remote = Cluster(args.cluster, spec) if args.cluster else None
    said: list[str] = []
    ignore = ours(args.out, default=DEFAULTS.out_dir)
    try:
        gate = None
        if not args.no_selfcheck:
            gate = _selfcheck(spec, settings, remote, jobs=args.jobs, said=said)
        with progress.display(out, total=len(students)) as show:
            done = grade_roster(
                students,
                assignment=spec,
                settings=settings,
                out_dir=args.out,
                jobs=args.jobs,
                deadline=deadline,
                regrade=args.regrade,
                progress=show,
                executor=remote.executor() if remote else None,
                job=worker_task if remote else None,
                gate=gate,
            )
    finally:
        if remote:
            remote.close()
        if ignore:
            ignore_in_git(args.out)
    for line in said:
        print(line, file=out)
    return _batch_exit(done, out=out)


def _batch_exit(done: BatchSummary, *, out: TextIO) -> int:
    """How a batch went, and its exit status: 4 if any result is incomplete."""
    left = done.total - done.graded - done.reused - done.failures
    print(
        f"{done.graded} graded, {done.reused} reused from earlier runs, "
        f"{done.failures} not graded{f', {left} not reached' if left else ''}, "
        f"of {done.total} students.",
        file=out,
    )
    if done.interrupted:
        print("interrupted: run the same command again to finish.", file=out)
        return int(ExitCode.INTERRUPTED)
    print(f"class page: {done.out_dir / 'index.html'}  (grade view {done.out_dir})", file=out)
    incomplete = [r.student for r in done.results if r.incomplete]
    if incomplete:
        n = len(incomplete)
        print(
            f"grade: {n} result{' is' if n == 1 else 's are'} incomplete (the grader could "
            "not run every check, twice; not the students' fault): "
            f"{', '.join(map(report.text.safe, incomplete))}; run the same command again to "
            "regrade them, and report it if they fail again.",
            file=sys.stderr,
        )
        return int(ExitCode.INFRASTRUCTURE)
    return int(ExitCode.OK)


def _selfcheck(
    spec: Assignment,
    settings: Settings,
    remote: Cluster | None,
    *,
    jobs: int | None,
    said: list[str],
) -> Callable[[], None] | None:
    """Before anyone's result counts: the reference must pass and broken variants fail,
    here or on every worker (InfrastructureError, exit 4, otherwise). Locally it runs
    beside the first students' grading, and the batch waits for it (the returned gate)
    before it records anything."""
    if remote:
        remote.selfcheck(settings)
        return None
    from concurrent.futures import ThreadPoolExecutor

    from grader.batch import selfcheck

    side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="selfcheck")
    running = side.submit(selfcheck.verify, spec, settings=settings, jobs=jobs or default_jobs())
    side.shutdown(wait=False)

    def gate() -> None:
        checked = running.result()
        said.append(
            f"self-check passed: the reference scores 100% and {checked.variants} "
            f"faulty variants fail their checks ({checked.duration_s:g} s, beside the "
            "first students)."
        )

    return gate
