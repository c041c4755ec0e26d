"""What is known of a submission before its checks run: who (`Student`), which state of
it (`Checkout`), which file is which (`Located`), what cannot run (`FileProblem`), the
optional tasks it tries (`OptionalWork`), its graded text and the flags it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from grader.model.enums import CheckoutKind, Concurrency, FlagKind


@dataclass(frozen=True, slots=True)
class Student:
    """One roster row: who, and where their submission lives (None: nothing to fetch)."""

    identifier: str
    repo: str | None
    name: str = ""
    line: int = 0
    extension_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where a submission came from and which exact state of it is graded."""

    source: str
    path: Path | None  # None once the checkout's folder is gone (it was a scratch clone)
    kind: CheckoutKind
    url: str | None = None
    branch: str | None = None
    commit: str | None = None
    commit_time: datetime | None = None
    dirty: bool = False
    deadline: datetime | None = None  # the rule applied: last commit at or before this
    late_commits: tuple[str, ...] = ()  # "sha date subject" of commits after the deadline
    notes: tuple[str, ...] = ()  # what fetching left out or did not trust, one sentence each


@dataclass(frozen=True, slots=True)
class LocatedFile:
    role: str
    path: PurePosixPath
    reason: str


@dataclass(frozen=True, slots=True)
class Located:
    """Which files were found for which role, and why those."""

    files: tuple[LocatedFile, ...]
    missing: tuple[str, ...]
    notes: tuple[str, ...] = ()
    # Files beyond the required ones that look like the optional multi-client server.
    candidates: tuple[LocatedFile, ...] = ()

    def get(self, role: str) -> LocatedFile | None:
        return next((f for f in self.files if f.role == role), None)


@dataclass(frozen=True, slots=True)
class MultiServer:
    """A candidate for the optional multi-client server, and how it goes about it."""

    path: PurePosixPath
    reason: str
    concurrency: Concurrency = Concurrency.NEITHER
    evidence: str = ""  # e.g. "calls select.select() at line 31"


@dataclass(frozen=True, slots=True)
class PortFunction:
    """A function that looks like the optional port-services task: it takes port bounds."""

    path: PurePosixPath
    name: str
    line: int
    bounds: tuple[str, str]  # the names of its lower and upper bound parameters
    defaults: tuple[str, ...] = ()  # their default values as written ("" = no default)

    @property
    def signature(self) -> str:
        """How it is declared, e.g. `list_services(lower=0, upper=65535)`."""
        defaults = (*self.defaults, "", "")
        shown = [f"{p}={d}" if d else p for p, d in zip(self.bounds, defaults[:2], strict=True)]
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True, slots=True)
class OptionalWork:
    """What the static look found of the optional tasks ("going further")."""

    servers: tuple[MultiServer, ...] = ()
    port_function: PortFunction | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """Something an instructor may want to look at: one sentence and the files it names."""

    kind: FlagKind
    text: str
    paths: tuple[PurePosixPath, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one graded file, kept for comparing submissions across a class."""

    role: str
    path: PurePosixPath
    text: str


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A located file that cannot run at all (syntax error, Python 2 code)."""

    role: str
    path: PurePosixPath
    line: int | None
    message: str
    source_line: str = ""
    python2: bool = False
