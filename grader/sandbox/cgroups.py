"""Per-submission process and memory limits through cgroups, v2 or v1, where writable.

cgroup v2 (the unified hierarchy of Debian 12 and Ubuntu 22.04 on): the grader uses the
cgroup it was started in when that cgroup is its own to manage (delegated: as root, in
a container's own cgroup, or under `systemd-run --user --scope -p Delegate=yes`). The
kernel lets a cgroup hand controllers to its children only while it holds no processes,
so the grader first moves itself into a leaf of its own, then enables `pids` and
`memory` for the others:

    <its cgroup>/                 +pids +memory for its children, no processes
        grader-supervisor/        the grader (and its harnesses, which it starts)
        grader-jobs/              +pids +memory (+cpu) for its children, no processes
            <job id>/             one submission's student processes: pids.max, memory.max,
                                  cpu.weight and cpu.max where the cpu controller is offered

It moves no process but its own: if others share its cgroup (a login shell's session
scope), it puts itself back and the v2 limits are not used. cgroup v1 (the `pids` and
`memory` hierarchies, where mounted and writable) gets `<hierarchy>/grader/<job id>`, and
so does the `cpu` hierarchy (cpu.shares, cpu.cfs_quota_us) where it is.

CPU: each job group is one entity of the scheduler, with the same weight as any other
(a share), and at most `Limits.cpu_cores` of CPU time (a quota): fifty busy processes of
one submission get what one would, and never slow a neighbour by more than their share.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
SELF = Path("/proc/self/cgroup")
SUPERVISOR = "grader-supervisor"
JOBS = "grader-jobs"
CONTROLLERS = ("pids", "memory")
OPTIONAL = ("cpu",)  # enabled for job groups where offered, never required
CPU_PERIOD_US = 100_000


@dataclass(frozen=True, slots=True)
class Found:
    """Where job groups can be made, and why not where they cannot (for --check-sandbox)."""

    v2: str | None = None  # the grader-jobs folder of a delegated cgroup v2 subtree
    pids_v1: str | None = None  # a cgroup v1 hierarchy root we may create groups in
    memory_v1: str | None = None
    why_not_v2: str = ""
    cpu_v1: str | None = None


def find(mount: Path = MOUNT, *, self_cgroup: Path = SELF) -> Found:
    """Prefer a delegated cgroup v2 subtree; else writable cgroup v1 hierarchies."""
    v2, why = delegated_v2(mount, self_cgroup=self_cgroup)
    if v2 is not None:
        return Found(v2=str(v2))
    return Found(
        pids_v1=_v1(mount, "pids"),
        memory_v1=_v1(mount, "memory"),
        why_not_v2=why,
        cpu_v1=_v1(mount, "cpu"),
    )


def _v1(mount: Path, controller: str) -> str | None:
    root = mount / controller
    if not (root / "cgroup.procs").exists():
        return None
    probe = root / f"grader-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return str(root)


def own_v2_path(self_cgroup: Path = SELF) -> str | None:
    """This process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup), if it has one."""
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            return line[3:].removesuffix(" (deleted)")
    return None


def delegated_v2(mount: Path = MOUNT, *, self_cgroup: Path = SELF) -> tuple[Path | None, str]:
    """The grader-jobs folder of a cgroup v2 subtree this process may manage (set up
    now: see the module's docstring), or None and why not."""
    if not (mount / "cgroup.controllers").is_file():
        return None, "this machine does not use the cgroup v2 unified hierarchy"
    own = own_v2_path(self_cgroup)
    if own is None:
        return None, "this process has no cgroup v2 path in /proc/self/cgroup"
    here = mount / own.lstrip("/")
    base = here.parent if here.name == SUPERVISOR else here  # set up by this or a parent
    where = "/" + str(base.relative_to(mount)).removeprefix(".")
    offered = _words(base / "cgroup.controllers")
    if not set(CONTROLLERS) <= offered:
        return None, f"the grader's cgroup {where} does not offer the pids and memory controllers"
    if not all(
        os.access(p, os.W_OK)
        for p in (base, base / "cgroup.procs", base / "cgroup.subtree_control")
    ):
        return None, (
            f"the grader's cgroup {where} is not delegated to this user; start the grader "
            "in a scope of its own: systemd-run --user --scope -p Delegate=yes grade ..."
        )
    try:
        if not set(CONTROLLERS) <= _words(base / "cgroup.subtree_control"):
            problem = _leave(base)
            if problem:
                return None, problem
        jobs = base / JOBS
        jobs.mkdir(exist_ok=True)
        if not set(CONTROLLERS) <= _words(jobs / "cgroup.subtree_control"):
            _enable(jobs)
    except OSError as exc:
        return (
            None,
            f"cannot set up job groups in the grader's cgroup {where} ({exc.strerror or exc})",
        )
    return jobs, ""


def _leave(base: Path) -> str:
    """Move this process into base/grader-supervisor, then enable the controllers in base
    for its children; '' or why it could not."""
    others = {p for p in _words(base / "cgroup.procs") if p != str(os.getpid())}
    if others:
        return (
            f"the grader shares its cgroup with {len(others)} other processes (a login "
            "session); start it in a scope of its own: systemd-run --user --scope "
            "-p Delegate=yes grade ..."
        )
    supervisor = base / SUPERVISOR
    supervisor.mkdir(exist_ok=True)
    (supervisor / "cgroup.procs").write_text(str(os.getpid()))
    try:
        _enable(base)
    except OSError:
        (base / "cgroup.procs").write_text(str(os.getpid()))  # back where it was
        with contextlib.suppress(OSError):
            supervisor.rmdir()
        raise
    return ""


def _enable(group: Path) -> None:
    """Hand the controllers on to the group's children, the optional ones where offered."""
    offered = _words(group / "cgroup.controllers")
    wanted = [*CONTROLLERS, *(c for c in OPTIONAL if c in offered)]
    try:
        (group / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
    except OSError:
        if wanted == list(CONTROLLERS):
            raise
        (group / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in CONTROLLERS))


def _words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def limit(
    group: Path, *, processes: int, memory_bytes: int, v2: bool, cpu_cores: float = 0.0
) -> None:
    """Write a job group's limits (v2: pids.max, memory.max, no swap, and cpu.weight and
    cpu.max where the cpu controller is on; v1: whichever of pids.max,
    memory.limit_in_bytes, cpu.shares and cpu.cfs_quota_us this hierarchy has).
    `cpu_cores`: the quota in cores (0: a share only)."""
    quota = int(cpu_cores * CPU_PERIOD_US)
    if v2:
        (group / "pids.max").write_text(str(processes))
        (group / "memory.max").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):  # absent without swap accounting
            (group / "memory.swap.max").write_text("0")
        with contextlib.suppress(OSError):  # absent where the cpu controller is not on
            (group / "cpu.weight").write_text("100")
            (group / "cpu.max").write_text(f"{quota or 'max'} {CPU_PERIOD_US}")
        return
    with contextlib.suppress(OSError):
        if (group / "pids.max").exists():
            (group / "pids.max").write_text(str(processes))
        if (group / "memory.limit_in_bytes").exists():
            (group / "memory.limit_in_bytes").write_text(str(memory_bytes))
    with contextlib.suppress(OSError):
        if (group / "cpu.shares").exists():
            (group / "cpu.shares").write_text("1024")
            (group / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota or -1))


def v2_cpu(jobs: Path) -> bool:
    """Whether the cgroup v2 jobs folder hands the cpu controller to job groups."""
    return "cpu" in _words(jobs / "cgroup.subtree_control")


def members(group: Path) -> set[int]:
    """The live processes in a group (cgroup.procs lists members; dead ones are left out
    in case the file is stale)."""
    try:
        pids = {int(p) for p in (group / "cgroup.procs").read_text().split()}
    except (OSError, ValueError):
        return set()
    return {p for p in pids if _alive(p)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill(group: Path) -> None:
    """SIGKILL everything in a group at once (cgroup v2's cgroup.kill, Linux 5.14+)."""
    with contextlib.suppress(OSError):
        if (group / "cgroup.kill").exists():
            (group / "cgroup.kill").write_text("1")


def remove(group: Path) -> None:
    """Remove an emptied group (its interface files go with it)."""
    with contextlib.suppress(OSError):
        group.rmdir()
