"""Every default of a grading run, once: the options (`Settings`) and the limits student
code runs under (`Limits`). The CLI, the batch, the cluster workers and the self-check
all start from these values."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-process rlimits and per-submission caps for student code."""

    cpu_s: int = 20
    address_space_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 256
    processes: int = 64
    memory_bytes: int = 512 << 20
    scratch_bytes: int = 64 << 20  # the writable submission folder inside the sandbox
    cpu_cores: float = 1.0  # CPU time per job at most, where a cpu cgroup is writable


def linux_facilities() -> bool:
    """Whether the sandbox's Linux facilities (bubblewrap, namespaces, /proc, netlink,
    cgroups, prlimit) may be used: on Linux, unless GRADER_PORTABLE=1 turns them off to
    run the path macOS takes. The only place that variable is read."""
    return sys.platform.startswith("linux") and os.environ.get("GRADER_PORTABLE", "") != "1"


@dataclass(frozen=True, slots=True)
class Settings:
    """Options of a grading run; the defaults live here and only here."""

    out_dir: Path = Path("grades")
    python: str = sys.executable
    check_timeout_s: float | None = None
    sandbox: bool = True
    require_sandbox: bool = False
    reveal: bool = False
    limits: Limits = field(default_factory=Limits)
    # Where bubblewrap cannot run but the grader is root (a platform's container), student
    # code runs as this unprivileged user with the same rlimits; `prefer_run_as` uses it
    # even where bubblewrap works.
    run_as: str | None = None
    prefer_run_as: bool = False
    portable: bool = field(default_factory=lambda: not linux_facilities())


def default_jobs() -> int:
    """Jobs mostly wait on subprocesses and sockets: three per core kept both cores of the
    benchmark machine busy (more only added queueing)."""
    return max(2, 3 * (os.cpu_count() or 1))
