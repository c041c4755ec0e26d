"""Start student processes under a Policy, and make sure none of them outlives the job.

One small interface, three isolations: `bwrap` (new PID, mount, IPC and UTS namespaces, an
unprivileged uid, read-only system, the staged submission the only writable place),
`user` (a root grader without namespaces, as in a platform's container: a separate
unprivileged uid, the same limits, a copy of the submission it may add files to but not
change) and `none` (a plain subprocess with the same limits). The
network namespace is not made here: the whole trusted harness of a submission already
runs inside a private one, and student processes share it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.model import Isolation
from grader.sandbox import procfs
from grader.sandbox.capture import OutputCapture
from grader.sandbox.policy import NOBODY, SBIN_PATH, Policy

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
RUN_SCRIPT = (
    "import runpy; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _with_prelude(args: Sequence[str]) -> list[str]:
    """`python -c CODE ...` or `python SCRIPT ...`, with the prelude run first."""
    if args and args[0] == "-c":
        return ["-c", PRELUDE + args[1], *args[2:]]
    return ["-c", PRELUDE + RUN_SCRIPT, *args]


class StudentProcess:
    """A running student process: its captured output and the facts /proc tells about it."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], stdout: int, stderr: int):
        self.name = name
        self.popen = popen
        self.started = time.monotonic()
        self.stdout = OutputCapture(f"{name} stdout", stdout)
        self.stderr = OutputCapture(f"{name} stderr", stderr)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def tree(self) -> list[int]:
        return procfs.tree(self.pid)

    def listening_ports(self) -> list[int]:
        return procfs.listening_ports(self.pid)

    def cpu_seconds(self) -> float:
        return procfs.cpu_seconds(self.tree())

    def wait(self, timeout_s: float) -> int | None:
        try:
            return self.popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace_s: float = 0.0) -> None:
        """Stop the whole tree: SIGTERM (optional grace), then SIGKILL everything left."""
        if grace_s and self.alive():
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGTERM)
            self.wait(grace_s)
        procfs.kill_tree(self.pid)
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        self.wait(2.0)
        self.stdout.join(0.5)
        self.stderr.join(0.5)


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

    def __init__(self, policy: Policy, staged: Path, *, offline: bool = False) -> None:
        """`offline`: no network at all (a fresh, empty network namespace), for programs
        that need none, started from outside the harness's private namespace."""
        self.policy = policy
        self.staged = staged
        self.offline = offline
        self.processes: list[StudentProcess] = []
        self._cgroups = job_cgroups(policy)
        for group in self._cgroups:
            group.mkdir(parents=True, exist_ok=True)
        self._limit_cgroups()
        self._bwrap = (
            shutil.which("bwrap", path=SBIN_PATH) if policy.isolation is Isolation.BWRAP else None
        )
        self._drop_uid = policy.isolation is Isolation.BWRAP and _really_root()
        if self._drop_uid:
            _readable_tree(staged)  # the student's uid reads the graded files, never writes
        self._user_root = _user_copy(staged, policy) if policy.run_as else None
        self._cwd = self._user_root / "submission" if self._user_root else staged

    @property
    def workdir(self) -> str:
        """The submission's directory as student code sees it."""
        return INSIDE_DIR if self._bwrap else str(self._cwd)

    def program(self, name: str) -> str:
        """The path of a grader/inside program as student code sees it."""
        if self._bwrap:
            return f"{INSIDE_CODE}/{name}"
        return str((self._user_root / "inside" if self._user_root else INSIDE_SOURCE) / name)

    def _limit_cgroups(self) -> None:
        limits = self.policy.limits
        for group in self._cgroups:
            with contextlib.suppress(OSError):
                if (group / "pids.max").exists():
                    (group / "pids.max").write_text(str(limits.processes))
                if (group / "memory.limit_in_bytes").exists():
                    (group / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))

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
        full_env.update(env or {})
        full_env["GRADER_JOB"] = self.policy.job_id
        argv = self._wrap([self.policy.python, *PYTHON_FLAGS, *_with_prelude(args)])
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
        proc = StudentProcess(name, popen, out_r, err_r)
        self.processes.append(proc)
        return proc

    def _wrap(self, inner: list[str]) -> list[str]:
        limits = self.policy.limits
        prlimit = [
            shutil.which("prlimit", path=SBIN_PATH) or "prlimit",
            f"--cpu={limits.cpu_s}",
            f"--as={limits.address_space_bytes}",
            f"--fsize={limits.file_size_bytes}",
            f"--nofile={limits.open_files}",
            "--core=0",
        ]
        if self.policy.cgroup_pids is None:
            prlimit.append(f"--nproc={limits.processes}")
        if self.policy.run_as:
            inner = [*_setpriv(*self.policy.run_as), "--", *inner]
        argv = [*prlimit, "--", *(self._bwrap_args(inner) if self._bwrap else inner)]
        if self._cgroups:
            # The shell joins the job's cgroups before exec, so nothing escapes them by
            # forking early; no preexec_fn (unsafe with the capture threads running).
            join = " && ".join(f'echo $$ > "${i + 1}"' for i in range(len(self._cgroups)))
            procs = [str(g / "cgroup.procs") for g in self._cgroups]
            n = len(procs)
            argv = ["/bin/sh", "-c", f'{join} && shift {n} && exec "$@"', "sh", *procs, *argv]
        return argv

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
        # after those tmpfs mounts, so none of them hides it.
        args: list[str] = []
        for prefix in self.policy.python_prefixes:
            for parent in reversed(Path(prefix).parents[:-1]):
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", prefix, prefix]
        return args

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
        """The end of the bwrap command: become nobody, then run `inner`."""
        if not self._drop_uid:
            return ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--", *inner]
        keep = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return [*keep, "--", *_setpriv(NOBODY, NOBODY), "--", *inner]

    def close(self) -> list[int]:
        """Kill every process this submission started; return those that had escaped."""
        for proc in self.processes:
            proc.terminate()
        escaped = sweep(self.policy)
        if self._user_root:
            shutil.rmtree(self._user_root, ignore_errors=True)
        return escaped


def job_cgroups(policy: Policy) -> list[Path]:
    return [
        Path(root) / "grader" / policy.job_id
        for root in (policy.cgroup_pids, policy.cgroup_memory)
        if root
    ]


def survivors(policy: Policy) -> list[int]:
    """Student processes of a job still alive anywhere: in its cgroups, or by env marker."""
    pids: set[int] = set()
    for group in job_cgroups(policy):
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (group / "cgroup.procs").read_text().split())
    pids.update(procfs.pids_with_env(f"GRADER_JOB={policy.job_id}"))
    pids.discard(os.getpid())
    return sorted(pids)


def sweep(policy: Policy, settle_s: float = 0.3) -> list[int]:
    """Kill whatever of a job is still alive; return the processes that had escaped.

    Processes killed a moment ago may still be on their way out (a PID namespace dies
    with its init), so only what is still there after `settle_s` counts as escaped.
    """
    deadline = time.monotonic() + settle_s
    escaped = survivors(policy)
    while escaped and time.monotonic() < deadline:
        time.sleep(0.01)
        escaped = survivors(policy)
    left = escaped
    deadline = time.monotonic() + 3.0
    while left and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
        left = survivors(policy)
    for group in job_cgroups(policy):
        with contextlib.suppress(OSError):
            group.rmdir()
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
    the grader's other folders stay out of reach). The student may add files next to
    its own (root-owned, sticky, group-writable by the student's group)."""
    assert policy.run_as is not None
    _, gid = policy.run_as
    # Not under $TMPDIR: the trusted harness points that at a folder of its own (0700).
    root = Path(tempfile.mkdtemp(prefix=f"grader-{policy.job_id}-", dir=USER_COPY_BASE))
    root.chmod(0o711)
    shutil.copytree(INSIDE_SOURCE, root / "inside", ignore=shutil.ignore_patterns("__pycache__"))
    submission = root / "submission"
    shutil.copytree(staged, submission, symlinks=False)
    _readable_tree(root / "inside")
    _readable_tree(submission)
    os.chown(submission, 0, gid)
    submission.chmod(0o1770)
    return root


def _really_root() -> bool:
    """Root with real privileges, not root mapped inside an unprivileged user namespace."""
    if os.geteuid() != 0:
        return False
    try:
        first = Path("/proc/self/uid_map").read_text().split()
    except OSError:
        return True
    return first[:3] == ["0", "0", "4294967295"]


def _readable_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
