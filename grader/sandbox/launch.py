"""Start student processes under a Policy, and make sure none of them outlives the job.

One small interface, three isolations: `bwrap` (new PID, mount, IPC and UTS namespaces, an
unprivileged uid, read-only system without any site-packages or file of the grader's,
the staged submission the only writable place), `user` (a root grader without
namespaces, as in a platform's container: a uid of the job's own, the same limits, file
access restricted by Landlock where the kernel has it, a copy of the submission it may
add files to but not change) and `none` (a plain subprocess with the same limits). The
network namespace is not made here: the whole trusted harness of a submission already
runs inside a private one, and student processes share it.

Nothing a check starts outlives it: `end_check` kills every process of the job (its
cgroups, and every process of its uid where the uid is the job's own), whatever its
session, environment or parent, and verifies they are gone.

The argv of each process is `command.Command`'s, what runs before the student's code
`prelude`'s, and Isolation.USER's copy of the submission `usermode`'s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import InfrastructureError
from grader.sandbox import cgroups, procfs, usermode
from grader.sandbox.command import INSIDE_CODE, INSIDE_DIR, INSIDE_HOME, INSIDE_SOURCE, Command
from grader.sandbox.policy import Policy
from grader.sandbox.prelude import LISTEN_FILE_ENV, PYTHON_FLAGS, portable_prelude, with_prelude
from grader.sandbox.process import StudentProcess
from grader.sandbox.process import wait_for as wait_for  # run/ imports it from here

if TYPE_CHECKING:
    from grader.sandbox.warm import WarmPool

_PLAIN_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONIOENCODING": "utf-8",
}


class Launcher:
    """Spawn student processes for one submission; `close` kills and accounts for all."""

    def __init__(
        self, policy: Policy, staged: Path, *, reaper: bool = False, offline: bool = False
    ) -> None:
        """`reaper`: this process is the parent of nothing else that waits for its children
        (a harness): adopt orphaned student processes, and reap them all in `close`.
        `offline`: no network at all (a fresh, empty network namespace), for programs that
        need none, started from outside the harness's private namespace."""
        self.policy = policy
        self.staged = staged
        self.offline = offline
        if policy.run_as and not policy.landlock:
            usermode.private_or_refuse(policy)  # before anything is made that close() would undo
        self._reaper = reaper and not policy.portable and procfs.adopt_orphans()
        self.processes: list[StudentProcess] = []
        self._checked = 0  # processes before this index belong to checks that ended
        self._cgroups = job_cgroups(policy)
        for group in self._cgroups:
            group.mkdir(parents=True, exist_ok=True)
            cgroups.limit(
                group,
                processes=policy.limits.processes,
                memory_bytes=policy.limits.memory_bytes,
                v2=bool(policy.cgroup_v2),
                cpu_cores=policy.limits.cpu_cores,
            )
        self._command = Command.of(policy, staged=staged, cgroups=self._cgroups, offline=offline)
        self._bwrap = self._command.bwrap
        if self._command.drop_uid:
            usermode.readable_tree(staged)  # the student's uid reads the graded files, never writes
        self._user_root = usermode.user_copy(staged, policy=policy) if policy.run_as else None
        self._cwd = self._user_root / "submission" if self._user_root else staged
        self._reports = Path(tempfile.mkdtemp(prefix="grader-ports-")) if policy.portable else None
        self._first = (
            usermode.landlock(policy, root=self._user_root)
            if self._user_root and policy.landlock
            else ""
        )
        # Student processes started ahead of time, where the harness prepares them.
        self.warm: WarmPool | None = None

    @property
    def workdir(self) -> str:
        """The submission's directory as student code sees it."""
        return INSIDE_DIR if self._bwrap else str(self._cwd)

    def program(self, name: str) -> str:
        """The path of a grader/inside program as student code sees it."""
        if self._bwrap:
            return f"{INSIDE_CODE}/{name}"
        return str((self._user_root / "inside" if self._user_root else INSIDE_SOURCE) / name)

    def spawn(
        self,
        args: Sequence[str],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (),
        stdin: int | None = subprocess.DEVNULL,
    ) -> StudentProcess:
        """Run `python ARGS...` (a script and its arguments, or -c CODE ...) as student
        code; args never go through a shell."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        full_env = {**_PLAIN_ENV, "HOME": INSIDE_HOME if self._bwrap else str(self._cwd)}
        if self._user_root:
            full_env["TMPDIR"] = str(self._user_root / "tmp")
        full_env.update(env or {})
        full_env["GRADER_JOB"] = self.policy.job_id
        report: Path | None = None
        first = self._first
        if self._reports is not None:
            report = self._reports / str(len(self.processes))
            full_env[LISTEN_FILE_ENV] = str(report)
            first = portable_prelude(self.policy.limits)
        inner = [self.policy.python, *PYTHON_FLAGS, *with_prelude(args, first=first)]
        argv = self._command.argv(inner)
        try:
            popen = subprocess.Popen(
                argv,
                cwd=self._cwd,
                env=full_env,
                stdin=stdin,
                stdout=out_w,
                stderr=err_w,
                pass_fds=tuple(pass_fds),
                start_new_session=True,
            )
        finally:
            os.close(out_w)
            os.close(err_w)
        proc = StudentProcess(name, popen, out_r, err_r, ports_file=report)
        self.processes.append(proc)
        return proc

    def end_check(self) -> list[int]:
        """After a check: kill everything it started, wherever it went (its cgroups; every
        process of the job's own uid), and give the next check a fresh writable copy;
        return the processes that had outlived their handles (a daemon)."""
        # Processes started ahead for the next check (grader/sandbox/warm.py) have run no
        # student code yet: they are spared, with their sandboxes' own processes (and none
        # is started meanwhile, so none is caught half-started).
        if self.warm is None:
            escaped = self._kill_leftovers([])
        else:
            with self.warm.held() as waiting:
                escaped = self._kill_leftovers(waiting)
        kept = {proc.pid for proc in self.processes}
        if self._reaper:
            procfs.reap_orphans(keep=kept)
        if self._user_root:
            usermode.fresh_copy(self.staged, root=self._user_root, policy=self.policy)
            if not self.policy.landlock:
                usermode.remove_owned(self.policy)
        return escaped

    def _kill_leftovers(self, waiting: list[StudentProcess]) -> list[int]:
        """Kill what the check started but `waiting`; return the escaped (a daemon)."""

        def spare() -> frozenset[int]:
            # Looked at afresh each time: a process still starting forks its sandbox's
            # own processes (bubblewrap's, then the interpreter) after it was spawned.
            return frozenset(p for proc in waiting for p in procfs.tree(proc.pid))

        # Those started since the last check, and any still alive (one started ahead
        # during an earlier check, then taken by this one).
        for i, proc in enumerate(self.processes):
            if proc not in waiting and (i >= self._checked or proc.alive()):
                proc.terminate()
        self._checked = len(self.processes)
        escaped: list[int] = []
        uid = self.policy.dedicated_uid
        if uid is not None and not self.policy.portable:
            escaped, left = procfs.kill_uid(uid, spare=spare)
            if left:
                raise InfrastructureError(
                    f"processes of the student's uid {uid} survive SIGKILL ({left[:5]}); the "
                    "grader cannot grade safely here."
                )
        if any(set(cgroups.members(group)) - spare() for group in self._cgroups):
            swept = sweep(self.policy, remove=False, spare=spare)
            escaped += [p for p in swept if p not in escaped]
        return escaped

    def close(self) -> list[int]:
        """Kill every process this submission started; return those that had escaped."""
        for proc in self.processes:
            proc.terminate()
        if self._reports is not None:
            shutil.rmtree(self._reports, ignore_errors=True)
        escaped = sweep(self.policy)
        if self._reaper:
            procfs.reap()
        if self._user_root:
            shutil.rmtree(self._user_root, ignore_errors=True)
        usermode.remove_owned(self.policy)
        return escaped


def job_cgroups(policy: Policy) -> list[Path]:
    """The cgroups of one job: one in a cgroup v2 subtree, or one per v1 hierarchy.

    The v1 cpu group sits at the top of its hierarchy, beside every other process's:
    under a common parent, all student code of the machine would share that one
    parent's weight, one process's worth, and starve on a busy machine."""
    if policy.cgroup_v2:
        return [Path(policy.cgroup_v2) / policy.job_id]
    groups = [
        Path(root) / "grader" / policy.job_id
        for root in (policy.cgroup_pids, policy.cgroup_memory)
        if root
    ]
    if policy.cgroup_cpu:
        groups.append(Path(policy.cgroup_cpu) / f"grader-{policy.job_id}")
    return groups


def survivors(policy: Policy, *, spare: Callable[[], frozenset[int]] = frozenset) -> list[int]:
    """Student processes of a job still alive anywhere: in its cgroups, as its own uid,
    or by env marker (which needs /proc: without it, only its cgroups, and there are none);
    `spare` is left out."""
    pids: set[int] = set()
    for group in job_cgroups(policy):
        pids.update(cgroups.members(group))
    if not policy.portable:
        pids.update(procfs.pids_with_env(f"GRADER_JOB={policy.job_id}"))
        if policy.dedicated_uid is not None:
            pids.update(procfs.processes_of(policy.dedicated_uid))
    pids.discard(os.getpid())
    return sorted(pids - spare()) if pids else []


def sweep(
    policy: Policy,
    *,
    settle_s: float = 0.3,
    remove: bool = True,
    spare: Callable[[], frozenset[int]] | None = None,
) -> list[int]:
    """Kill whatever of a job is still alive but `spare`; return the processes that had
    escaped.

    Processes killed a moment ago may still be on their way out (a PID namespace dies
    with its init), so only what is still there after `settle_s` counts as escaped. With
    processes to spare, a group is killed whole only if killing them one by one did not
    end them within the time (the spared then go too: a check then starts its own cold).
    """
    spared = spare or frozenset
    deadline = time.monotonic() + settle_s
    escaped = survivors(policy, spare=spared)
    while escaped and time.monotonic() < deadline:
        time.sleep(0.01)
        escaped = survivors(policy, spare=spared)
    left = escaped
    deadline = time.monotonic() + 3.0
    one_by_one = time.monotonic() + (1.0 if spare else 0.0)
    while left and time.monotonic() < deadline:
        whole = time.monotonic() >= one_by_one
        for group in job_cgroups(policy) if whole else ():
            cgroups.kill(group)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
        left = survivors(policy, spare=spared)
    for group in job_cgroups(policy) if remove else ():
        cgroups.remove(group)
    return escaped
