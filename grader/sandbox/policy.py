"""The policy one submission runs under, made from what this machine offers.

The policy is plain data (it travels through `grader.codec`) because it crosses a
process boundary: the grader decides it, the trusted harness process of one submission
applies it. What the machine offers is `grader.sandbox.capabilities`' probe.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import secrets
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import InfrastructureError
from grader.model import Isolation
from grader.sandbox import cgroups, private, procfs
from grader.sandbox.capabilities import NOBODY as NOBODY  # run/ imports these two from here
from grader.sandbox.capabilities import SBIN_PATH as SBIN_PATH
from grader.sandbox.capabilities import Capabilities
from grader.settings import Limits

# As root without a pids cgroup, each submission runs as a uid of its own from this range
# (unused by distributions and by systemd's container ranges), so RLIMIT_NPROC, which
# counts per uid, is a limit per submission instead of one shared by every parallel job.
JOB_UID_BASE = 0x70000000
JOB_UID_SPAN = 1 << 20


@dataclass(frozen=True, slots=True)
class Policy:
    """How to launch student processes for one submission."""

    isolation: Isolation
    python: str
    python_prefixes: tuple[str, ...]
    job_id: str
    limits: Limits = field(default_factory=Limits)
    cgroup_pids: str | None = None  # a cgroup v1 hierarchy root we may create groups in
    cgroup_memory: str | None = None
    cgroup_v2: str | None = None  # a delegated cgroup v2 folder for job groups
    netns: bool = False
    # (uid, gid) of student code under Isolation.USER: a uid of the job's own, so that
    # killing every process of that uid after each check kills all it started.
    run_as: tuple[int, int] | None = None
    uid: int = NOBODY  # the uid student code runs as in the sandbox when the grader is root
    portable: bool = False  # no Linux-only facility: /proc, netlink, prlimit, setpriv, ...
    cgroup_cpu: str | None = None  # a cgroup v1 cpu hierarchy root (a share and a quota)
    hidden: tuple[str, ...] = ()  # paths student code must never read (private.py)
    landlock: int = 0  # the Landlock ABI that restricts file access under Isolation.USER

    @property
    def pids_cgroup(self) -> bool:
        return bool(self.cgroup_v2 or self.cgroup_pids)

    @property
    def dedicated_uid(self) -> int | None:
        """The uid no process but this job's student processes runs as, if there is one
        (Isolation.USER, or a root sandbox without a pids cgroup)."""
        if self.run_as is not None:
            return self.run_as[0]
        return self.uid if self.uid != NOBODY else None


def policy_for(
    caps: Capabilities,
    *,
    sandbox: bool,
    python: str,
    limits: Limits | None = None,
    run_as: str | None = None,
    prefer_run_as: bool = False,
) -> Policy:
    """The policy of one submission: sandboxed when asked and possible, with a fresh job id.

    Without bubblewrap (or with `prefer_run_as`), a root grader given `run_as` (the name
    of an unprivileged user: the instructor's consent to this fallback) runs student code
    under Isolation.USER instead: a uid and gid of the job's own, the same rlimits, file
    access restricted by Landlock where the kernel has it, and the network namespace when
    the machine has one. Student code always runs under the base interpreter, never a
    venv's (the grader's venv need not be readable by it).
    """
    if sys.platform == "win32":
        raise InfrastructureError(
            "grading on Windows needs WSL: install it (`wsl --install`), then install and "
            "run the grader inside it."
        )
    try:
        python = base_interpreter(python)
        prefixes = python_prefixes(python)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(
            f"the student interpreter {python} does not run ({exc}); pass a Python 3 "
            "interpreter with --python."
        ) from exc
    linux = not caps.portable
    isolated, user = _isolation(caps, sandbox=sandbox, run_as=run_as, prefer_run_as=prefer_run_as)
    isolation = Isolation.BWRAP if isolated else Isolation.USER if user else Isolation.NONE
    own_uid = caps.is_root and linux and not (caps.cgroup_v2 or caps.cgroup_pids)
    policy = Policy(
        isolation=isolation,
        python=python,
        python_prefixes=prefixes,
        job_id="",
        limits=limits or Limits(),
        cgroup_pids=caps.cgroup_pids if linux else None,
        cgroup_memory=caps.cgroup_memory if linux else None,
        cgroup_v2=caps.cgroup_v2 if linux else None,
        cgroup_cpu=caps.cgroup_cpu if linux else None,
        netns=_netns(isolated, user, caps),
        run_as=user,
        uid=JOB_UID_BASE if own_uid and isolated else NOBODY,
        portable=caps.portable,
        hidden=private.grader_secrets(),
        landlock=caps.landlock if user else 0,
    )
    return with_job(policy, job_id=uuid.uuid4().hex[:12])


_UID_LOCK = threading.Lock()
_UID_NEXT = [secrets.randbelow(JOB_UID_SPAN)]


def job_uid() -> int:
    """A uid of the job's own from the reserved range: the next one, in an order of this
    process (random start), that no process runs as now."""
    with _UID_LOCK:
        for _ in range(64):
            uid = JOB_UID_BASE + _UID_NEXT[0] % JOB_UID_SPAN
            _UID_NEXT[0] += 1
            if not procfs.processes_of(uid):
                return uid
    return uid


def with_job(policy: Policy, *, job_id: str) -> Policy:
    """The same policy for another job (a harness group, a preflight): its own id, and
    its own uid wherever student code runs as a uid of the job's own."""
    uid = job_uid() if policy.dedicated_uid is not None else NOBODY
    return replace(
        policy,
        job_id=job_id,
        run_as=(uid, uid) if policy.run_as is not None else None,
        uid=uid if policy.run_as is None else NOBODY,
    )


def _isolation(
    caps: Capabilities, *, sandbox: bool, run_as: str | None, prefer_run_as: bool
) -> tuple[bool, tuple[int, int] | None]:
    """(under bubblewrap?, the user to run as otherwise, if any)."""
    linux = not caps.portable
    isolated = sandbox and caps.sandbox and linux and not (run_as and prefer_run_as)
    user = (
        None
        if isolated or not (sandbox and run_as and caps.is_root and linux)
        else user_ids(run_as)
    )
    return isolated, user


def wants_netns(
    caps: Capabilities, *, sandbox: bool, run_as: str | None = None, prefer_run_as: bool = False
) -> bool:
    """Whether policy_for's policy would give harnesses network namespaces (without
    making a policy: for warming a harness before the submission is known)."""
    isolated, user = _isolation(caps, sandbox=sandbox, run_as=run_as, prefer_run_as=prefer_run_as)
    return _netns(isolated, user, caps)


def _netns(isolated: bool, user: tuple[int, int] | None, caps: Capabilities) -> bool:
    """Harnesses get network namespaces under bubblewrap, or as root running as a user."""
    return isolated or (user is not None and caps.netns)


def user_ids(name: str) -> tuple[int, int]:
    """The (uid, gid) of an unprivileged user to run student code as."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError as exc:
        raise InfrastructureError(
            f"there is no user '{name}' to run student code as; create it (e.g. `adduser "
            f'{name} --no-create-home --disabled-password --gecos ""`).'
        ) from exc
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise InfrastructureError(
            f"user '{name}' is root or in group root; student code needs an unprivileged user."
        )
    return entry.pw_uid, entry.pw_gid


def base_interpreter(python: str) -> str:
    """The interpreter a venv's python is made from (itself if it is none): student
    processes run with -I -S and need no site-packages, and the grader's venv stays out
    of their sight and reach."""
    if python == sys.executable:
        prefix, base_prefix = sys.prefix, sys.base_prefix
        base = str(getattr(sys, "_base_executable", "") or python)
    else:
        prefix, base_prefix, _, base = _ask_prefixes(python)
    if prefix == base_prefix:  # no venv (a wrapper script stays what it is)
        return python
    return base if base and os.path.isfile(base) and os.access(base, os.X_OK) else python


def python_prefixes(python: str) -> tuple[str, ...]:
    """Install prefixes the student interpreter needs visible (a venv has two)."""
    if python == sys.executable:  # the grader's own: no need to ask it
        prefix, base, executable = sys.prefix, sys.base_prefix, sys.executable
    else:
        prefix, base, executable, _ = _ask_prefixes(python)
    dirs = {prefix, base, str(Path(executable).resolve().parent.parent)}
    return tuple(sorted(d for d in dirs if not d.startswith("/usr")))


@functools.lru_cache(maxsize=8)
def _ask_prefixes(python: str) -> tuple[str, str, str, str]:
    """Another interpreter's prefixes, asked once per process (it costs a start)."""
    code = (
        "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.executable, "
        "getattr(sys, '_base_executable', '') or sys.executable]))"
    )
    done = subprocess.run(
        [python, "-I", "-c", code], capture_output=True, text=True, timeout=20, check=False
    )
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"{python} did not run")
    prefix, base, executable, base_executable = json.loads(done.stdout)
    return str(prefix), str(base), str(executable), str(base_executable)


def _mib(n: int) -> str:
    return f"{n >> 20} MiB"


def limits_in_force(caps: Capabilities, *, limits: Limits, sandbox: bool = True) -> list[str]:
    """What bounds student code here, one line per kind, for `grade --check-sandbox`."""
    per_process = (
        f"CPU {limits.cpu_s} s, files up to {_mib(limits.file_size_bytes)}, "
        f"{limits.open_files} open files, no core dumps"
    )
    n = limits.processes
    if caps.portable:
        return [
            f"per process: {per_process} (set by the student's interpreter at start)",
            "processes and memory: no limit (no cgroups or per-user process counts here)",
            "hangs: end at each check's time limit (no /proc to see a blocked process)",
        ]
    lines = [
        f"per process: {per_process}, {_mib(limits.address_space_bytes)} of address space (prlimit)"
    ]
    sandboxed = sandbox and caps.sandbox
    if caps.cgroup_v2 or caps.cgroup_pids:
        kind = "v2 pids.max" if caps.cgroup_v2 else "v1 pids"
        lines.append(f"processes: at most {n} per submission (cgroup {kind})")
    elif sandboxed and caps.is_root:
        lines.append(
            f"processes: at most {n} per submission (RLIMIT_NPROC; each submission runs as "
            "a uid of its own)"
        )
    elif sandboxed:
        lines.append(
            f"processes: at most {n} per sandboxed program (RLIMIT_NPROC in its own user "
            "namespace; a submission runs a few at once)"
        )
    elif caps.is_root:
        lines.append("processes: no limit (unsandboxed as root, which RLIMIT_NPROC exempts)")
    else:
        lines.append(f"processes: {n} more than your user runs now (RLIMIT_NPROC)")
    if caps.cgroup_v2 or caps.cgroup_memory:
        kind = "v2 memory.max" if caps.cgroup_v2 else "v1 memory"
        lines.append(f"memory: {_mib(limits.memory_bytes)} per submission (cgroup {kind})")
    else:
        lines.append("memory: no limit per submission, only the address space per process")
    if sandboxed:
        lines.append(f"disk: a {_mib(limits.scratch_bytes)} writable folder, nothing else")
    return [*lines, _cpu_line(caps, limits=limits), _files_line(caps, sandboxed=sandboxed)]


def _cpu_line(caps: Capabilities, *, limits: Limits) -> str:
    """How CPU is shared between submissions here."""
    cores = f"at most {limits.cpu_cores:g} core" + ("s" if limits.cpu_cores != 1 else "")
    cores += " for each of its check harnesses"
    if caps.cgroup_v2 and cgroups.v2_cpu(Path(caps.cgroup_v2)):
        return f"CPU: an equal share per submission, {cores} (cgroup v2 cpu.weight, cpu.max)"
    if caps.cgroup_cpu:
        return (
            f"CPU: an equal share per submission, {cores} (cgroup v1 cpu.shares, cpu.cfs_quota_us)"
        )
    return (
        "CPU: no share per submission (no writable cpu cgroup): a submission that keeps many "
        "processes busy slows its neighbours in a batch"
    )


def _files_line(caps: Capabilities, *, sandboxed: bool) -> str:
    """What student code can read here."""
    if sandboxed:
        return (
            "files: the system and the interpreter's standard library, read-only; no "
            "site-packages, nothing of the grader's (bubblewrap)"
        )
    if caps.is_root and caps.landlock:
        return (
            "files, in the platforms' fallback (a uid per job): the system, the standard "
            f"library and its own folders only (Landlock ABI {caps.landlock})"
        )
    if caps.is_root:
        return (
            "files, in the platforms' fallback (a uid per job): whatever other users may "
            "read; the grader makes its own files private (no Landlock here)"
        )
    return "files: everything your user can read (unsandboxed)"
