"""What isolation this machine offers, and the policy one submission runs under.

The policy is plain data (it travels through `grader.codec`) because it crosses a
process boundary: the grader decides it, the trusted harness process of one submission
applies it.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import InfrastructureError
from grader.model import Isolation
from grader.settings import Limits

CGROUP_V1 = Path("/sys/fs/cgroup")
NOBODY = 65534
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
    netns: bool = False
    run_as: tuple[int, int] | None = None  # (uid, gid) of student code under Isolation.USER


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What this machine can do, as found by probing it (never assumed)."""

    bwrap: str | None
    bwrap_works: bool
    netns: bool
    netns_command: tuple[str, ...]
    cgroup_pids: str | None
    cgroup_memory: str | None
    is_root: bool
    problems: tuple[str, ...]

    @property
    def sandbox(self) -> bool:
        return self.bwrap_works and self.netns


def _runs(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _cgroup_v1(controller: str) -> str | None:
    root = CGROUP_V1 / controller
    if not (root / "cgroup.procs").exists():
        return None
    probe = root / f"grader-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return str(root)


def netns_command() -> tuple[str, ...]:
    """argv prefix that runs a command in a fresh network namespace with only lo, up."""
    unshare = shutil.which("unshare", path=SBIN_PATH) or "unshare"
    ip = shutil.which("ip", path=SBIN_PATH) or "ip"
    flags = ["--net"] if os.geteuid() == 0 else ["--map-root-user", "--net"]
    return (unshare, *flags, "--", "/bin/sh", "-c", f'{ip} link set lo up && exec "$@"', "sh")


def probe() -> Capabilities:
    """Find out, by trying, which isolation features work here."""
    problems: list[str] = []
    bwrap = shutil.which("bwrap", path=SBIN_PATH)
    bwrap_works = False
    if bwrap is None:
        problems.append(
            "bubblewrap is not installed; install it with `sudo apt-get install bubblewrap` "
            "(Debian/Ubuntu) or `sudo dnf install bubblewrap` (Fedora)."
        )
    else:
        bwrap_works = _runs([bwrap, "--ro-bind", "/", "/", "--unshare-pid", "true"])
        if not bwrap_works:
            problems.append(
                "bubblewrap is installed but cannot create namespaces here; allow unprivileged "
                "user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as root."
            )
    if not sys.platform.startswith("linux"):
        problems.append("sandboxing needs Linux namespaces; this is " + sys.platform + ".")
    ns = netns_command()
    netns = _runs([*ns, "true"])
    if not netns:
        problems.append(
            "cannot create a private network namespace (`unshare --net`); install util-linux "
            "and iproute2, and allow user namespaces."
        )
    pids = _cgroup_v1("pids")
    memory = _cgroup_v1("memory")
    if pids is None:
        problems.append(
            "no writable cgroup v1 pids controller: process counts fall back to RLIMIT_NPROC."
        )
    return Capabilities(
        bwrap=bwrap,
        bwrap_works=bwrap_works,
        netns=netns,
        netns_command=ns,
        cgroup_pids=pids,
        cgroup_memory=memory,
        is_root=os.geteuid() == 0,
        problems=tuple(problems),
    )


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

    Without bubblewrap (or with `prefer_run_as`), a root grader given `run_as` runs
    student code as that unprivileged user instead (Isolation.USER): its own uid, the
    same rlimits, and the network namespace when the machine has one.
    """
    try:
        prefixes = python_prefixes(python)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(
            f"the student interpreter {python} does not run ({exc}); pass a Python 3 "
            "interpreter with --python."
        ) from exc
    isolated = sandbox and caps.sandbox and not (run_as and prefer_run_as)
    user = None if isolated or not (sandbox and run_as and caps.is_root) else user_ids(run_as)
    isolation = Isolation.BWRAP if isolated else Isolation.USER if user else Isolation.NONE
    return Policy(
        isolation=isolation,
        python=python,
        python_prefixes=prefixes,
        job_id=uuid.uuid4().hex[:12],
        limits=limits or Limits(),
        cgroup_pids=caps.cgroup_pids,
        cgroup_memory=caps.cgroup_memory,
        netns=isolated or (user is not None and caps.netns),
        run_as=user,
    )


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


def python_prefixes(python: str) -> tuple[str, ...]:
    """Install prefixes the student interpreter needs visible (a venv has two)."""
    code = "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.executable]))"
    done = subprocess.run(
        [python, "-I", "-c", code], capture_output=True, text=True, timeout=20, check=False
    )
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"{python} did not run")
    prefix, base, executable = json.loads(done.stdout)
    dirs = {prefix, base, str(Path(executable).resolve().parent.parent)}
    return tuple(sorted(d for d in dirs if not d.startswith("/usr")))
