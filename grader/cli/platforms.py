"""`grade gradescope`, `grade prairielearn` and `grade export`: the platforms' commands.

    grade gradescope ASSIGNMENT -o autograder.zip     build the zip to upload
    grade gradescope --run                            inside Gradescope (run_autograder)
    grade prairielearn                                inside PrairieLearn's grader image
    grade export canvas GRADES --gradebook FILE --match COLUMN -o OUT.csv
    grade export moodle GRADES -o OUT.csv [--gradebook FILE --match COLUMN]

The two entry points that run inside a platform always leave a results.json the
platform accepts, even when the grader itself fails (the cause goes to stdout, which
only instructors see).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn, TextIO

from grader import assignment
from grader.cli.paths import writable_file
from grader.errors import ExitCode, GraderError, UsageError
from grader.platforms import gradescope, lms, prairielearn
from grader.report.text import safe_line
from grader.settings import Settings

COMMANDS = ("gradescope", "prairielearn", "export")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `grade {self.prog.split()[-1]} --help`.")


def main(argv: list[str], *, out: TextIO) -> int:
    """Dispatch `grade gradescope|prairielearn|export ...`."""
    command, rest = argv[0], argv[1:]
    if command == "gradescope":
        return _gradescope(rest, out)
    if command == "prairielearn":
        return _prairielearn(rest, out)
    return _export(rest, out)


def _run_options(p: argparse.ArgumentParser, root_env: str, default_root: Path) -> None:
    p.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get(root_env) or default_root),
        help=f"the platform's folder (${root_env}, default {default_root})",
    )
    p.add_argument("--assignment", help=assignment.help_text())
    p.add_argument(
        "--user",
        default=gradescope.STUDENT_USER,
        help="where bubblewrap cannot run, student code runs as a uid of its own per job "
        "if this unprivileged user exists (student)",
    )
    p.add_argument(
        "--isolation",
        choices=("auto", "user"),
        default="auto",
        help="auto: bubblewrap where it works, else the separate user; user: always the user",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        python=sys.executable,
        limits=gradescope.LIMITS,
        run_as=args.user,
        prefer_run_as=args.isolation == "user",
        reveal=True,
    )


def _gradescope_parser() -> _Parser:
    p = _Parser(
        prog="grade gradescope",
        description="Build a Gradescope autograder zip for an assignment, or (--run, inside "
        "Gradescope) grade /autograder/submission into /autograder/results/results.json.",
    )
    p.add_argument("assignment_name", nargs="?", metavar="ASSIGNMENT", help="name or folder")
    p.add_argument("-o", "--output", type=Path, help="the zip to write (autograder.zip)")
    p.add_argument("--wheel", type=Path, help="a prebuilt grader wheel (default: build one)")
    p.add_argument("--run", action="store_true", help="grade a submission inside Gradescope")
    _run_options(p, gradescope.ROOT_ENV, gradescope.DEFAULT_ROOT)
    return p


def _gradescope(argv: list[str], out: TextIO) -> int:
    args = _gradescope_parser().parse_args(argv)
    if args.run:
        return _gradescope_run(args, out)
    spec = assignment.load(args.assignment_name or args.assignment)
    target = writable_file(args.output or Path("autograder.zip"), option="-o")
    zipped = gradescope.build(spec, out=target, wheel=args.wheel)
    print(
        f"wrote {zipped}: upload it as the autograder of a Gradescope programming "
        f"assignment (base image: Ubuntu 22.04 or later); {spec.title}, "
        f"{sum(c.points for c in spec.checks if not c.extra):g} points.",
        file=out,
    )
    return int(ExitCode.OK)


def _gradescope_run(args: argparse.Namespace, out: TextIO) -> int:
    """Never leaves without a results.json Gradescope accepts."""
    root: Path = args.root
    try:
        spec = assignment.load(args.assignment)
        gradescope.run(root, assignment=spec, settings=_settings(args), out=out)
        return int(ExitCode.OK)
    except GraderError as exc:
        print(f"grade gradescope: {exc}", file=out)
        gradescope.write_results(root, document=gradescope.failure_document(str(exc)))
        return int(exc.exit_code)
    except Exception as exc:  # the contract: a results.json whatever happened
        traceback.print_exc(file=out)
        print("grade gradescope: this is a bug in the grader; please report it.", file=out)
        gradescope.write_results(root, document=gradescope.failure_document(repr(exc)))
        return int(ExitCode.INFRASTRUCTURE)


def _prairielearn_parser() -> _Parser:
    p = _Parser(
        prog="grade prairielearn",
        description="PrairieLearn's external grader entry point: grade /grade/student and "
        "write /grade/results/results.json. Exits 0 whenever it wrote one (PrairieLearn "
        "reads it only then).",
    )
    _run_options(p, prairielearn.ROOT_ENV, prairielearn.DEFAULT_ROOT)
    return p


def _prairielearn(argv: list[str], out: TextIO) -> int:
    args = _prairielearn_parser().parse_args(argv)
    root: Path = args.root
    try:
        spec = assignment.load(args.assignment)
        prairielearn.run(root, assignment=spec, settings=_settings(args), out=out)
    except GraderError as exc:
        print(f"grade prairielearn: {exc}", file=out)
        prairielearn.write_results(root, document=prairielearn.failure_document())
    except Exception:  # the contract: a results.json whatever happened
        traceback.print_exc(file=out)
        print("grade prairielearn: this is a bug in the grader; please report it.", file=out)
        prairielearn.write_results(root, document=prairielearn.failure_document())
    return int(ExitCode.OK)


def _export_parser() -> _Parser:
    p = _Parser(
        prog="grade export",
        description="Turn a batch's grades (the --out folder of `grade --roster`) into a file "
        "an LMS imports. Students that match nobody, and roster entries missing from the "
        "LMS file, are listed.",
    )
    p.add_argument("lms", choices=("canvas", "moodle"), help="the LMS")
    p.add_argument("grades", type=Path, help="the batch's output folder (holds grades.csv)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the CSV to write")
    p.add_argument(
        "--gradebook",
        type=Path,
        help="canvas: the gradebook export you downloaded (Grades > Export); moodle: "
        "optionally a grades export, to check every student is a participant",
    )
    p.add_argument(
        "--match",
        help="the column of that file holding your roster's identifiers (canvas: e.g. "
        "'SIS Login ID'; moodle: e.g. 'Email address')",
    )
    p.add_argument(
        "--map",
        type=Path,
        help="a CSV mapping roster identifier (first column) to the --match value (second)",
    )
    p.add_argument("--title", help="the grade column / item name (default: the assignment's)")
    p.add_argument("--extra", action="store_true", help="add extra credit to the grade")
    p.add_argument("--assignment", help=assignment.help_text())
    return p


def _export(argv: list[str], out: TextIO) -> int:
    args = _export_parser().parse_args(argv)
    writable_file(args.output, option="-o")
    batch = lms.read_batch(args.grades)
    mapping = lms.read_map(args.map) if args.map else None
    title = args.title or assignment.load(args.assignment).title
    if args.lms == "canvas":
        if args.gradebook is None or not args.match:
            raise UsageError(
                "canvas needs your gradebook export and the column to match on, e.g. "
                "--gradebook export.csv --match 'SIS Login ID'."
            )
        export = lms.canvas(
            batch,
            export=lms.read_canvas(args.gradebook),
            match=args.match,
            title=title,
            mapping=mapping,
            extra=args.extra,
        )
    else:
        participants = None
        if args.gradebook is not None:
            if not args.match:
                raise UsageError("--gradebook needs --match, e.g. --match 'Email address'.")
            participants = lms.read_participants(args.gradebook, match=args.match)
        export = lms.moodle(
            batch, title=title, mapping=mapping, extra=args.extra, participants=participants
        )
    lms.write(export, path=args.output)
    print(f"wrote {args.output}: {export.written} grades.", file=out)
    for line in export.listing():  # names and problems: student text, one line each
        print(safe_line(line), file=out)
    return int(ExitCode.OK)
