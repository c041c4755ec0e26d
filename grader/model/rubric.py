"""What an assignment asks for: its files, the folders staged beside them, and its
rubric lines (the declarative `Assignment` that assignment.toml loads into)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.model.enums import Detail, Visibility


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file the assignment asks for: its role, canonical name and look-alike patterns;
    the words a look-alike must contain (`hints`), and the environment variable its
    server is also told its port in (`port_env`, besides argv[1])."""

    role: str
    name: str
    patterns: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    port_env: str = ""


@dataclass(frozen=True, slots=True)
class DataFolder:
    """A folder of the assignment staged beside the graded files, read-only, under `name`
    (the student's own copy, if any, is never staged)."""

    name: str
    source: Path


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One rubric line: a check id (a test function in the suite) and how it is scored."""

    id: str
    title: str
    points: float
    category: str = ""
    visibility: Visibility = Visibility.VISIBLE
    detail: Detail = Detail.FULL
    needs: tuple[str, ...] = ()
    timeout_s: float | None = None
    advice: bool = False
    extra: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """A declarative assignment: where its checks live and how they are scored."""

    name: str
    title: str
    root: Path
    checks_dir: Path
    files: tuple[FileSpec, ...]
    checks: tuple[CheckSpec, ...]
    default_port: int
    check_timeout_s: float
    submission_budget_s: float
    quiescence_s: float
    version: str
    digest: str
    reference_dir: Path | None = None
    template_dir: Path | None = None
    # Check files run by separate harnesses, side by side when each has its own netns.
    harness_groups: tuple[tuple[str, ...], ...] = ()
    data: tuple[DataFolder, ...] = ()  # staged beside the graded files
    optional: tuple[str, ...] = ()  # the optional tasks the static look searches for
    student_tests: tuple[str, ...] = ()  # template files students edit freely (a note)

    def check(self, check_id: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def file(self, role: str) -> FileSpec:
        return next(f for f in self.files if f.role == role)
