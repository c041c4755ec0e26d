"""What isolation this machine offers, found by trying each facility (never assumed).

When one fails, the probe says why in one sentence with the fix (a kernel setting, an
AppArmor profile, a container option): `namespace_problem` reads the kernel's settings
(`Host`) and what the tool said.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import cgroups, private

CGROUP_V1 = cgroups.MOUNT
NOBODY = 65534
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SYSCTL = Path("/proc/sys")
APPARMOR_PROFILE = "/usr/share/apparmor/extra-profiles/bwrap-userns-restrict"


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
    cgroup_v2: str | None = None
    portable: bool = False
    notes: tuple[str, ...] = ()  # not problems: why a limit takes its weaker form
    cgroup_cpu: str | None = None  # cgroup v1 cpu hierarchy (v2 has cpu in cgroup_v2)
    landlock: int = 0  # the Landlock ABI version (file access rules without namespaces)

    @property
    def sandbox(self) -> bool:
        return self.bwrap_works and self.netns


def _run(argv: list[str]) -> tuple[bool, str]:
    """Whether argv succeeded, and the last line it printed on stderr."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
    return done.returncode == 0, lines[-1] if lines else f"exit status {done.returncode}"


def netns_command(path: str = SBIN_PATH) -> tuple[str, ...]:
    """argv prefix that runs a command in a fresh network namespace with only lo, up."""
    unshare = shutil.which("unshare", path=path) or "unshare"
    ip = shutil.which("ip", path=path) or "ip"
    flags = ["--net"] if os.geteuid() == 0 else ["--map-root-user", "--net"]
    return (unshare, *flags, "--", "/bin/sh", "-c", f'{ip} link set lo up && exec "$@"', "sh")


def bwrap_probe(bwrap: str, *, root: bool) -> list[str]:
    """The namespaces the launcher asks bubblewrap for, around `true`."""
    user = [] if root else ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    return [bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-ipc", *user, "true"]


@dataclass(frozen=True, slots=True)
class Host:
    """The kernel settings and surroundings that decide whether namespaces work."""

    root: bool = False
    apparmor_restrict: str | None = None  # kernel.apparmor_restrict_unprivileged_userns
    userns_clone: str | None = None  # kernel.unprivileged_userns_clone (Debian's patch)
    max_userns: str | None = None  # user.max_user_namespaces
    container: bool = False

    @classmethod
    def read(cls, sysctl: Path = SYSCTL) -> Host:
        def value(name: str) -> str | None:
            try:
                return (sysctl / name).read_text().strip()
            except OSError:
                return None

        return cls(
            root=os.geteuid() == 0,
            apparmor_restrict=value("kernel/apparmor_restrict_unprivileged_userns"),
            userns_clone=value("kernel/unprivileged_userns_clone"),
            max_userns=value("user/max_user_namespaces"),
            container=Path("/.dockerenv").exists()
            or Path("/run/.containerenv").exists()
            or bool(os.environ.get("container")),  # noqa: SIM112 (systemd, podman set it)
        )


APPARMOR_FIX = (
    "allow them with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (keep "
    "it in /etc/sysctl.d/), or give bwrap and unshare AppArmor profiles that allow `userns` "
    "(the README's section on Ubuntu shows them), or run the grader as root"
)


def namespace_problem(tool: str, *, said: str, host: Host) -> str:
    """Why `tool` could not make its namespaces, from what it said and the kernel's
    settings, with the fix: one sentence."""
    failed = f"{tool} cannot create namespaces here ({said})"
    if host.root:
        if host.container:
            return (
                f"{failed}: this container lacks CAP_SYS_ADMIN; run it with "
                "`--cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt "
                "apparmor=unconfined`, or grade outside the container."
            )
        return f"{failed}; check that the kernel has user, PID and network namespaces."
    apparmor = host.apparmor_restrict == "1"
    if apparmor or "uid map" in said or "RTM_NEWADDR" in said or "uid_map" in said:
        return (
            f"{failed}: AppArmor restricts unprivileged user namespaces "
            "(kernel.apparmor_restrict_unprivileged_userns=1, the default on Ubuntu 23.10 "
            f"and later and on GitHub's ubuntu-24.04 runners); {APPARMOR_FIX}."
        )
    if host.userns_clone == "0":
        return (
            f"{failed}: unprivileged user namespaces are turned off "
            "(kernel.unprivileged_userns_clone=0); allow them with "
            "`sudo sysctl -w kernel.unprivileged_userns_clone=1`, or run the grader as root."
        )
    if host.max_userns == "0":
        return (
            f"{failed}: user namespaces are turned off (user.max_user_namespaces=0); allow "
            "them with `sudo sysctl -w user.max_user_namespaces=15000`, or run the grader "
            "as root."
        )
    if host.container:
        return (
            f"{failed}: this container forbids user namespaces (Docker's default seccomp "
            "profile does); run it with `--security-opt seccomp=unconfined --security-opt "
            "apparmor=unconfined`, or grade outside the container."
        )
    return f"{failed}; allow unprivileged user namespaces, or run the grader as root."


def probe(
    *, portable: bool = False, path: str | None = None, host: Host | None = None
) -> Capabilities:
    """Find out, by trying, which isolation features work here. `portable` turns every
    Linux-only facility off, as on macOS (GRADER_PORTABLE=1 shows that path on Linux);
    `path` is where to look for bwrap, unshare and ip; `host` the kernel's settings."""
    path = path or SBIN_PATH
    root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
    ns = netns_command(path) if not portable else ()
    if portable or not sys.platform.startswith("linux"):
        return _without_linux(ns, root=root)
    host = host or Host.read()
    root = host.root
    problems: list[str] = []
    bwrap = shutil.which("bwrap", path=path)
    bwrap_works = False
    if bwrap is None:
        problems.append(
            "bubblewrap is not installed; install it with `sudo apt-get install bubblewrap` "
            "(Debian/Ubuntu) or `sudo dnf install bubblewrap` (Fedora)."
        )
    else:
        bwrap_works, said = _run(bwrap_probe(bwrap, root=root))
        if not bwrap_works:
            problems.append(namespace_problem("bubblewrap", said=said, host=host))
    netns, said = _run([*ns, "true"])
    if not netns:
        problem = namespace_problem("unshare --net", said=said, host=host)
        if problem not in problems:
            problems.append(problem)
    found = cgroups.find()
    notes = () if found.v2 or found.pids_v1 else (f"no cgroup limits: {found.why_not_v2}.",)
    return Capabilities(
        bwrap=bwrap,
        bwrap_works=bwrap_works,
        netns=netns,
        netns_command=ns,
        cgroup_pids=found.pids_v1,
        cgroup_memory=found.memory_v1,
        cgroup_v2=found.v2,
        cgroup_cpu=found.cpu_v1,
        is_root=root,
        problems=tuple(problems),
        notes=notes,
        landlock=private.landlock_abi(),
    )


def _without_linux(ns: tuple[str, ...], *, root: bool) -> Capabilities:
    """macOS, Windows, or GRADER_PORTABLE=1: nothing of Linux's is used."""
    why = (
        f"the sandbox needs Linux (bubblewrap, namespaces, /proc) and this is {sys.platform}"
        if not sys.platform.startswith("linux")
        else "GRADER_PORTABLE=1 turns off Linux's facilities (bubblewrap, namespaces, /proc)"
    )
    return Capabilities(
        bwrap=None,
        bwrap_works=False,
        netns=False,
        netns_command=ns,
        cgroup_pids=None,
        cgroup_memory=None,
        is_root=root,
        portable=True,
        problems=(
            f"{why}: student code runs unsandboxed, and a hang ends at the check's time "
            "limit; on Windows, install the grader in WSL to get the sandbox.",
        ),
    )
