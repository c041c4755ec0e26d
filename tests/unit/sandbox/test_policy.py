"""What the probe finds and says where namespaces are forbidden (simulated: a fake bwrap
and unshare that fail as they do under Ubuntu's AppArmor restriction, since this machine
allows user namespaces), the exact reason and fix for each cause, and which limits
`--check-sandbox` says hold. What a run and a batch then do is in
tests/e2e/test_restricted.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support import UID_MAP, UNSHARE_UID_MAP, restricted_tools

from grader.sandbox import probe
from grader.sandbox.policy import (
    Capabilities,
    Host,
    limits_in_force,
    namespace_problem,
)
from grader.settings import Limits

NO_NS = (
    "bwrap: No permissions to create a new namespace, likely because the kernel does not "
    "allow non-privileged user namespaces."
)
UBUNTU = Host(root=False, apparmor_restrict="1")


def test_apparmor_is_named_with_the_sysctl_and_the_profile() -> None:
    said = namespace_problem("bubblewrap", said=UID_MAP, host=UBUNTU)
    assert said.startswith(f"bubblewrap cannot create namespaces here ({UID_MAP})")
    assert "AppArmor" in said and "Ubuntu 23.10" in said
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in said
    assert "AppArmor profiles" in said and said.endswith(".")
    # The uid-map failure is AppArmor's signature even where the sysctl cannot be read.
    assert "AppArmor" in namespace_problem("bubblewrap", said=UID_MAP, host=Host(root=False))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (Host(root=False, userns_clone="0"), "sysctl -w kernel.unprivileged_userns_clone=1"),
        (Host(root=False, max_userns="0"), "sysctl -w user.max_user_namespaces=15000"),
        (Host(root=False, container=True), "--security-opt seccomp=unconfined"),
        (Host(root=True, container=True), "--cap-add SYS_ADMIN"),
        (Host(root=False), "allow unprivileged user namespaces, or run the grader as root"),
    ],
)
def test_each_other_cause_has_its_own_fix(host: Host, expected: str) -> None:
    said = namespace_problem("bubblewrap", said=NO_NS, host=host)
    assert expected in said, said
    assert "AppArmor" not in said


def test_the_probe_reports_the_restriction(tmp_path: Path) -> None:
    caps = probe(path=restricted_tools(tmp_path / "bin"), host=UBUNTU)
    assert not caps.sandbox and not caps.bwrap_works and not caps.netns
    assert caps.bwrap == str(tmp_path / "bin" / "bwrap")
    assert len(caps.problems) == 2
    assert UID_MAP in caps.problems[0] and UNSHARE_UID_MAP in caps.problems[1]
    assert all("kernel.apparmor_restrict_unprivileged_userns=0" in p for p in caps.problems)


def lines(caps: Capabilities, **kwargs: object) -> str:
    return "\n".join(limits_in_force(caps, limits=Limits(), **kwargs))  # type: ignore[arg-type]


def test_check_sandbox_says_which_limits_hold() -> None:
    base = Capabilities(
        bwrap="/usr/bin/bwrap",
        bwrap_works=True,
        netns=True,
        cgroup_pids=None,
        cgroup_memory=None,
        is_root=True,
        problems=(),
        netns_command=(),
    )
    v2 = lines(replace(base, cgroup_v2="/sys/fs/cgroup/x/grader-jobs"))
    assert "at most 64 per submission (cgroup v2 pids.max)" in v2
    assert "512 MiB per submission (cgroup v2 memory.max)" in v2
    v1 = lines(replace(base, cgroup_pids="/sys/fs/cgroup/pids"))
    assert "(cgroup v1 pids)" in v1 and "memory: no limit per submission" in v1
    root = lines(replace(base, is_root=True))
    assert "per submission (RLIMIT_NPROC; each submission runs as a uid of its own)" in root
    user = lines(replace(base, is_root=False))
    assert "per sandboxed program (RLIMIT_NPROC in its own user namespace" in user
    assert "CPU 20 s" in user and "64 MiB writable folder" in user
    portable = lines(replace(base, portable=True, bwrap_works=False, netns=False))
    assert "hangs: end at each check's time limit" in portable
    assert "processes and memory: no limit" in portable
