"""The command line that starts one student process under a job's policy:
[join the job's cgroups] [bwrap and its mounts [setpriv]] prlimit [setpriv for
Isolation.USER] python ...

Under bubblewrap the student sees a read-only system, its interpreter's install with
every site-packages and file of the grader's covered, a fresh /proc, /dev, /tmp and
/home, and the submission as the only writable place; as root it then becomes the
student's uid through setpriv. prlimit runs last, inside the sandbox.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.model import Isolation
from grader.sandbox import private, procfs
from grader.sandbox.capabilities import NOBODY, SBIN_PATH
from grader.sandbox.policy import Policy

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
# The programs of grader/inside, as the sandboxed interpreter sees them (read-only).
INSIDE_CODE = "/opt/grader-inside"
INSIDE_SOURCE = Path(__file__).resolve().parent.parent / "inside"
BOUND = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True, slots=True)
class Command:
    """How one job's student processes are started: what their argv depends on."""

    policy: Policy
    staged: Path  # the graded files, bound read-only into the sandbox's submission folder
    bwrap: str | None  # bubblewrap, where the job is sandboxed by it
    drop_uid: bool  # bubblewrap as real root: setpriv to the job's uid inside it
    masks: tuple[str, ...]  # folders covered by an empty read-only tmpfs in the sandbox
    cgroups: tuple[Path, ...]  # the job's cgroups, joined before anything runs
    offline: bool = False  # no network at all (a fresh, empty network namespace)

    @classmethod
    def of(cls, policy: Policy, *, staged: Path, cgroups: Sequence[Path], offline: bool) -> Command:
        """The command of a job: finds bubblewrap and what to cover in its sandbox."""
        bwrap = (
            shutil.which("bwrap", path=SBIN_PATH) if policy.isolation is Isolation.BWRAP else None
        )
        return cls(
            policy=policy,
            staged=staged,
            bwrap=bwrap,
            drop_uid=policy.isolation is Isolation.BWRAP and really_root(),
            masks=tuple(_masks(policy)) if bwrap else (),
            cgroups=tuple(cgroups),
            offline=offline,
        )

    def argv(self, inner: list[str]) -> list[str]:
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
        argv = self._bwrap_args(limited) if self.bwrap else limited
        if self.cgroups:
            # The shell joins the job's cgroups before exec, so nothing escapes them by
            # forking early; no preexec_fn (unsafe with the capture threads running).
            join = " && ".join(f'printf "%d\\n" $$ > "${i + 1}"' for i in range(len(self.cgroups)))
            procs = [str(g / "cgroup.procs") for g in self.cgroups]
            n = len(procs)
            argv = ["/bin/sh", "-c", f'{join} && shift {n} && exec "$@"', "sh", *procs, *argv]
        return argv

    def _nproc(self) -> int | None:
        """RLIMIT_NPROC for student processes, unless a pids cgroup limits the job."""
        if self.policy.pids_cgroup:
            return None
        if self.bwrap or self.policy.run_as:
            return self.policy.limits.processes
        if really_root():
            return None  # RLIMIT_NPROC does not bind root
        # Unsandboxed, the limit counts every process of this user: leave room for those.
        return procfs.tasks_of(os.getuid()) + self.policy.limits.processes

    def _bwrap_args(self, inner: list[str]) -> list[str]:
        assert self.bwrap is not None
        return [
            self.bwrap,
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
        for hidden in self.masks:
            args += ["--tmpfs", hidden, "--remount-ro", hidden]
        return args + _python_itself(self.policy)

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
        if not self.drop_uid:
            return ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--", *inner]
        keep = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        uid = self.policy.uid
        return [*keep, "--", *_setpriv(uid, uid), "--", *inner]


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


def _masks(policy: Policy) -> list[str]:
    """The folders to cover in the sandbox (site-packages, the grader's own files)."""
    bound = [*BOUND, *policy.python_prefixes]
    keep = [*policy.python_prefixes, str(Path(policy.python).resolve().parent)]
    return private.masks(bound, hidden=policy.hidden, keep=keep)


def really_root() -> bool:
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
