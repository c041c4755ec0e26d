"""Which limits `--check-sandbox` says hold, on each kind of machine (what the probe
finds is tests/unit/sandbox/test_capabilities.py)."""

from __future__ import annotations

from dataclasses import replace

from grader.sandbox.capabilities import Capabilities
from grader.sandbox.policy import limits_in_force
from grader.settings import Limits


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
