"""Self-validation before a batch: is the grader trustworthy on this machine?

The assignment's reference solution is graded through the same pipeline and sandbox as
every student and must pass every check (100%, extras included where it has them); then
each faulty variant in the assignment's `selfcheck.toml` (the reference with one small
text change, a bug students really make) must fail the checks aimed at it and pass the
others it lists. A machine that is overloaded, half-sandboxed or otherwise broken shows
up here, before it can hand a whole class zeros (or full marks).

Variants are graded on only the checks they name, so the whole self-check costs about
one submission's time.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import AssignmentError, InfrastructureError
from grader.model import Assignment, GradeResult, Outcome, Status
from grader.pipeline import grade
from grader.run import SandboxRunner
from grader.settings import Settings

log = logging.getLogger(__name__)
FILENAME = "selfcheck.toml"


@dataclass(frozen=True, slots=True)
class Variant:
    """The reference with small text changes, and what the checks must say about it."""

    name: str
    file: str
    replace: tuple[tuple[str, str], ...]
    fail: tuple[str, ...]  # checks that must not pass
    passes: tuple[str, ...] = ()  # checks that must still pass

    def apply(self, folder: Path) -> None:
        """Change the copy of the reference in folder; each text must occur exactly once."""
        path = folder / self.file
        text = path.read_text(encoding="utf-8")
        for old, new in self.replace:
            if text.count(old) != 1:
                raise AssignmentError(
                    f"{FILENAME}: variant {self.name!r} expects {old!r} exactly once in "
                    f"the reference's {self.file} (found {text.count(old)}); update the variant."
                )
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Passed:
    """What a successful self-check did, for the batch's log line."""

    variants: int
    duration_s: float


def variants(assignment: Assignment) -> tuple[Variant, ...]:
    """The assignment's faulty variants (none if it has no selfcheck.toml)."""
    path = assignment.root / FILENAME
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found = tuple(
            Variant(
                name=str(v["name"]),
                file=str(v["file"]),
                replace=tuple((str(old), str(new)) for old, new in v["replace"]),
                fail=tuple(str(c) for c in v["fail"]),
                passes=tuple(str(c) for c in v.get("pass", ())),
            )
            for v in data.get("variants", ())
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise AssignmentError(f"{path}: {exc}; compare with the bundled {FILENAME}.") from exc
    known = {c.id for c in assignment.checks}
    for v in found:
        unknown = [c for c in v.fail + v.passes if c not in known]
        if unknown or not v.fail:
            raise AssignmentError(
                f"{path}: variant {v.name!r} "
                + (f"names no check {unknown[0]!r}" if unknown else "fails no check")
                + "; every variant must name checks of the rubric it fails."
            )
    return found


def verify(assignment: Assignment, *, settings: Settings, jobs: int = 2) -> Passed:
    """Grade the reference and the faulty variants; raise InfrastructureError (one
    sentence: the grader is not trustworthy here, and why) unless each is judged right."""
    if assignment.reference_dir is None:
        raise AssignmentError(
            f"assignment {assignment.name} has no reference solution to check the grader "
            "with; add `reference = ...` to its assignment.toml or pass --no-selfcheck."
        )
    started = time.monotonic()
    todo = variants(assignment)
    # The reference is checked as an instructor sees it: every check shown and counted.
    checking = replace(settings, reveal=True)
    scratch = Path(tempfile.mkdtemp(prefix="grader-selfcheck-"))
    runner = SandboxRunner(checking)
    runner.warm(assignment)  # one warm harness for the reference and every variant
    try:
        folders = {"reference": _copy(assignment.reference_dir, scratch / "reference")}
        for v in todo:
            folders[v.name] = _copy(assignment.reference_dir, scratch / v.name)
            v.apply(folders[v.name])
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            reference = pool.submit(_grade, folders["reference"], assignment, runner)
            graded = [
                (v, pool.submit(_grade, folders[v.name], _only(assignment, v), runner))
                for v in todo
            ]
            problems = [_reference_problem(reference.result())]
            problems += [_variant_problem(v, future.result()) for v, future in graded]
    finally:
        runner.close()
        shutil.rmtree(scratch, ignore_errors=True)
    said = [p for p in problems if p]
    if said:
        raise InfrastructureError(
            "the grader is not trustworthy on this machine, so no one was graded: "
            + said[0]
            + (f" (and {len(said) - 1} more problems)" if len(said) > 1 else "")
            + "; check `grade --check-sandbox` and the machine's load and run the batch "
            "again, or pass --no-selfcheck to grade anyway."
        )
    passed = Passed(len(todo), round(time.monotonic() - started, 1))
    log.info("self-check passed: the reference and %d variants", len(todo))
    return passed


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", ".git", "*.pyc"))
    return dest


def _only(assignment: Assignment, variant: Variant) -> Assignment:
    """The assignment cut to the checks a variant names (the harness runs only those)."""
    wanted = set(variant.fail + variant.passes)
    return replace(assignment, checks=tuple(c for c in assignment.checks if c.id in wanted))


def _grade(folder: Path, assignment: Assignment, runner: SandboxRunner) -> GradeResult:
    return grade(
        str(folder),
        assignment=assignment,
        settings=runner.settings,
        runner=runner,
        student=folder.name,
    )


def _reference_problem(result: GradeResult) -> str:
    if result.status is not Status.GRADED or result.run is None or result.score is None:
        return f"the reference solution could not be graded ({result.problem})"
    missed = [
        c
        for c in result.run.checks
        if c.outcome is not Outcome.PASSED
        and not (c.outcome is Outcome.SKIPPED and _extra(result, c.check_id))
    ]
    if not missed:
        return ""
    first = missed[0]
    return (
        f"the reference solution scored {result.score.percent:.0f}% instead of 100% "
        f"({len(missed)} checks did not pass; {first.check_id} said "
        f'"{_short(first.message)}")'
    )


def _extra(result: GradeResult, check_id: str) -> bool:
    """An optional task the reference does not implement is skipped, which is fine."""
    assert result.score is not None
    return any(r.check_id == check_id and r.extra for r in result.score.checks)


def _variant_problem(variant: Variant, result: GradeResult) -> str:
    if result.status is not Status.GRADED or result.run is None:
        return f"the faulty variant {variant.name} could not be graded ({result.problem})"
    outcome = {c.check_id: c for c in result.run.checks}
    passed_wrongly = [c for c in variant.fail if outcome[c].outcome is Outcome.PASSED]
    if passed_wrongly:
        return (
            f"the deliberately faulty variant {variant.name} passed {passed_wrongly[0]}, "
            "which it must fail"
        )
    failed_wrongly = [c for c in variant.passes if outcome[c].outcome is not Outcome.PASSED]
    if failed_wrongly:
        check = outcome[failed_wrongly[0]]
        return (
            f"the variant {variant.name} failed {check.check_id}, which it must pass "
            f'(it said "{_short(check.message)}")'
        )
    return ""


def _short(message: str, limit: int = 120) -> str:
    text = message.strip().rstrip(".")
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
