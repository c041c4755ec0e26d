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
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import InfrastructureError
from grader.model import Isolation
from grader.sandbox import cgroups, private, procfs
from grader.sandbox.capture import OutputCapture
from grader.sandbox.policy import NOBODY, SBIN_PATH, Policy
from grader.settings import Limits

if TYPE_CHECKING:
    from grader.sandbox.warm import WarmPool

INSIDE_DIR = "/home/student/submission"
INSIDE_HOME = "/home/student"
ETC_FILES = (
    "hosts",
    "nsswitch.conf",
    "services",
    "protocols",
    "localtime",
    "passwd",
    "group",
    "host.conf",
    "gai.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
)
_PLAIN_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONIOENCODING": "utf-8",
}


# -S skips `site`: no site-packages .pth processing (about 50 ms of every start here, and
# third-party hooks have no business in student processes); -I ignores PYTHON* variables
# and the user's site, and puts neither the current folder nor a script's folder on
# sys.path; -B writes no bytecode; -u keeps output unbuffered so a killed process still
# said it.
PYTHON_FLAGS = ("-I", "-S", "-B", "-u")
# What `site` would have given student code and it commonly uses: exit() and quit(); and
# the submission's folder on sys.path, last, so a student's socket.py or select.py can
# never shadow the standard library while their own modules still import each other.
PRELUDE = (
    "import builtins, os, sys; builtins.exit = builtins.quit = sys.exit; "
    "sys.path.append(os.getcwd())\n"
)
# The programs of grader/inside, as the sandboxed interpreter sees them (read-only).
INSIDE_CODE = "/opt/grader-inside"
INSIDE_SOURCE = Path(__file__).resolve().parent.parent / "inside"
USER_COPY_BASE = "/tmp"  # world-traversable, sticky
# Run a script as __main__ (what `python SCRIPT` does; runpy costs 10 ms of imports).
RUN_SCRIPT = (
    "sys.argv = sys.argv[1:]; __file__ = sys.argv[0]\n"
    "with open(__file__, 'rb') as _f: _c = compile(_f.read(), __file__, 'exec')\n"
    "del _f; exec(_c)"
)
# Without Linux's facilities (macOS, or GRADER_PORTABLE=1) there is no prlimit and no
# /proc: the student's interpreter sets its own limits before any student code runs, and
# says on which ports it listens (the file named by GRADER_LISTEN_FILE), which is how the
# grader finds the port a server really uses. Unsandboxed either way.
PORTABLE_PRELUDE = """\
def _grader_setup(limits):
    import os, socket
    try:
        import resource
    except ImportError:
        resource = None
    for name, value in limits:
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):
            pass
    report = os.environ.pop('GRADER_LISTEN_FILE', '')
    listen = socket.socket.listen
    def reported(self, *args):
        listen(self, *args)
        try:
            with open(report, 'a') as f:
                f.write(str(self.getsockname()[1]) + '\\n')
        except Exception:
            pass
    if report:
        socket.socket.listen = reported
_grader_setup(%r); del _grader_setup
"""
LISTEN_FILE_ENV = "GRADER_LISTEN_FILE"


def _with_prelude(args: Sequence[str], first: str = "") -> list[str]:
    """`python -c CODE ...` or `python SCRIPT ...`, with the prelude run first."""
    if args and args[0] == "-c":
        return ["-c", first + PRELUDE + args[1], *args[2:]]
    return ["-c", first + PRELUDE + RUN_SCRIPT, *args]


def portable_prelude(limits: Limits) -> str:
    """The code that sets a portable run's per-process limits and reports listening."""
    rlimits = (
        ("RLIMIT_CPU", limits.cpu_s),
        ("RLIMIT_AS", limits.address_space_bytes),
        ("RLIMIT_FSIZE", limits.file_size_bytes),
        ("RLIMIT_NOFILE", limits.open_files),
        ("RLIMIT_CORE", 0),
    )
    return PORTABLE_PRELUDE % (rlimits,)


class StudentProcess:
    """A running student process: its captured output and the facts /proc tells about it.

    Without /proc (`observable` false: macOS, or GRADER_PORTABLE=1) it is a single
    process whose ports come from its own report (`ports_file`), whose state is unknown
    and which is never seen blocked: its hangs end at the check's time limit.
    """

    def __init__(
        self,
        name: str,
        popen: subprocess.Popen[bytes],
        stdout: int,
        stderr: int,
        *,
        ports_file: Path | None = None,
    ):
        self.name = name
        self.popen = popen
        self.started = time.monotonic()
        self.stdout = OutputCapture(f"{name} stdout", stdout)
        self.stderr = OutputCapture(f"{name} stderr", stderr)
        self.ports_file = ports_file
        self.observable = ports_file is None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def tree(self) -> list[int]:
        if not self.observable:
            return [self.pid] if self.alive() else []
        return procfs.tree(self.pid)

    def listening_ports(self) -> list[int]:
        if self.ports_file is not None:
            if not self.alive():
                return []
            try:  # written from inside the student's process: any bytes, any size
                with open(self.ports_file, "rb") as f:
                    said = f.read(1 << 16).split()
            except OSError:
                return []
            ports = {int(p) for p in said if p.isdigit() and len(p) <= 5}
            return sorted(p for p in ports if p < 65536)
        return procfs.listening_ports(self.pid)

    def cpu_seconds(self) -> float:
        return procfs.cpu_seconds(self.tree()) if self.observable else 0.0

    def states(self) -> list[str]:
        """Scheduler states of its processes (none known without /proc)."""
        return procfs.states(self.tree()) if self.observable else []

    def threads(self, *, besides: tuple[str, ...] = ()) -> int:
        """Threads its processes run now; without /proc they cannot be counted and are
        taken as one."""
        return procfs.threads(self.tree(), besides=besides) if self.observable else 1

    def wait(self, timeout_s: float) -> int | None:
        return wait_for(self.popen, timeout_s=timeout_s, pidfd=self.observable)

    def terminate(self, grace_s: float = 0.0) -> None:
        """Stop the whole tree: SIGTERM (optional grace), then SIGKILL everything left.

        Only while it is not reaped: until then its pid (a zombie's, at worst) and its
        process group are its own; once reaped, the kernel may give that pid to anyone
        (pids wrap quickly next to a fork bomb), and what is left of it is found through
        the job's cgroups, uid and marker instead."""
        if grace_s and self.popen.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGTERM)
            _exits(self.pid, timeout_s=grace_s)
        if self.popen.returncode is None:
            if self.observable:
                procfs.kill_tree(self.pid)
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
        self.wait(2.0)
        self.stdout.join(0.5)
        self.stderr.join(0.5)


def wait_for(popen: subprocess.Popen[bytes], *, timeout_s: float, pidfd: bool = True) -> int | None:
    """Its exit status once it ends, or None after timeout_s. Woken by the exit itself
    (a pidfd) where the kernel has them: Popen.wait polls with sleeps of up to 50 ms, which
    a grader that stops dozens of processes per submission pays every time."""
    if popen.poll() is not None or timeout_s <= 0:
        return popen.poll()
    try:
        if not pidfd:  # portable mode touches nothing Linux-only
            raise AttributeError
        fd = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):  # not Linux, an old kernel, or already reaped
        try:
            return popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None
    try:
        ready = select.poll()
        ready.register(fd, select.POLLIN)
        ready.poll(timeout_s * 1000)
    finally:
        os.close(fd)
    return popen.poll()


def _exits(pid: int, *, timeout_s: float) -> None:
    """Wait until a child exits, without reaping it (its pid stays its own)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except (ChildProcessError, AttributeError):
            return
        time.sleep(0.005)


def _system_mounts() -> list[str]:
    """Namespaces, then the host's system folders read-only and fresh /proc, /dev, /tmp
    and /home."""
    args = [
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / top
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--tmpfs", "/home", "--perms", "0777", "--dir", INSIDE_HOME]
    return args


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
            _private_or_refuse(policy)  # before anything is made that close() would undo
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
        self._bwrap = (
            shutil.which("bwrap", path=SBIN_PATH) if policy.isolation is Isolation.BWRAP else None
        )
        self._drop_uid = policy.isolation is Isolation.BWRAP and _really_root()
        self._masks = _masks(policy) if self._bwrap else []
        if self._drop_uid:
            _readable_tree(staged)  # the student's uid reads the graded files, never writes
        self._user_root = _user_copy(staged, policy) if policy.run_as else None
        self._cwd = self._user_root / "submission" if self._user_root else staged
        self._reports = Path(tempfile.mkdtemp(prefix="grader-ports-")) if policy.portable else None
        self._first = self._landlock() if self._user_root and policy.landlock else ""
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
        argv = self._wrap([self.policy.python, *PYTHON_FLAGS, *_with_prelude(args, first)])
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

    def _wrap(self, inner: list[str]) -> list[str]:
        """The full argv: [join the job's cgroups] [bwrap ... [setpriv]] prlimit [setpriv
        for Isolation.USER] python."""
        policy = self.policy
        if policy.portable:
            return inner  # the prelude sets the limits
        limits = policy.limits
        prlimit = [
            shutil.which("prlimit", path=SBIN_PATH) or "prlimit",
            f"--cpu={limits.cpu_s}",
            f"--as={limits.address_space_bytes}",
            f"--fsize={limits.file_size_bytes}",
            f"--nofile={limits.open_files}",
            "--core=0",
        ]
        nproc = self._nproc()
        if nproc is not None:
            prlimit.append(f"--nproc={nproc}")
        # prlimit runs last, inside the sandbox: RLIMIT_NPROC then counts the student's
        # uid (its own per job as root) or the sandbox's own user namespace, never the
        # grader's processes.
        if self.policy.run_as:
            # setpriv execs the interpreter itself: a path only root can traverse (the
            # grader's venv, say) still starts, which an exec by the student's uid would not.
            inner = [*_setpriv(*self.policy.run_as), "--", *inner]
        limited = [*prlimit, "--", *inner]
        argv = self._bwrap_args(limited) if self._bwrap else limited
        if self._cgroups:
            # The shell joins the job's cgroups before exec, so nothing escapes them by
            # forking early; no preexec_fn (unsafe with the capture threads running).
            join = " && ".join(f'printf "%d\\n" $$ > "${i + 1}"' for i in range(len(self._cgroups)))
            procs = [str(g / "cgroup.procs") for g in self._cgroups]
            n = len(procs)
            argv = ["/bin/sh", "-c", f'{join} && shift {n} && exec "$@"', "sh", *procs, *argv]
        return argv

    def _nproc(self) -> int | None:
        """RLIMIT_NPROC for student processes, unless a pids cgroup limits the job."""
        if self.policy.pids_cgroup:
            return None
        if self._bwrap or self.policy.run_as:
            return self.policy.limits.processes
        if _really_root():
            return None  # RLIMIT_NPROC does not bind root
        # Unsandboxed, the limit counts every process of this user: leave room for those.
        return procfs.tasks_of(os.getuid()) + self.policy.limits.processes

    def _bwrap_args(self, inner: list[str]) -> list[str]:
        assert self._bwrap is not None
        return [
            self._bwrap,
            *(["--unshare-net"] if self.offline else []),
            *_system_mounts(),
            *self._python_mounts(),
            *self._submission_mounts(),
            *self._as_nobody(inner),
        ]

    def _python_mounts(self) -> list[str]:
        # The interpreter may live under /home or /tmp (a venv, pipx, pyenv, uv): bind it
        # after those tmpfs mounts, so none of them hides it. Then cover every
        # site-packages and every path of the grader's inside what is bound (an empty
        # read-only tmpfs each): student code needs the standard library only.
        args: list[str] = []
        for prefix in self.policy.python_prefixes:
            args += [*_dirs_to(Path(prefix)), "--ro-bind", prefix, prefix]
        for hidden in self._masks:
            args += ["--tmpfs", hidden, "--remount-ro", hidden]
        return args + _python_itself(self.policy)

    def _landlock(self) -> str:
        """The Landlock prelude of this job's USER-mode processes."""
        assert self._user_root is not None
        policy = self.policy
        readable = [
            *BOUND,
            *policy.python_prefixes,
            "/etc",
            "/proc",
            str(self._user_root / "inside"),
        ]
        python = Path(policy.python)
        if not any(python.is_relative_to(p) for p in readable):
            readable.append(str(python.resolve().parent))
        rules = private.landlock_rules(
            readable,
            writable=[str(self._cwd), str(self._user_root / "tmp")],
            hidden=policy.hidden,
        )
        return private.landlock_prelude(rules, abi=policy.landlock)

    def _submission_mounts(self) -> list[str]:
        args = ["--perms", "0755", "--dir", str(Path(INSIDE_CODE).parent)]
        args += ["--ro-bind", str(INSIDE_SOURCE), INSIDE_CODE]
        # The submission folder is a size-capped tmpfs (charged to the job's memory cgroup)
        # with the graded files bound read-only into it: student code may write there,
        # but cannot fill the host's disk nor change the files being graded. It comes
        # last, so nothing mounted before can hide it.
        args += ["--perms", "0777", "--size", str(self.policy.limits.scratch_bytes)]
        args += ["--tmpfs", INSIDE_DIR]
        for path in sorted(self.staged.iterdir()):
            args += ["--ro-bind", str(path), f"{INSIDE_DIR}/{path.name}"]
        return [*args, "--chdir", INSIDE_DIR]

    def _as_nobody(self, inner: list[str]) -> list[str]:
        """The end of the bwrap command: become the student's uid (nobody, or as root
        without a pids cgroup the job's own), then run `inner`."""
        if not self._drop_uid:
            return ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--", *inner]
        keep = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        uid = self.policy.uid
        return [*keep, "--", *_setpriv(uid, uid), "--", *inner]

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
            _fresh_copy(self.staged, self._user_root, self.policy)
            if not self.policy.landlock:
                _remove_owned(self.policy)
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
        _remove_owned(self.policy)
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


def _setpriv(uid: int, gid: int) -> list[str]:
    """argv prefix that becomes uid:gid for good: no groups, no capabilities, and nothing
    it runs can gain privileges (setuid files included). Like `runuser -u`, but it execs
    in place (no PAM session, no parent left in between) and sets no_new_privs."""
    return [
        shutil.which("setpriv", path=SBIN_PATH) or "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
    ]


def _user_copy(staged: Path, policy: Policy) -> Path:
    """For Isolation.USER: a copy of the graded files and of grader/inside that the
    student's uid can read but not change, in a folder of the job's own (mode 0711, so
    the grader's other folders stay out of reach), and a temporary folder of its own.
    The student may add files next to its own (root-owned, sticky, group-writable by the
    job's group)."""
    # Not under $TMPDIR: the trusted harness points that at a folder of its own (0700).
    root = Path(tempfile.mkdtemp(prefix=f"grader-{policy.job_id}-", dir=USER_COPY_BASE))
    root.chmod(0o711)
    shutil.copytree(INSIDE_SOURCE, root / "inside", ignore=shutil.ignore_patterns("__pycache__"))
    _readable_tree(root / "inside")
    _fresh_copy(staged, root, policy)
    return root


def _fresh_copy(staged: Path, root: Path, policy: Policy) -> None:
    """(Re)make the job's writable folders: the submission as staged, an empty tmp; so
    nothing one check wrote (a hidden check's input, say) is there for the next."""
    assert policy.run_as is not None
    uid, gid = policy.run_as
    submission, tmp = root / "submission", root / "tmp"
    for folder in (submission, tmp):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(staged, submission, symlinks=False)
    _readable_tree(submission)
    os.chown(submission, 0, gid)
    submission.chmod(0o1770)
    tmp.mkdir(mode=0o700)
    os.chown(tmp, uid, gid)


SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _remove_owned(policy: Policy) -> None:
    """Remove what the job's own uid left in the machine's shared temporary folders
    (reachable by it only where Landlock does not restrict it)."""
    uid = policy.run_as[0] if policy.run_as else None
    if uid is None or policy.portable:
        return
    for base in SHARED_TMP:
        with contextlib.suppress(OSError):
            for entry in os.scandir(base):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _private_or_refuse(policy: Policy) -> None:
    """Without Landlock, Isolation.USER keeps the grader's files from student code by
    permissions alone: take other users' permissions off them, or refuse."""
    left = private.make_private(policy.hidden)
    if left:
        raise InfrastructureError(
            f"student code could read the grader's files at {left[0]} (no Landlock here, "
            "and the grader cannot make them private); make them private with `chmod o-rwx "
            f"{left[0]}`, or use bubblewrap."
        )


def _masks(policy: Policy) -> list[str]:
    """The folders to cover in the sandbox (site-packages, the grader's own files)."""
    bound = [*BOUND, *policy.python_prefixes]
    keep = [*policy.python_prefixes, str(Path(policy.python).resolve().parent)]
    return private.masks(bound, hidden=policy.hidden, keep=keep)


def _really_root() -> bool:
    """Root with real privileges, not root mapped inside an unprivileged user namespace."""
    if os.geteuid() != 0:
        return False
    try:
        first = Path("/proc/self/uid_map").read_text().split()
    except OSError:
        return True
    return first[:3] == ["0", "0", "4294967295"]


def _dirs_to(path: Path) -> list[str]:
    """bwrap arguments that make the folders above path (on the tmpfs mounts, say)."""
    args: list[str] = []
    for parent in reversed(path.parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


BOUND = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _python_itself(policy: Policy) -> list[str]:
    """Make the interpreter's own path visible when it lies outside every bound place: a
    symlink (~/bin/python3 -> /usr/bin/python3.11) becomes the same symlink, anything
    else (a wrapper script) is bound read-only as it is."""
    python = Path(policy.python)
    places = [Path(p) for p in (*BOUND, *policy.python_prefixes)]
    if not python.is_absolute() or any(python.is_relative_to(p) for p in places):
        return []
    if python.is_symlink():
        return [*_dirs_to(python), "--symlink", str(python.resolve()), str(python)]
    return [*_dirs_to(python), "--ro-bind", str(python), str(python)]


def _readable_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
